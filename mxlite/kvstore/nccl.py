"""'nccl': one process's GPUs reduced with NCCL (``cupy.cuda.nccl``), MXNet's KVStoreNCCL.

A push of one value per GPU runs an NCCL all-reduce across those GPUs (one communicator per set
of devices, made once with ``NcclCommunicator.initAll``); the sum is then stored (or handed to the
updater) on the first value's device, as the 'device' store does. Without NCCL in CuPy, or for
values not on distinct GPUs, it reduces as 'device' does (peer copies).

Not run by the test suite on machines without a GPU: the gpu-marked tests exercise it where a
device exists.
"""
from .local import KVStore

__all__ = ["NCCLKVStore"]


def _nccl():
    try:
        from cupy.cuda import nccl
    except ImportError:
        return None
    return nccl if getattr(nccl, "available", True) and hasattr(nccl, "NcclCommunicator") else None


class NCCLKVStore(KVStore):
    """A single-process store whose reduction across GPUs is an NCCL all-reduce."""

    def __init__(self):
        super().__init__("nccl")
        self._comms = {}

    def _on_device(self):
        return True

    def _reduce(self, vals, key=None):
        devices = [v.context.device_id for v in vals]
        nccl = _nccl()
        gpus = all(v.context.device_type == "gpu" for v in vals)
        if (len(vals) < 2 or nccl is None or not gpus or len(set(devices)) != len(devices)
                or self._compression is not None):
            return super()._reduce(vals, key)
        import cupy
        comms = self._comms.get(tuple(devices))
        if comms is None:
            comms = self._comms[tuple(devices)] = nccl.NcclCommunicator.initAll(devices)
        bufs = [v.copy() for v in vals]
        dtype = _nccl_dtype(nccl, bufs[0]._data.dtype)
        nccl.groupStart()
        for comm, b, dev in zip(comms, bufs, devices):
            with cupy.cuda.Device(dev):
                stream = cupy.cuda.get_current_stream()
                comm.allReduce(b._data.data.ptr, b._data.data.ptr, b._data.size, dtype,
                               nccl.NCCL_SUM, stream.ptr)
        nccl.groupEnd()
        for dev in devices:
            with cupy.cuda.Device(dev):
                cupy.cuda.get_current_stream().synchronize()
        return bufs[0]


def _nccl_dtype(nccl, dtype):
    table = {"float16": nccl.NCCL_FLOAT16, "float32": nccl.NCCL_FLOAT32,
             "float64": nccl.NCCL_FLOAT64, "int32": nccl.NCCL_INT32, "int64": nccl.NCCL_INT64,
             "uint8": nccl.NCCL_UINT8, "int8": nccl.NCCL_INT8}
    return table[str(dtype)]


class NcclGroup:
    """NCCL across the processes of an MPI group, one GPU each ('dist_device_sync' on GPUs).

    The NCCL unique id travels from rank 0 over MPI; each collective is enqueued on the current
    stream and waited on through the MPI group's wait loop (so the failure checks and the timeout
    apply to NCCL too).
    """

    def __init__(self, group, device_id):
        import cupy
        nccl = _nccl()
        if nccl is None:
            raise ImportError("cupy.cuda.nccl is not available")
        self._nccl, self._cupy, self._group = nccl, cupy, group
        uid = group.bcast_object(nccl.get_unique_id() if group.rank == 0 else None)
        with cupy.cuda.Device(device_id):
            self._comm = nccl.NcclCommunicator(group.size, uid, group.rank)
        self.device_id = device_id

    def allreduce(self, arr):
        """Sum the CuPy array ``arr`` over the group, in place."""
        cupy, nccl = self._cupy, self._nccl
        with cupy.cuda.Device(self.device_id):
            stream = cupy.cuda.get_current_stream()
            self._comm.allReduce(arr.data.ptr, arr.data.ptr, arr.size, _nccl_dtype(nccl, arr.dtype),
                                 nccl.NCCL_SUM, stream.ptr)
            event = stream.record()
            self._group.wait(_EventRequest(event), "NCCL allreduce")
        return arr


class _EventRequest:
    """A CUDA event looked at as an MPI request (``Test``)."""

    def __init__(self, event):
        self._event = event

    def Test(self):  # noqa: N802 (MPI's spelling, read by ProcessGroup._wait)
        return self._event.done
