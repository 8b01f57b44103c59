"""Hardening: saves (temporary files cleaned, leftovers of killed saves removed, mode and symbolic
links kept, errors naming the target) and checkpoints whose symbol/params pair is never mixed."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import mxlite as mx
from mxlite.base import MXNetError
from mxlite.utils import atomic_write_bytes


def _leftovers(directory):
    return [n for n in os.listdir(directory) if ".mxlite-tmp-" in n or n.startswith(".tmp-")]


def test_failed_save_leaves_no_temporary_and_names_the_target(tmp_path, monkeypatch):
    target = tmp_path / "w.params"

    def broken(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(MXNetError, match=f'Open "{target}": No space left on device'):
        mx.nd.save(str(target), {"a": mx.nd.ones((2,))})
    assert _leftovers(tmp_path) == []
    assert not target.exists()


def test_symbol_save_error_names_the_target(tmp_path):
    target = tmp_path / "missing-dir" / "net-symbol.json"
    with pytest.raises(MXNetError, match=f'Open "{target}"'):
        mx.sym.var("x").save(str(target))


def test_leftover_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    target = tmp_path / "w.params"
    script = (f"import sys; sys.path.insert(0, {os.getcwd()!r})\n"
              "import os, mxlite.utils as u\n"
              "def slow(fd, data):\n"
              "    os.write(fd, data[:10]); print('writing', flush=True)\n"
              "    import time; time.sleep(60)\n"
              "u.os.fdopen = lambda fd, mode: type('F', (), {'__enter__': lambda s: s,"
              " '__exit__': lambda s, *a: None, 'write': lambda s, d: slow(fd, d),"
              " 'flush': lambda s: None, 'fileno': lambda s: fd})()\n"
              f"u.atomic_write_bytes({str(target)!r}, b'x' * 1000)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = _leftovers(tmp_path)
    assert len(left) == 1 and left[0].startswith(".w.params.mxlite-tmp-")
    mx.nd.save(str(target), {"a": mx.nd.ones((2,))})
    assert _leftovers(tmp_path) == []
    assert list(mx.nd.load(str(target))) == ["a"]


def test_temporaries_of_other_targets_and_live_processes_are_kept(tmp_path):
    other = tmp_path / ".other.params.mxlite-tmp-999999999-x"
    live = tmp_path / f".w.params.mxlite-tmp-{os.getppid()}-x"
    other.write_bytes(b"")
    live.write_bytes(b"")
    atomic_write_bytes(str(tmp_path / "w.params"), b"data")
    assert other.exists() and live.exists()


def test_resave_keeps_the_file_mode(tmp_path):
    target = tmp_path / "w.params"
    mx.nd.save(str(target), [mx.nd.ones((2,))])
    os.chmod(target, 0o600)
    mx.nd.save(str(target), [mx.nd.zeros((2,))])
    assert (os.stat(target).st_mode & 0o777) == 0o600
    mx.sym.var("x").save(str(tmp_path / "s.json"))
    os.chmod(tmp_path / "s.json", 0o640)
    mx.sym.var("y").save(str(tmp_path / "s.json"))
    assert (os.stat(tmp_path / "s.json").st_mode & 0o777) == 0o640


def test_save_through_a_symlink_keeps_the_link(tmp_path):
    real_dir = tmp_path / "store"
    real_dir.mkdir()
    real = real_dir / "w.params"
    mx.nd.save(str(real), [mx.nd.ones((2,))])
    link = tmp_path / "latest.params"
    os.symlink(real, link)
    mx.nd.save(str(link), [mx.nd.zeros((3,))])
    assert os.path.islink(link)
    assert mx.nd.load(str(real))[0].shape == (3,)
    assert _leftovers(tmp_path) == [] and _leftovers(real_dir) == []


def _net(hidden):
    return mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=hidden, name=f"fc{hidden}")


def test_checkpoint_writes_params_before_symbol(tmp_path, monkeypatch):
    order = []
    real_save = mx.nd.save
    monkeypatch.setattr(mx.ndarray.utils, "save",
                        lambda f, d: (order.append(os.path.basename(f)), real_save(f, d)))
    real_sym_save = mx.sym.Symbol.save
    monkeypatch.setattr(mx.sym.Symbol, "save",
                        lambda s, f, **k: (order.append(os.path.basename(f)),
                                           real_sym_save(s, f)))
    mx.model.save_checkpoint(str(tmp_path / "m"), 1, _net(2), {"fc2_weight": mx.nd.ones((2, 3))},
                             {})
    assert order == ["m-0001.params", "m-symbol.json"]


def test_checkpoint_interrupted_between_files_is_detected(tmp_path, monkeypatch):
    prefix = str(tmp_path / "m")
    mx.model.save_checkpoint(prefix, 1, _net(2), {"fc2_weight": mx.nd.ones((2, 3))}, {})
    old = time.time() - 100
    os.utime(prefix + "-symbol.json", (old, old))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(mx.sym.Symbol, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        mx.model.save_checkpoint(prefix, 2, _net(4), {"fc4_weight": mx.nd.ones((4, 3))}, {})
    monkeypatch.undo()
    with pytest.raises(MXNetError, match="Checkpoint mismatch: .*m-0002.params holds "
                                         "arg:fc4_weight"):
        mx.model.load_checkpoint(prefix, 2)
    sym, arg, _ = mx.model.load_checkpoint(prefix, 1)
    np.testing.assert_array_equal(arg["fc2_weight"].asnumpy(), np.ones((2, 3)))
