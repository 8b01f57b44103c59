"""The process group under the distributed kvstores: MPI through mpi4py, or one process.

Every collective is issued non-blocking and waited on in one loop (``_wait``) that also watches for
failure, so a dead or failing worker never leaves the others hanging:

* a worker that raises sends a FAIL notice (rank and exception) to every peer before it exits
  (``sys.excepthook``), and the peers raise an MXNetError naming it;
* a worker killed outright is seen by its peers on the same host (its process is gone), checked
  a few times a second;
* anything else (a peer on another host lost, or hung) ends with the collective timeout
  (``MXLITE_DIST_TIMEOUT`` seconds, default 300; ``kv.timeout`` per store). Then the waiting worker
  pings every peer; live peers answer from their own wait loops, and the error names the ranks
  that did not answer.

After such an error the process tells its peers, then ends the whole job with MPI_Abort
(MPI_Finalize would wait forever on the unfinished collective). ``mxlite.launch`` runs MPICH's
launcher with ``-disable-auto-cleanup`` so that a killed worker does not take the others down
before they report which rank died; MPICH then signals the survivors with SIGUSR1, which mxlite
catches so that the wait loop, not the signal, ends them.
"""
import os
import signal
import socket
import sys
import threading
import time
import traceback

import numpy as np

from ..base import MXNetError

__all__ = ["ProcessGroup", "get_group", "launched_by_mpi"]

_TAG_FAIL, _TAG_PING, _TAG_PONG = 101, 102, 103
_CHECK_EVERY = 0.2        # seconds between failure checks inside a wait
_PING_GRACE = 3.0         # seconds peers get to answer a ping after a timeout
_SPIN = 0.02              # seconds a wait polls without sleeping

_LAUNCH_VARS = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def launched_by_mpi():
    """Whether this process was started by an MPI launcher (or MXLITE_DIST_BACKEND asks for MPI)."""
    backend = os.environ.get("MXLITE_DIST_BACKEND", "")
    if backend:
        return backend == "mpi"
    return any(v in os.environ for v in _LAUNCH_VARS)


def default_timeout():
    try:
        return float(os.environ.get("MXLITE_DIST_TIMEOUT", "300"))
    except ValueError:
        raise MXNetError("MXLITE_DIST_TIMEOUT must be a number of seconds, got "
                         f"{os.environ['MXLITE_DIST_TIMEOUT']!r}") from None


def _pid_alive(pid):
    """False once ``pid`` has exited (a zombie counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return True


class ProcessGroup:
    """Workers 0..size-1 and the collectives the kvstores need, on host (NumPy) buffers.

    Parameters
    ----------
    comm : mpi4py communicator or None
        None: a group of one process (no MPI needed).
    """

    def __init__(self, comm=None):
        self.timeout = default_timeout()
        self._broken = None
        self._comm = comm
        if comm is None:
            self.rank, self.size = 0, 1
            self.peers = [(socket.gethostname(), os.getpid())]
            return
        from mpi4py import MPI
        self._MPI = MPI
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        self._ctrl = comm.Dup()     # failure notices and pings, apart from the data traffic
        self._lock = threading.Lock()
        self.peers = comm.allgather((socket.gethostname(), os.getpid()))
        self._host = socket.gethostname()
        _install_excepthook(self)
        if (threading.current_thread() is threading.main_thread()
                and not callable(signal.getsignal(signal.SIGUSR1))):
            # MPICH's launcher (without auto-cleanup) signals a peer's death with SIGUSR1
            signal.signal(signal.SIGUSR1, lambda signum, frame: None)

    # ----- failure handling
    def _fail(self, message):
        self._broken = message
        raise MXNetError(message)

    def _check_notices(self):
        """Raise on a FAIL notice; answer pings."""
        MPI = self._MPI
        status = MPI.Status()
        while self._ctrl.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
            src, tag = status.Get_source(), status.Get_tag()
            body = self._ctrl.recv(source=src, tag=tag)
            if tag == _TAG_FAIL:
                self._fail(f"mxlite.kvstore: worker rank {src} failed: {body}")
            elif tag == _TAG_PING:
                self._ctrl.send(self.rank, dest=src, tag=_TAG_PONG)

    def _check_peers_alive(self):
        for r, (host, pid) in enumerate(self.peers):
            if r != self.rank and host == self._host and not _pid_alive(pid):
                self._fail(f"mxlite.kvstore: worker rank {r} (pid {pid} on {host}) died")

    def _unresponsive(self):
        """Ranks that do not answer a ping within the grace period."""
        MPI = self._MPI
        others = [r for r in range(self.size) if r != self.rank]
        for r in others:
            self._ctrl.isend(self.rank, dest=r, tag=_TAG_PING)
        answered = set()
        end = time.monotonic() + _PING_GRACE
        status = MPI.Status()
        while time.monotonic() < end and len(answered) < len(others):
            if self._ctrl.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
                src, tag = status.Get_source(), status.Get_tag()
                body = self._ctrl.recv(source=src, tag=tag)
                if tag == _TAG_PONG:
                    answered.add(src)
                elif tag == _TAG_PING:
                    self._ctrl.send(self.rank, dest=src, tag=_TAG_PONG)
                elif tag == _TAG_FAIL:
                    self._fail(f"mxlite.kvstore: worker rank {src} failed: {body}")
            else:
                time.sleep(0.01)
        return [r for r in others if r not in answered]

    def _wait(self, request, what):
        """Wait for ``request``, watching for failed peers and the timeout."""
        if self._broken:
            raise MXNetError(f"mxlite.kvstore: {what} after an earlier failure: {self._broken}")
        start = time.monotonic()
        next_check = start + _CHECK_EVERY
        nap = 0.0
        while not request.Test():
            now = time.monotonic()
            if now >= next_check and self._comm is not None:
                self._check_notices()
                self._check_peers_alive()
                next_check = now + _CHECK_EVERY
                if now - start > self.timeout:
                    silent = self._unresponsive()
                    self._fail(f"mxlite.kvstore: {what} timed out after {self.timeout:g} s "
                               f"(MXLITE_DIST_TIMEOUT); ranks not answering: "
                               f"{silent or 'none (all alive but not at this collective)'}")
            # spin first (each Test moves the transfer on, and most collectives end within
            # milliseconds), then back off so that waiting workers leave the CPU to the others
            if now - start > _SPIN:
                nap = min(0.001, nap + 0.00005)
                time.sleep(nap)
            else:
                # on a machine with more runnable processes than cores the peer may be waiting
                # for this core: give it up at every poll (a no-op when nobody waits)
                os.sched_yield()

    def notify_failure(self, text):
        """Tell every peer that this worker is failing (best effort, bounded)."""
        if self._comm is None:
            return
        reqs = [self._ctrl.isend(text[:2000], dest=r, tag=_TAG_FAIL)
                for r in range(self.size) if r != self.rank]
        end = time.monotonic() + 1.0
        while time.monotonic() < end and not all(r.Test() for r in reqs):
            time.sleep(0.005)

    # ----- collectives on contiguous NumPy buffers
    def start_allreduce(self, buf):
        """Begin summing ``buf`` over the workers in place; ``wait`` on what this returns."""
        if self.size == 1:
            return None
        return self._comm.Iallreduce(self._MPI.IN_PLACE, buf, op=self._MPI.SUM)

    def wait(self, request, what="allreduce"):
        if request is not None:
            self._wait(request, what)

    def allreduce(self, buf):
        """Sum ``buf`` over the workers, in place."""
        self.wait(self.start_allreduce(buf))
        return buf

    def broadcast(self, buf, root=0):
        if self.size > 1:
            self._wait(self._comm.Ibcast(buf, root=root), "broadcast")
        return buf

    def allgather(self, buf):
        """(size, *buf.shape) array of every worker's ``buf``."""
        out = np.empty((self.size,) + buf.shape, buf.dtype)
        if self.size == 1:
            out[0] = buf
        else:
            self._wait(self._comm.Iallgather(buf, out), "allgather")
        return out

    def bcast_object(self, obj, root=0):
        if self.size == 1:
            return obj
        data = np.frombuffer(_dumps(obj), np.uint8) if self.rank == root else None
        n = np.array([0 if data is None else data.size], np.int64)
        self.broadcast(n, root)
        if data is None:
            data = np.empty(int(n[0]), np.uint8)
        self.broadcast(data, root)
        return _loads(data.tobytes())

    def barrier(self):
        if self.size > 1:
            self._wait(self._comm.Ibarrier(), "barrier")


def _dumps(obj):
    import pickle
    return pickle.dumps(obj, protocol=4)


def _loads(data):
    import pickle
    return pickle.loads(data)


_GROUP = None


def get_group():
    """The process group of this process (created on first use; MPI only when launched by MPI)."""
    global _GROUP
    if _GROUP is None:
        if launched_by_mpi():
            try:
                from mpi4py import MPI
            except ImportError:
                raise MXNetError("distributed kvstore: this process was started by an MPI "
                                 "launcher but mpi4py is missing: pip install 'mxlite[dist]'"
                                 ) from None
            _GROUP = ProcessGroup(MPI.COMM_WORLD.Dup())
        else:
            _GROUP = ProcessGroup(None)
    return _GROUP


def _abort(group):
    """End this job: give the peers a moment to report, then MPI_Abort (os._exit without MPI)."""
    try:
        time.sleep(0.5)
        group._comm.Abort(1)
    finally:
        os._exit(1)


def _install_excepthook(group):
    """An uncaught exception tells the peers, then ends the process without MPI_Finalize."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        try:
            previous(exc_type, exc, tb)
        finally:
            text = "".join(traceback.format_exception_only(exc_type, exc)).strip()
            if group._broken is None:
                group.notify_failure(text)
            sys.stdout.flush()
            sys.stderr.flush()
            _abort(group)

    sys.excepthook = hook
    # a worker that raises in a thread (the dist_async server) fails the same way
    threading.excepthook = lambda args: hook(args.exc_type, args.exc_value, args.exc_traceback)
