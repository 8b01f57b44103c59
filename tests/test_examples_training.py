"""The training examples run end to end (few epochs) and leave usable checkpoints."""
import os
import sys

import pytest

import mxlite as mx

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


@pytest.fixture(autouse=True)
def _examples_on_path(monkeypatch):
    monkeypatch.syspath_prepend(EXAMPLES)


def test_train_mlp_example(tmp_path):
    import train_mlp
    prefix = str(tmp_path / "mlp")
    acc = train_mlp.main(["--epochs", "3", "--ctx", "cpu", "--prefix", prefix,
                          "--plot", str(tmp_path / "mlp.png")])
    assert acc > 0.85
    sym, args, _ = mx.model.load_checkpoint(prefix, 3)
    assert "fc1_weight" in args and sym.list_outputs() == ["softmax_output"]
    pytest.importorskip("matplotlib")
    assert os.path.getsize(tmp_path / "mlp.png") > 1000


def test_train_lenet_example(tmp_path):
    import train_lenet
    acc = train_lenet.main(["--epochs", "2", "--ctx", "cpu", "--prefix", str(tmp_path / "lenet")])
    assert acc > 0.6
    assert os.path.exists(tmp_path / "lenet-0002.params")
    sys.modules.pop("train_lenet", None)
