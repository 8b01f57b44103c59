"""Helpers of the distributed tests: run a script as an MPI job on this machine."""
import os
import shutil
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = os.path.join(ROOT, "tests", "dist_scripts")


def mpi_missing():
    """None when mpi4py imports and an mpiexec is found, else why not."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install -e '.[dist]')"
    from mxlite.launch import _find_mpiexec
    if _find_mpiexec() is None:
        return "no mpiexec (pip install mpich)"
    return None


needs_mpi = pytest.mark.skipif(mpi_missing() is not None, reason=str(mpi_missing()))


def launch(n, args, timeout=120, launcher_args=(), env=None):
    """Run ``python -m mxlite.launch -n n ... python args`` -> (returncode, output, seconds)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = ROOT + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    cmd = [sys.executable, "-m", "mxlite.launch", "-n", str(n), *launcher_args,
           sys.executable, *args]
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=ROOT)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def mpiexec():
    from mxlite.launch import _find_mpiexec
    return _find_mpiexec() or shutil.which("mpiexec")
