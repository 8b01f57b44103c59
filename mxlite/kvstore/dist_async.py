"""'dist_async': rank 0's server thread, the part of DistKVStore (dist.py) that only the
asynchronous store uses.

Rank 0 holds the master weights and the optimizer; a thread there receives the other workers'
messages on a communicator of its own and handles them in arrival order (per sender, MPI keeps
the order): PUSH applies the optimizer at once, PULL answers with the weights as they are,
OPTIMIZER installs the first optimizer sent, FENCE answers once all earlier pushes of that worker
are applied (``barrier``), STATES sends the optimizer states, STOP counts a worker out. Rank 0's own
pushes and pulls use the store directly, under the same lock.
"""
import time

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray import NDArray

__all__ = ["AsyncServer", "TAG_PUSH", "TAG_PULL", "TAG_REPLY", "TAG_STOP", "TAG_STATES",
           "TAG_FENCE", "TAG_OPTIMIZER"]

TAG_PUSH, TAG_PULL, TAG_REPLY, TAG_STOP, TAG_STATES, TAG_FENCE, TAG_OPTIMIZER = range(1, 8)


def _host(arr):
    """Contiguous NumPy array of an NDArray's data (a copy from a GPU, else no copy)."""
    data = arr._data
    if not isinstance(data, np.ndarray):
        data = data.get()
    return np.ascontiguousarray(data)


class AsyncServer:
    """Mixed into DistKVStore: the dist_async push / pull paths and rank 0's server loop."""

    def _need_updater(self):
        if self._updater is None:
            raise MXNetError("kvstore 'dist_async' applies pushes with the optimizer: call "
                             "set_optimizer first (MXNet: 'Updater needs to be set for async "
                             "mode')")

    def _server_apply(self, key, grad):
        with self._lock:
            stored = self._store[key]
            self._updater(key, NDArray(grad, cpu()).as_in_context(stored.context), stored)

    def _push_async(self, key, merged):
        self._need_updater()
        grad = _host(merged)
        payload = ("raw", grad)
        if self._gc is not None:
            payload = ("2bit", self._gc.quantize(key, grad), grad.shape)
        if self.rank == 0 or self.num_workers == 1:
            self._server_apply(key, self._decode(payload))
        else:
            self._group.wait(self._srv.isend((key, payload), dest=0, tag=TAG_PUSH),
                             f"push of {key!r} to the rank-0 server")

    def _decode(self, payload):
        if payload[0] == "raw":
            return payload[1]
        shape = payload[2]
        return self._gc.dequantize(payload[1], int(np.prod(shape))).reshape(shape)

    def _pull_async(self, key):
        if self.rank == 0 or self.num_workers == 1:
            return
        stored = self._store[key]
        buf = np.empty(stored.shape, stored.dtype)
        self._group.wait(self._srv.isend(key, dest=0, tag=TAG_PULL), f"pull of {key!r}")
        self._group.wait(self._srv.Irecv(buf, source=0, tag=TAG_REPLY), f"pull of {key!r}")
        stored._assign(NDArray(buf, cpu()).as_in_context(stored.context))

    def _serve(self):
        """Rank 0's server loop: apply pushes as they arrive, answer pulls, stop when every other
        worker said STOP."""
        from mpi4py import MPI
        status = MPI.Status()
        stopped = 0
        pending = []
        nap = 0.0
        while stopped < self.num_workers - 1:
            if not self._srv.Iprobe(MPI.ANY_SOURCE, MPI.ANY_TAG, status):
                nap = min(0.002, nap + 0.0001)
                time.sleep(nap)
                pending = [r for r in pending if not r.Test()]
                continue
            nap = 0.0
            src, tag = status.Get_source(), status.Get_tag()
            msg = self._srv.recv(source=src, tag=tag)
            if tag == TAG_PUSH:
                key, payload = msg
                self._server_apply(key, self._decode(payload))
            elif tag == TAG_PULL:
                with self._lock:
                    value = _host(self._store[msg]).copy()
                pending.append(self._srv.Isend(value, dest=src, tag=TAG_REPLY))
            elif tag == TAG_STATES:
                with self._lock:
                    states = self._updater.get_states(msg) if self._updater else None
                pending.append(self._srv.isend(states, dest=src, tag=TAG_REPLY))
            elif tag == TAG_OPTIMIZER:
                self._install_updater(msg)
            elif tag == TAG_FENCE:     # every earlier push of src is applied: say so
                pending.append(self._srv.Isend(np.zeros(1), dest=src, tag=TAG_REPLY))
            elif tag == TAG_STOP:
                stopped += 1
        for r in pending:
            r.Wait()


    def _install_updater(self, optimizer):
        """The first optimizer to arrive is used (the workers send equal ones)."""
        from ..optimizer import get_updater
        with self._lock:
            if self._updater is None:
                self._updater = get_updater(optimizer)
