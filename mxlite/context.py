"""Devices: ``Context``, ``cpu()``, ``gpu()``, the thread-local default, and the array module per
device.

A cpu context computes with NumPy, a gpu context with CuPy. CuPy is imported on first gpu use only,
so ``import mxlite`` never touches a GPU; without CuPy or a device, gpu work raises MXNetError with
an install hint. float32 GEMMs on the GPU use full float32 precision unless the user opts into TF32
with ``MXLITE_TF32=1`` (set before the first gpu use).
"""
import os
import threading

import numpy as np

from .base import MXNetError

__all__ = ["Context", "cpu", "gpu", "cpu_pinned", "current_context", "num_gpus", "gpu_memory_info",
           "array_module"]

_INSTALL_HINT = ("GPU support needs CuPy and a CUDA device: pip install 'mxlite[cuda13]' "
                 "(or 'mxlite[cuda12]' for CUDA 12)")


class Context:
    """A device on which NDArrays live and ops run (MXNet's ``mx.Context``).

    Parameters
    ----------
    device_type : {'cpu', 'gpu', 'cpu_pinned', 'cpu_shared'} or Context
    device_id : int
    """

    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}
    _default = threading.local()

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            self.device_typeid = device_type.device_typeid
            self.device_id = device_type.device_id
        else:
            self.device_typeid = Context.devstr2type[device_type]
            self.device_id = int(device_id)
        self._old_ctx = None

    @property
    def device_type(self):
        return Context.devtype2str[self.device_typeid]

    def __hash__(self):
        return hash((self.device_typeid, self.device_id))

    def __eq__(self, other):
        return (isinstance(other, Context) and self.device_typeid == other.device_typeid
                and self.device_id == other.device_id)

    def __ne__(self, other):
        return not self.__eq__(other)

    def __str__(self):
        return f"{self.device_type}({self.device_id})"

    __repr__ = __str__

    def __enter__(self):
        self._old_ctx = current_context()
        Context._default.value = self
        return self

    def __exit__(self, *exc):
        Context._default.value = self._old_ctx

    def empty_cache(self):
        """Release cached device memory back to the driver (no-op on cpu)."""
        if self.device_typeid == 2:
            cp = cupy_module()
            with cp.cuda.Device(self.device_id):
                cp.get_default_memory_pool().free_all_blocks()

    @property
    def is_gpu(self):
        return self.device_typeid == 2


def cpu(device_id=0):
    """CPU context (computes with NumPy). ``device_id`` only labels arrays."""
    return Context("cpu", device_id)


def cpu_pinned(device_id=0):
    return Context("cpu_pinned", device_id)


def gpu(device_id=0):
    """GPU context (computes with CuPy on CUDA device ``device_id``)."""
    return Context("gpu", device_id)


def current_context():
    """The thread-local default context: ``cpu(0)`` unless a ``with ctx:`` block says otherwise."""
    ctx = getattr(Context._default, "value", None)
    if ctx is None:
        ctx = Context._default.value = Context("cpu", 0)
    return ctx


_cupy = None


def cupy_module():
    """Import CuPy on first use; MXNetError with the install hint when it or a device is missing."""
    global _cupy
    if _cupy is None:
        if os.environ.get("MXLITE_TF32") == "1":
            # TF32 matmuls are opt-in: CuPy reads this switch when it is imported
            os.environ.setdefault("CUPY_TF32", "1")
        try:
            import cupy
        except ImportError:
            raise MXNetError(f"GPU is not enabled: CuPy is not installed. "
                             f"{_INSTALL_HINT}") from None
        try:
            count = cupy.cuda.runtime.getDeviceCount()
        except Exception as err:  # CUDA driver missing or broken
            raise MXNetError(f"GPU is not enabled: {err}. {_INSTALL_HINT}") from None
        if count == 0:
            raise MXNetError(f"GPU is not enabled: no CUDA device found. {_INSTALL_HINT}")
        _cupy = cupy
    return _cupy


def num_gpus():
    """Number of CUDA devices visible (0 when CuPy or the driver is missing)."""
    try:
        return cupy_module().cuda.runtime.getDeviceCount()
    except MXNetError:
        return 0


def gpu_memory_info(device_id=0):
    """(free, total) bytes of GPU ``device_id``."""
    cp = cupy_module()
    with cp.cuda.Device(device_id):
        return cp.cuda.runtime.memGetInfo()


def array_module(ctx):
    """NumPy for cpu contexts, CuPy for gpu contexts."""
    if ctx.device_typeid == 2:
        cp = cupy_module()
        if ctx.device_id >= cp.cuda.runtime.getDeviceCount():
            raise MXNetError(f"GPU {ctx.device_id} does not exist: "
                             f"{cp.cuda.runtime.getDeviceCount()} device(s) visible")
        return cp
    return np


def device_scope(ctx):
    """A context manager making ``ctx``'s CUDA device current (a no-op for cpu)."""
    if ctx.device_typeid == 2:
        return cupy_module().cuda.Device(ctx.device_id)
    return _NULL_SCOPE


class _NullScope:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL_SCOPE = _NullScope()
