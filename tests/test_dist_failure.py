"""A worker that dies, raises or hangs ends the whole job, non-zero, in bounded time, with the
rank named — never a silent hang."""
import os

import pytest

from dist_util import SCRIPTS, launch, needs_mpi

SCRIPT = os.path.join(SCRIPTS, "fit_mlp.py")


@needs_mpi
@pytest.mark.parametrize("mode, message", [
    ("kill", "mxlite.kvstore: worker rank 1 (pid"),
    ("raise", "mxlite.kvstore: worker rank 1 failed: ValueError: worker 1 gives up on purpose"),
    ("hang", "ranks not answering: [1]"),
])
def test_failed_worker_ends_the_job(mode, message, tmp_path):
    rc, out, seconds = launch(3, [SCRIPT, str(tmp_path), "dist_sync", mode, "50"],
                              launcher_args=["--timeout", "3"], timeout=90)
    assert rc != 0, out
    # both survivors name rank 1 (for 'raise' rank 1 itself prints its own error first)
    assert out.count(message) >= (1 if mode == "raise" else 2), out
    assert seconds < 60, out
    assert not any(f.startswith("rank") for f in os.listdir(tmp_path)), "a worker finished"
    if mode == "kill":
        # the launcher's supervisor names the killed worker too
        assert "mxlite.launch: worker rank 1 (pid" in out and "killed by signal 9" in out, out
