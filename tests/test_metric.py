"""mx.metric against MXNet 1.9.1 (values after each batch, local and global)."""
import math

import numpy as np
import pytest

import mxlite as mx
from training_golden import dec, load

METRICS = load("metrics")


def _close(got, want):
    assert [n for n, _ in got] == [n for n, _ in want]
    for (name, g), (_, w) in zip(got, want):
        if math.isnan(w):
            assert math.isnan(g), name
        else:
            assert g == pytest.approx(w, rel=1e-5, abs=1e-6), name


@pytest.mark.parametrize("case_id", sorted(METRICS))
def test_metric_matches_mxnet(case_id):
    case = METRICS[case_id]
    m = mx.metric.create(case["spec"], **case["kwargs"])
    for b, (batch, rec) in enumerate(zip(case["batches"], case["record"])):
        labels = [mx.nd.array(dec(x)) for x in batch["labels"]]
        preds = [mx.nd.array(dec(x)) for x in batch["preds"]]
        m.update(labels, preds)
        _close(m.get_name_value(), rec["local"])
        _close(m.get_global_name_value(), rec["global"])
        if b == 1:
            m.reset_local()


def test_unknown_metric_lists_known():
    with pytest.raises(ValueError, match="nosuch.*known metrics.*accuracy"):
        mx.metric.create("nosuch")


def test_create_forms():
    assert isinstance(mx.metric.create("acc"), mx.metric.Accuracy)
    comp = mx.metric.create(["acc", "mse"])
    assert isinstance(comp, mx.metric.CompositeEvalMetric) and len(comp.metrics) == 2

    def my_feval(label, pred):
        return float(np.abs(label - pred).sum()), label.size

    m = mx.metric.create(my_feval)
    assert m.name == "my_feval"
    m.update([mx.nd.array([1, 2])], [mx.nd.array([1, 4])])
    assert m.get() == ("my_feval", 1.0)
    lam = mx.metric.np(lambda label, pred: 0.5)
    assert lam.name == "custom(<lambda>)"
    acc = mx.metric.Accuracy()
    assert mx.metric.create(acc) is acc
    cfg = mx.metric.create("acc", axis=0).get_config()
    assert mx.metric.create(cfg).axis == 0


def test_register_custom_metric():
    @mx.metric.register
    class Always(mx.metric.EvalMetric):
        def __init__(self):
            super().__init__("always")

        def update(self, labels, preds):
            self.sum_metric += 1
            self.num_inst += 1

    assert isinstance(mx.metric.create("always"), Always)


def test_mismatched_labels_and_preds():
    with pytest.raises(ValueError, match="Shape of labels"):
        mx.metric.Accuracy().update([mx.nd.zeros((2,))], [mx.nd.zeros((2, 3)),
                                                          mx.nd.zeros((2, 3))])
    with pytest.raises(ValueError, match="binary"):
        mx.metric.F1().update([mx.nd.array([0, 1, 2])], [mx.nd.ones((3, 2))])


def test_update_dict_uses_names():
    m = mx.metric.Accuracy(output_names=["b_output"], label_names=["b_label"])
    m.update_dict({"a_label": mx.nd.array([0]), "b_label": mx.nd.array([1])},
                  {"a_output": mx.nd.array([[1, 0]]), "b_output": mx.nd.array([[0, 1]])})
    assert m.get() == ("accuracy", 1.0)
    assert math.isnan(mx.metric.MSE().get()[1])
