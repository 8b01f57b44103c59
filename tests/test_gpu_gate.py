"""The GPU gate of tests/conftest.py, run in a child pytest on a one-test file marked ``gpu``:
without a usable device the test skips, and with MXLITE_REQUIRE_GPU=1 the run fails (exit status
1) with one line saying why. On a machine with a GPU the gate has nothing to refuse, so these
tests skip there."""
import os
import subprocess
import sys

import pytest
from conftest import HAVE_GPU

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)

pytestmark = pytest.mark.skipif(HAVE_GPU, reason="a usable GPU is present: the gate passes")

_GPU_TEST = '''import pytest


@pytest.mark.gpu
def test_needs_gpu():
    pass
'''


def _run_pytest(tmp_path, require):
    path = tmp_path / "test_needs_gpu.py"
    path.write_text(_GPU_TEST)
    env = {k: v for k, v in os.environ.items() if k != "MXLITE_REQUIRE_GPU"}
    if require:
        env["MXLITE_REQUIRE_GPU"] = "1"
    paths = [TESTS, ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    # tests/conftest.py loaded as a plugin: the child sees exactly the suite's gate
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
           "--rootdir", str(tmp_path), "-c", os.devnull, str(path)]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_require_gpu_without_gpu_fails_the_run(tmp_path):
    res = _run_pytest(tmp_path, require=True)
    out = res.stdout + res.stderr
    assert res.returncode == 1, out
    assert "MXLITE_REQUIRE_GPU=1 but no usable CUDA device/CuPy:" in out, out
    assert "passed" not in out and "xfail" not in out, out


def test_without_require_gpu_tests_skip(tmp_path):
    res = _run_pytest(tmp_path, require=False)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "1 skipped" in out, out
