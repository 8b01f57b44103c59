"""Start a distributed mxlite job.

    python -m mxlite.launch -n 4 [--hostfile H] [--timeout S] python train.py ...

The spirit of MXNet's ``tools/launch.py``, on the MPI launcher instead of a parameter-server
tracker: it runs ``mpiexec`` (MPICH's Hydra or Open MPI, found beside this Python, on PATH, or
given with ``--mpiexec``) with ``-n`` workers, on this machine or on the hosts of ``--hostfile``
(one host per line, optionally ``host:slots``), and sets what every worker needs:
``MXLITE_DIST_BACKEND=mpi`` and, with ``--timeout``, ``MXLITE_DIST_TIMEOUT``. The training script
needs no change: ``mx.kv.create('dist_sync')`` joins the job, and the same script run alone is a
job of one worker.

Each worker runs under a small supervisor (``--worker``, the launcher's own mode): MPI launchers
kill every worker at once when one dies of a signal, before the others can say which one died.
The supervisor turns the death into a message naming the rank and an exit status a few seconds
later (``MXLITE_DIST_GRACE``, default 5), so the surviving workers, which watch their peers, report
the dead rank and end the job themselves.

Exit status: the launcher's (non-zero when any worker failed).
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import time

__all__ = ["main", "mpiexec_command"]


def _find_mpiexec(explicit=None):
    if explicit:
        return explicit
    if os.environ.get("MXLITE_MPIEXEC"):
        return os.environ["MXLITE_MPIEXEC"]
    here = os.path.dirname(sys.executable)
    for name in ("mpiexec", "mpirun"):
        path = os.path.join(here, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which("mpiexec") or shutil.which("mpirun")


def _flavor(mpiexec):
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return "hydra"
    return "openmpi" if ("Open MPI" in out or "OpenRTE" in out) else "hydra"


def mpiexec_command(num_workers, command, hostfile=None, env=None, mpiexec=None):
    """The launcher's argument list for ``command`` on ``num_workers`` workers."""
    exe = _find_mpiexec(mpiexec)
    if exe is None:
        return None
    env = dict(env or {})
    env.setdefault("MXLITE_DIST_BACKEND", "mpi")
    if _flavor(exe) == "openmpi":
        args = [exe, "-n", str(num_workers)]
        args += ["--hostfile", hostfile] if hostfile else ["--oversubscribe"]
        for k, v in env.items():
            args += ["-x", f"{k}={v}"]
    else:
        args = [exe, "-n", str(num_workers)]
        if hostfile:
            args += ["-f", hostfile]
        for k, v in env.items():
            args += ["-genv", k, str(v)]
    return args + list(command)


def _worker_rank():
    for var in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK"):
        if var in os.environ:
            return os.environ[var]
    return "?"


def supervise(command):
    """Run one worker's ``command`` (the launcher's --worker mode); see the module docstring."""
    # close_fds=False: the MPI launcher's connection (PMI_FD) must reach the worker
    child = subprocess.Popen(command, close_fds=False)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
        signal.signal(sig, lambda signum, frame: child.send_signal(signum))
    code = child.wait()
    if code < 0:
        sys.stderr.write(f"mxlite.launch: worker rank {_worker_rank()} (pid {child.pid}) was "
                         f"killed by signal {-code}\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get("MXLITE_DIST_GRACE", "5")))
        return 128 - code
    return code


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "--worker":
        return supervise(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m mxlite.launch",
        description="Run a training script as a distributed mxlite job (kvstore 'dist_*').")
    parser.add_argument("-n", "--num-workers", type=int, required=True,
                        help="number of worker processes")
    parser.add_argument("-H", "--hostfile", help="hosts to run on (default: this machine)")
    parser.add_argument("--timeout", type=float,
                        help="seconds a collective may wait before the job is failed "
                             "(MXLITE_DIST_TIMEOUT, default 300)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="environment variable for every worker (repeatable)")
    parser.add_argument("--mpiexec", help="the MPI launcher to use")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command each worker runs")
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("no command given")
    if args.num_workers < 1:
        parser.error("-n must be at least 1")
    env = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--env wants KEY=VALUE, got {item!r}")
        env[key] = value
    if args.timeout is not None:
        env["MXLITE_DIST_TIMEOUT"] = repr(args.timeout)
    worker = [sys.executable, "-m", "mxlite.launch", "--worker"] + list(args.command)
    cmd = mpiexec_command(args.num_workers, worker, args.hostfile, env, args.mpiexec)
    if cmd is None:
        if args.num_workers == 1 and not args.hostfile:
            return subprocess.call(args.command, env={**os.environ, **env})
        sys.stderr.write("mxlite.launch: no mpiexec found; pip install 'mxlite[dist]' "
                         "(mpi4py and an MPI from PyPI)\n")
        return 2
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
