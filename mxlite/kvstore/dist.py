"""Distributed kvstores over an MPI process group: 'dist_sync', 'dist_device_sync', 'dist_async'.

MXNet 1.9 runs these on a parameter server (src/kvstore/kvstore_dist.h, kvstore_dist_server.h):
workers push gradients, servers sum the pushes of all workers and apply the optimizer once, workers
pull the new weights. mxlite reaches the same numbers without servers:

* **dist_sync / dist_device_sync** — a push sums the worker's own devices, then the workers
  allreduce the sums (MPI; NCCL for GPU buffers in 'dist_device_sync' when CuPy has it). Every
  worker then applies the same optimizer step to the same weights, so each holds the copy a server
  would hold; optimizer states are replicated. Each push starts a non-blocking allreduce that
  only the pull needing it waits for, so all of a step's allreduces are in flight together.
  ``MXLITE_KVSTORE_BUCKET_BYTES`` packs gradients smaller than that into shared allreduces (one
  latency α for many small tensors; a larger gradient is always sent alone). It is 0 (off) by
  default: on loopback, with α of a few microseconds, the copies into buckets cost more than they
  saved (bench/bench_dist.py); on a network with a large α, 1 MiB or more pays.
* **dist_async** — rank 0 runs a server thread holding the master weights and the optimizer: each
  push is applied on arrival, with no barrier between workers, and a pull returns the weights as
  they are then. Why a thread and not MPI one-sided windows: the server must run the optimizer
  (any of them, with its state), which an MPI_Accumulate cannot; a thread in rank 0 keeps the
  launch a plain ``mpiexec -n N`` (no extra server processes) and its traffic is on its own
  communicator. Staleness: a worker's gradient is computed on weights that miss the pushes other
  workers made since its last pull — about ``num_workers - 1`` updates when workers keep the same
  pace, unbounded if one runs ahead (as MXNet's dist_async).

``init`` takes rank 0's value for every worker (as MXNet: only rank 0 pushes the initial value) and
ends with a barrier. With gradient compression each worker quantizes its summed gradient with its
own residual; the workers allgather the 2-bit codes (1/16 of the bytes) and each dequantizes and
adds them up in rank order.
"""
import atexit
import os
import threading

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray import NDArray
from .compression import GradientCompression
from .dist_async import (TAG_FENCE, TAG_OPTIMIZER, TAG_REPLY, TAG_STATES, TAG_STOP, AsyncServer,
                         _host)
from .local import KVStore, _key_value_pairs, _pull_pairs
from .mpi import get_group

__all__ = ["DistKVStore", "reduce_metric", "current_rank"]


_LIVE = []     # stores of this process (rank-0-only helpers look here)


def current_rank():
    """This process's worker rank when it has a distributed kvstore, else 0."""
    return _LIVE[-1].rank if _LIVE else 0


class _Bucket:
    """Gradients of several keys packed in one buffer for one allreduce."""

    def __init__(self, dtype):
        self.dtype = dtype
        self.parts = []        # (key, host array)
        self.nbytes = 0
        self.buf = None
        self.requests = []

    def start(self, group):
        if len(self.parts) == 1:
            self.buf = self.parts[0][1].ravel()     # already this push's own copy
        else:
            self.buf = np.concatenate([a.ravel() for _, a in self.parts])
        self.requests = [group.start_allreduce(self.buf)]

    def results(self, group):
        what = "allreduce of " + ", ".join(str(k) for k, _ in self.parts)
        for request in self.requests:
            group.wait(request, what)
        off = 0
        for key, a in self.parts:
            yield key, self.buf[off:off + a.size].reshape(a.shape)
            off += a.size


class DistKVStore(AsyncServer, KVStore):
    """A kvstore shared by the workers of an MPI job (MXNet's KVStoreDist on MPI)."""

    _defers_reduction = True     # Module pushes every gradient before the first pull

    def __init__(self, kv_type):
        super().__init__(kv_type)
        self._group = get_group()
        # 'dist' alone is synchronous, as in MXNet (and, as there, Module does not scale
        # rescale_grad by the worker count for it: the name lacks '_sync')
        self._async = "_async" in kv_type
        self._gc = None
        self._bucket = None              # filling
        self._in_flight = {}             # key -> started bucket
        self._bucket_bytes = int(os.environ.get("MXLITE_KVSTORE_BUCKET_BYTES", 0))
        self._barrier_on_exit = True
        self._closed = False
        self._lock = threading.RLock()
        self._server = None
        self._nccl = None
        if self._async and self._group.size > 1:
            self._srv = self._group._comm.Dup()
            if self.rank == 0:
                self._server = threading.Thread(target=self._serve, name="mxlite-kvstore-server",
                                                daemon=True)
                self._server.start()
        _LIVE.append(self)
        atexit.register(self._at_exit)

    # ----- identity
    @property
    def rank(self):
        return self._group.rank

    @property
    def num_workers(self):
        return self._group.size

    @property
    def timeout(self):
        """Seconds a collective may wait before the peers are declared lost."""
        return self._group.timeout

    @timeout.setter
    def timeout(self, seconds):
        self._group.timeout = float(seconds)

    def _on_device(self):
        return "device" in self._type

    # ----- init / broadcast
    def init(self, key, value):
        """Every worker gets rank 0's value (MXNet: only rank 0's init reaches the server)."""
        pairs = _key_value_pairs(key, value, "init")
        for k, _ in pairs:
            self._check_key(k, "init")
            if k in self._store:
                raise MXNetError(f"kvstore.init: duplicate init of key {k}")
        for k, vals in pairs:
            host = _host(vals[0]).copy()
            self._group.broadcast(host, root=0)
            value = NDArray(host, cpu())
            self._store[k] = value.as_in_context(vals[0].context) if self._on_device() else value
        self._group.barrier()

    # ----- push / pull
    def push(self, key, value, priority=0):
        pairs = _key_value_pairs(key, value, "push")
        for k, vals in pairs:
            if k not in self._store:
                raise MXNetError(f"kvstore.push: key {k!r} has not been initialized")
            if any(v.shape != self._store[k].shape for v in vals):
                raise MXNetError(f"kvstore.push: key {k!r} holds shape {self._store[k].shape}, "
                                 f"pushed {[v.shape for v in vals]}")
            if k in self._in_flight or (self._bucket and any(k == p for p, _ in
                                                             self._bucket.parts)):
                self._complete(k)        # a second push of a key waits for the first
        for k, vals in pairs:
            merged = self._reduce(vals)
            if self._async:
                self._push_async(k, merged)
            elif self._gc is not None:
                self._push_compressed(k, merged)
            elif self._nccl_for(merged) is not None:
                self._nccl.allreduce(merged._data)    # merged is this push's own copy
                self._apply(k, merged)
            else:
                # merged is this push's own array (KVStore._reduce copies)
                self._add_to_bucket(k, _host(merged))

    def _add_to_bucket(self, key, grad):
        if self._bucket is not None and (self._bucket.dtype != grad.dtype or
                                         self._bucket.nbytes + grad.nbytes > self._bucket_bytes):
            self._flush()       # a bucket holds one dtype and stays within the bucket size
        if self._bucket is None:
            self._bucket = _Bucket(grad.dtype)
        self._bucket.parts.append((key, grad))
        self._bucket.nbytes += grad.nbytes
        if self._bucket.nbytes >= self._bucket_bytes:
            self._flush()

    def _flush(self):
        b, self._bucket = self._bucket, None
        if b is None:
            return
        b.start(self._group)
        for k, _ in b.parts:
            self._in_flight[k] = b

    def _complete(self, key):
        """Finish the reduction holding ``key`` and apply its keys' updates."""
        if self._bucket is not None and any(k == key for k, _ in self._bucket.parts):
            self._flush()
        b = self._in_flight.get(key)
        if b is None:
            return
        for k, total in b.results(self._group):
            del self._in_flight[k]
            self._apply(k, total)

    def _nccl_for(self, merged):
        """The NCCL group for GPU pushes of 'dist_device_sync' (None: go through MPI on host)."""
        if ("device" not in self._type or self.num_workers == 1
                or merged.context.device_type != "gpu"):
            return None
        if self._nccl is None:
            from .nccl import NcclGroup, _nccl
            self._nccl = NcclGroup(self._group, merged.context.device_id) if _nccl() else False
        return self._nccl or None

    def _apply(self, key, total):
        stored = self._store[key]
        if not isinstance(total, NDArray) and self._updater is None and \
                stored.context == cpu() and stored.dtype == total.dtype:
            stored._data[...] = total          # no optimizer: the store keeps the sum
            return
        if not isinstance(total, NDArray):
            total = NDArray(np.ascontiguousarray(total), cpu())   # a view of the reduced buffer
        merged = total
        if merged.context != stored.context:
            merged = merged.as_in_context(stored.context)
        if self._updater is not None:
            self._updater(key, merged, stored)
        else:
            stored._assign(merged)

    def _push_compressed(self, key, merged):
        g = _host(merged)
        packed = self._gc.quantize(key, g)
        every = self._group.allgather(packed)
        total = np.zeros(g.size, np.float32)
        for codes in every:
            total += self._gc.dequantize(codes, g.size)
        self._apply(key, total.reshape(g.shape).astype(g.dtype, copy=False))

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        pairs = _pull_pairs(self._store, key, out)
        for k, outs in pairs:
            if self._async:
                self._pull_async(k)
            else:
                self._complete(k)
            for o in outs:
                o._assign(self._store[k])

    # ----- optimizer
    def set_optimizer(self, optimizer):
        """Apply ``optimizer`` where the weights live: on every worker (dist_sync), on rank 0's
        server (dist_async: every worker sends it, as MXNet's workers send it to the servers, so
        a worker's pushes never reach the server before an optimizer does)."""
        if self._async and self.num_workers > 1 and self.rank != 0:
            from ..optimizer import get_updater
            self._updater = get_updater(optimizer)     # marks the store as having one
            self._group.wait(self._srv.isend(optimizer, dest=0, tag=TAG_OPTIMIZER),
                             "set_optimizer")
            return
        if self._async:
            self._install_updater(optimizer)
        else:
            super().set_optimizer(optimizer)

    def set_gradient_compression(self, compression_params):
        """2-bit compression of what each worker sends (MXNet's residual semantics)."""
        self._gc = GradientCompression(compression_params)

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """Write the optimizer states (dist_async: fetched from rank 0, which holds them)."""
        if self._async and self.rank != 0 and self.num_workers > 1:
            self._group.wait(self._srv.isend(dump_optimizer, dest=0, tag=TAG_STATES))
            req = self._srv.irecv(source=0, tag=TAG_REPLY)
            states = req.wait()
            if states is None:
                raise MXNetError("kvstore.save_optimizer_states: no optimizer set")
            from ..utils import atomic_write_bytes
            atomic_write_bytes(fname, states)
            return
        with self._lock:
            super().save_optimizer_states(fname, dump_optimizer)

    def load_optimizer_states(self, fname):
        """Load states on every worker (dist_async: rank 0's server uses them)."""
        with self._lock:
            super().load_optimizer_states(fname)

    # ----- synchronisation and exit
    def barrier(self):
        """Wait until every worker reaches this point (dist_async: with its pushes applied, as
        an MXNet push completes once the server has applied it)."""
        self._drain()
        if self._async and self.num_workers > 1 and self.rank != 0:
            ack = np.empty(1)
            self._group.wait(self._srv.isend(None, dest=0, tag=TAG_FENCE), "barrier")
            self._group.wait(self._srv.Irecv(ack, source=0, tag=TAG_REPLY), "barrier")
        self._group.barrier()

    def _drain(self):
        self._flush()
        for k in list(self._in_flight):
            self._complete(k)

    def _set_barrier_before_exit(self, barrier_before_exit=True):
        self._barrier_on_exit = bool(barrier_before_exit)

    def _barrier_before_exit(self):
        self._set_barrier_before_exit(True)

    def _at_exit(self):
        if self._closed:
            return
        self._closed = True
        if self._group._broken:
            # the program went on after a failure MXNetError: MPI_Finalize would hang
            from .mpi import _abort
            _abort(self._group)
        try:
            self._exit_barrier()
        except MXNetError as exc:
            # a peer failed while this worker was finishing: report it and end the job, as an
            # uncaught error does (MPI_Finalize would wait for the peer forever)
            import sys
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _exit_barrier(self):
        if self._async and self.num_workers > 1 and self.rank != 0:
            self._group.wait(self._srv.isend(None, dest=0, tag=TAG_STOP), "exit")
        if self._barrier_on_exit or self._async:
            self._drain()
            self._group.barrier()
        if self._server is not None:
            self._server.join(self._group.timeout)


def reduce_metric(eval_metric, kv):
    """Sum an EvalMetric's ``sum_metric`` / ``num_inst`` over the workers of ``kv``, in place, so
    ``get()`` reports the metric of the whole job (each worker otherwise reports its shard)."""
    group = getattr(kv, "_group", None)
    if group is None or group.size == 1:
        return eval_metric
    metrics = getattr(eval_metric, "metrics", None) or [eval_metric]
    for m in metrics:
        both = np.array([m.sum_metric, m.num_inst], np.float64)
        group.allreduce(both)
        m.sum_metric, m.num_inst = float(both[0]), int(both[1])
    return eval_metric
