"""DLPack exchange: ``mx.nd.from_dlpack``, ``mx.nd.to_dlpack_for_read/write``.

Zero-copy both ways. Exporting hands out NumPy's or CuPy's own DLPack capsule for the array's data,
so ``np.from_dlpack(nd)``, ``torch.from_dlpack(nd)`` and ``cupy.from_dlpack(nd)`` see the same
memory. Importing accepts a DLPack capsule (MXNet 1.x's form, e.g. from
``torch.utils.dlpack.to_dlpack``) or any object with ``__dlpack__``. Host tensors are consumed here
with ctypes rather than by ``np.from_dlpack``, because NumPy marks arrays made from unversioned
capsules read-only, while MXNet's ``from_dlpack`` result is writable and writes are seen by the
producer. CUDA tensors go to CuPy.
"""
import ctypes

import numpy as np

from ..base import DTYPE_NP_TO_MX, MXNetError
from ..context import Context, cpu, cupy_module
from .ndarray import NDArray

__all__ = ["from_dlpack", "to_dlpack_for_read", "to_dlpack_for_write", "ndarray_dlpack",
           "ndarray_dlpack_device"]

_KDL_CPU, _KDL_CUDA, _KDL_CUDA_HOST = 1, 2, 3
_BF16 = np.dtype([("bfloat16", np.uint16)])
# DLDataType code -> NumPy kind (dlpack.h): kDLInt 0, kDLUInt 1, kDLFloat 2, kDLBfloat 4, kDLBool 6.
_KINDS = {0: "i", 1: "u", 2: "f", 6: "b"}


class _DLDevice(ctypes.Structure):
    _fields_ = [("device_type", ctypes.c_int32), ("device_id", ctypes.c_int32)]


class _DLDataType(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint8), ("bits", ctypes.c_uint8), ("lanes", ctypes.c_uint16)]


class _DLTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("device", _DLDevice), ("ndim", ctypes.c_int32),
                ("dtype", _DLDataType), ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("strides", ctypes.POINTER(ctypes.c_int64)), ("byte_offset", ctypes.c_uint64)]


class _DLManagedTensor(ctypes.Structure):
    pass


# The deleter runs Python-object cleanup in NumPy/PyTorch producers, so it is called with the GIL.
_DELETER = ctypes.PYFUNCTYPE(None, ctypes.POINTER(_DLManagedTensor))
_DLManagedTensor._fields_ = [("dl_tensor", _DLTensor), ("manager_ctx", ctypes.c_void_p),
                             ("deleter", _DELETER)]

_api = ctypes.pythonapi
_api.PyCapsule_IsValid.restype = ctypes.c_int
_api.PyCapsule_IsValid.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_GetPointer.restype = ctypes.c_void_p
_api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_api.PyCapsule_SetName.restype = ctypes.c_int
_api.PyCapsule_SetName.argtypes = [ctypes.py_object, ctypes.c_char_p]
_USED = ctypes.c_char_p(b"used_dltensor")  # must outlive every capsule renamed with it


def _is_capsule(obj):
    return type(obj).__name__ == "PyCapsule"


def _dtype(dl):
    """NumPy dtype of a DLDataType; MXNetError for what MXNet has no dtype for."""
    code, bits, lanes = dl.code, dl.bits, dl.lanes
    if lanes != 1:
        raise MXNetError(f"from_dlpack: vector dtypes (lanes={lanes}) are not supported")
    if code == 4 and bits == 16:
        return _BF16
    if code in _KINDS and bits % 8 == 0:
        dt = np.dtype(f"{_KINDS[code]}{bits // 8}") if code != 6 else np.dtype(np.bool_)
        if dt in DTYPE_NP_TO_MX and (code != 6 or bits == 8):
            return dt
    raise MXNetError(f"from_dlpack: DLPack dtype (code {code}, bits {bits}) has no MXNet dtype")


class _HostOwner:
    """Exposes a consumed DLManagedTensor to NumPy; calls the producer's deleter when released."""

    def __init__(self, managed, dtype):
        self._managed = managed
        t = managed.contents.dl_tensor
        shape = tuple(t.shape[i] for i in range(t.ndim))
        strides = None
        if t.strides:
            strides = tuple(t.strides[i] * dtype.itemsize for i in range(t.ndim))
        self.__array_interface__ = {
            "version": 3, "shape": shape, "strides": strides, "typestr": dtype.str,
            "descr": dtype.descr if dtype.fields else [("", dtype.str)],
            "data": ((t.data or 0) + t.byte_offset, False)}

    def __del__(self):
        managed, self._managed = self._managed, None
        if managed and managed.contents.deleter:
            managed.contents.deleter(managed)


def _consume_host(capsule):
    """A writable NumPy view of a host DLPack capsule; the capsule is marked used."""
    if not _api.PyCapsule_IsValid(capsule, b"dltensor"):
        raise MXNetError("Invalid DLPack Tensor. DLTensor capsules can be consumed only once.")
    ptr = _api.PyCapsule_GetPointer(capsule, b"dltensor")
    managed = ctypes.cast(ptr, ctypes.POINTER(_DLManagedTensor))
    dtype = _dtype(managed.contents.dl_tensor.dtype)  # refuse before taking ownership
    # Renaming hands ownership to us: the capsule's destructor skips a used capsule.
    _api.PyCapsule_SetName(capsule, _USED)
    owner = _HostOwner(managed, dtype)
    if any(d == 0 for d in owner.__array_interface__["shape"]):
        shape = owner.__array_interface__["shape"]
        del owner  # nothing to view: release the producer's memory now
        return np.zeros(shape, dtype)
    return np.asarray(owner)


def _capsule_device(capsule):
    if not _api.PyCapsule_IsValid(capsule, b"dltensor"):
        raise MXNetError("Invalid DLPack Tensor. DLTensor capsules can be consumed only once.")
    managed = ctypes.cast(_api.PyCapsule_GetPointer(capsule, b"dltensor"),
                          ctypes.POINTER(_DLManagedTensor))
    dev = managed.contents.dl_tensor.device
    return dev.device_type, dev.device_id


def _compact(data):
    # MXNet's TBlob(DLTensor) refuses strided tensors; copying instead would silently break the
    # memory sharing the caller asked for.
    if not data.flags.c_contiguous:
        raise MXNetError(f"from_dlpack: Unsupported DLPack because MXNet only support compact "
                         f"tensor now (got strides {data.strides} for shape {data.shape}); "
                         f"make the tensor contiguous first (e.g. torch's .contiguous())")
    return data


class _CapsuleSource:
    """Wraps a bare capsule in the ``__dlpack__`` protocol for CuPy."""

    def __init__(self, capsule, device):
        self._capsule, self._device = capsule, device

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return self._device


def from_dlpack(dlpack):
    """An NDArray sharing memory with a DLPack tensor (zero-copy).

    Parameters
    ----------
    dlpack : PyCapsule or object with ``__dlpack__``
        A capsule named ``"dltensor"`` (consumed: it cannot be used twice), or a tensor such as a
        NumPy/CuPy array or a PyTorch tensor.

    Returns
    -------
    NDArray
        On ``cpu(0)`` for host memory, on ``gpu(device_id)`` for CUDA memory. Writes through either
        side are seen by the other.
    """
    if _is_capsule(dlpack):
        device = _capsule_device(dlpack)
    elif hasattr(dlpack, "__dlpack__") and hasattr(dlpack, "__dlpack_device__"):
        device = tuple(int(d) for d in dlpack.__dlpack_device__())
    else:
        raise TypeError(f"from_dlpack expects a DLPack capsule or an object with __dlpack__, "
                        f"got {type(dlpack).__name__}")
    dev_type, dev_id = device
    if dev_type in (_KDL_CPU, _KDL_CUDA_HOST):
        capsule = dlpack if _is_capsule(dlpack) else dlpack.__dlpack__()
        return NDArray(_compact(_consume_host(capsule)), cpu(0))
    if dev_type == _KDL_CUDA:
        cp = cupy_module()
        source = _CapsuleSource(dlpack, device) if _is_capsule(dlpack) else dlpack
        with cp.cuda.Device(dev_id):
            data = cp.from_dlpack(source)
        if data.dtype not in DTYPE_NP_TO_MX:
            raise MXNetError(f"from_dlpack: dtype {data.dtype} has no MXNet dtype")
        return NDArray(_compact(data), Context("gpu", dev_id))
    raise MXNetError(f"from_dlpack: DLPack device type {dev_type} is not supported "
                     f"(only CPU, CUDA and CUDA host memory)")


def _export(data):
    if not isinstance(data, NDArray):
        raise TypeError(f"to_dlpack expects an NDArray, got {type(data).__name__}")
    if data._data.dtype == _BF16:
        raise MXNetError("to_dlpack: bfloat16 arrays cannot be exported (NumPy/CuPy have no "
                         "bfloat16 DLPack export)")
    data.wait_to_read()
    return data._data.__dlpack__()


def to_dlpack_for_read(data):
    """A DLPack capsule viewing ``data``'s memory (for a consumer that reads).

    Parameters
    ----------
    data : NDArray

    Returns
    -------
    PyCapsule
        Named ``"dltensor"``; pass it to ``torch.utils.dlpack.from_dlpack``, ``cupy.from_dlpack``
        or ``mx.nd.from_dlpack``.
    """
    return _export(data)


def to_dlpack_for_write(data):
    """A DLPack capsule viewing ``data``'s memory, for a consumer that writes into it.

    mxlite's engine is synchronous, so this is the same capsule ``to_dlpack_for_read`` gives;
    the two names are kept for MXNet compatibility.
    """
    return _export(data)


def ndarray_dlpack(arr, stream=None, **kwargs):
    """``NDArray.__dlpack__``: the data's own capsule; consumer keywords are passed through."""
    if arr._data.dtype == _BF16:
        raise BufferError("bfloat16 NDArrays cannot be exported through DLPack")
    if stream is not None:
        kwargs["stream"] = stream
    return arr._data.__dlpack__(**kwargs)


def ndarray_dlpack_device(arr):
    """``NDArray.__dlpack_device__``: ``(1, 0)`` on the CPU, ``(2, id)`` on a GPU."""
    if arr.context.is_gpu:
        return (_KDL_CUDA, arr.context.device_id)
    return (_KDL_CPU, 0)
