"""``mx.nd.save`` / ``mx.nd.load``: MXNet's binary NDArray list format (``.params``, ``.nd``).

The writer produces the V2 layout byte for byte as MXNet 1.9.1 does (src/ndarray/ndarray.cc
``NDArray::Save``), or under NumPy-shape semantics (``mx.np_shape``) the V3 layout, where ndim 0 is
a scalar with data. As in MXNet, a V3 file loads only under NumPy-shape semantics and the older
layouts only outside it. The reader also takes the V1 layout (magic 0xF993FAC8), the pre-V1 one
(no magic, ``uint32`` dims), and sparse (row_sparse, csr) arrays, which it densifies because mxlite
only has default storage.

A file is treated as hostile: every count and size is checked against the bytes that remain
*before* anything is allocated, every field is validated, and each failure is an MXNetError naming
the file, the byte offset and the field. Nothing is evaluated or unpickled; data is copied out of
the buffer into fresh arrays. The one size a file does not back with bytes, a sparse array's dense
shape, is capped by ``MAX_DENSE_BYTES``.
"""
import os
import struct

import numpy as np

from ..base import DTYPE_MX_TO_NP, DTYPE_NP_TO_MX, MXNetError, string_types
from ..context import Context, cpu, num_gpus
from ..util import is_np_shape
from ..utils import atomic_write_bytes
from .ndarray import NDArray

__all__ = ["save", "load", "load_frombuffer", "save_tobuffer", "MAX_DENSE_BYTES"]

# Largest dense array a sparse record may expand to; raise it to load big sparse files you trust.
MAX_DENSE_BYTES = 1 << 30

_LIST_MAGIC = 0x112
_V1_MAGIC = 0xF993FAC8
_V2_MAGIC = 0xF993FAC9
_V3_MAGIC = 0xF993FACA
_MAX_NDIM = 32  # NumPy 1.x's limit; also what tells a pre-V1 ndim from a corrupt magic
# storage type -> number of aux arrays: default 0, row_sparse 1 (idx), csr 2 (indptr, idx)
_NUM_AUX = {0: 0, 1: 1, 2: 2}
_DEV_TYPES = (1, 2, 3, 5)  # cpu, gpu, cpu_pinned, cpu_shared (include/mxnet/base.h)
# The smallest array record: a pre-V1 "none" array is just its u32 ndim of 0.
_MIN_ARRAY_BYTES = 4


# ----- writing ------------------------------------------------------------------------------------
def _check_fname(fname):
    if isinstance(fname, os.PathLike):
        fname = os.fspath(fname)
    if not isinstance(fname, string_types):
        raise TypeError("fname required to be a string")
    return fname


def _items(data):
    """(names or None, arrays) from save's ``data``, with MXNet's type checks (ndarray/utils.py)."""
    if isinstance(data, NDArray):
        data = [data]
    if isinstance(data, dict):
        if any(not isinstance(k, string_types) for k in data) or \
                any(not isinstance(v, NDArray) for v in data.values()):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        return list(data.keys()), list(data.values())
    if isinstance(data, list):
        if any(not isinstance(v, NDArray) for v in data):
            raise TypeError("save only accept dict str->NDArray or list of NDArray")
        return None, data
    raise ValueError("data needs to either be a NDArray, dict of str, NDArray pairs "
                     "or a list of NDarrays.")


def _little_endian(dtype):
    if dtype.fields:  # bfloat16 is a one-field structured uint16
        return np.dtype([(name, dtype.fields[name][0].newbyteorder("<")) for name in dtype.names])
    return dtype.newbyteorder("<")


def save_tobuffer(data):
    """The bytes ``save(fname, data)`` writes (V2 layout, as MXNet 1.9.1).

    Parameters
    ----------
    data : NDArray, list of NDArray, or dict of str to NDArray

    Returns
    -------
    bytearray
    """
    names, arrays = _items(data)
    np_shape = is_np_shape()
    magic = _V3_MAGIC if np_shape else _V2_MAGIC
    out = bytearray(struct.pack("<QQQ", _LIST_MAGIC, 0, len(arrays)))
    for i, arr in enumerate(arrays):
        shape = arr.shape
        if len(shape) == 0 and not np_shape:
            label = repr(names[i]) if names is not None else f"at index {i}"
            # MXNet writes ndim 0 followed by the data, but reads ndim 0 as an empty "none" array
            # and desyncs on the rest: the file it writes cannot be loaded (§4.1 gotcha).
            raise MXNetError(f"Cannot save array {label} with shape (): MXNet's file format has no "
                             f"0-d arrays (MXNet itself writes a file it cannot load back). "
                             f"Reshape it to (1,) first.")
        flag = DTYPE_NP_TO_MX.get(arr._data.dtype)
        if flag is None:
            raise TypeError(f"Cannot save array of dtype {arr._data.dtype}: MXNet has no type flag "
                            f"for it")
        ctx = arr.context
        out += struct.pack(f"<Iii{len(shape)}qiii", magic, 0, len(shape), *shape,
                           ctx.device_typeid, ctx.device_id, flag)
        host = arr._data if isinstance(arr._data, np.ndarray) else arr.asnumpy()
        if host.size:  # (a zero-size array has no data bytes; memoryview cannot cast it)
            raw = np.ascontiguousarray(host, dtype=_little_endian(host.dtype))
            out += memoryview(raw).cast("B")
    out += struct.pack("<Q", 0 if names is None else len(names))
    for name in names or ():
        raw = name.encode("utf-8")
        out += struct.pack("<Q", len(raw)) + raw
    return out


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray in MXNet's binary format.

    The file is written through a temporary file and a rename, so a failure never leaves a partial
    file. GPU arrays record their device (dev_type 2) as MXNet does.

    Parameters
    ----------
    fname : str or os.PathLike
    data : NDArray, list of NDArray, or dict of str to NDArray

    Raises
    ------
    TypeError
        A list or dict holding something other than NDArrays (or non-str keys).
    ValueError
        ``data`` of any other type.
    MXNetError
        A 0-d array, or the file cannot be written.
    """
    fname = _check_fname(fname)
    blob = save_tobuffer(data)
    try:
        atomic_write_bytes(fname, blob)
    except OSError as err:
        raise MXNetError(f'Cannot save NDArray file: Open "{fname}": {err.strerror or err}') \
            from err


# ----- reading ------------------------------------------------------------------------------------
class _Reader:
    """Bounds-checked little-endian reads from a memoryview; errors name source, offset, field."""

    def __init__(self, buf, source):
        self.buf = buf
        self.pos = 0
        self.source = source
        self.none_arrays = []  # offsets of ndim-0 arrays: the likely cause of a later desync

    def error(self, field, problem, at=None):
        at = self.pos if at is None else at
        hint = ""
        if self.none_arrays:
            hint = (f" (the array at byte {self.none_arrays[0]} has ndim 0: MXNet writes a 0-d "
                    f"array that way and cannot read such a file back)")
        return MXNetError(f"Invalid NDArray file {self.source}: byte {at}, {field}: "
                          f"{problem}{hint}")

    def remaining(self):
        return len(self.buf) - self.pos

    def need(self, nbytes, field):
        if nbytes > self.remaining():
            raise self.error(field, f"needs {nbytes} bytes but only {self.remaining()} remain "
                                    f"(truncated or corrupt file)")

    def unpack(self, fmt, field):
        size = struct.calcsize(fmt)
        self.need(size, field)
        values = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return values

    def scalar(self, fmt, field):
        return self.unpack(fmt, field)[0]

    def count(self, field, min_item_bytes):
        """A u64 element count, refused when the remaining bytes cannot hold that many items."""
        at = self.pos
        n = self.scalar("<Q", field)
        if n > self.remaining() // min_item_bytes:
            raise self.error(field, f"{n} items cannot fit in the {self.remaining()} bytes left",
                             at)
        return n

    def shape(self, field, dim_fmt="q", ndim=None):
        at = self.pos
        if ndim is None:
            ndim = self.scalar("<i", field + " ndim")
        if not 0 <= ndim <= _MAX_NDIM:
            raise self.error(field + " ndim", f"{ndim} is out of range [0, {_MAX_NDIM}]", at)
        dims = self.unpack(f"<{ndim}{dim_fmt}", field + " dims")
        for d in dims:
            if d < 0:
                raise self.error(field + " dims", f"negative dimension in {dims}", at)
        return tuple(int(d) for d in dims)

    def data(self, shape, dtype, field):
        """A fresh native-order array of ``shape`` copied out of the buffer."""
        count = 1
        for d in shape:
            count *= d
        nbytes = count * dtype.itemsize
        self.need(nbytes, f"{field} ({_dtype_label(dtype)} x {count})")
        try:
            if dtype == np.bool_:  # any non-zero byte is True; never expose raw non-0/1 bools
                raw = np.frombuffer(self.buf, np.uint8, count, self.pos)
                host = (raw != 0).reshape(shape)
            else:
                raw = np.frombuffer(self.buf, _little_endian(dtype), count, self.pos)
                host = raw.astype(dtype, copy=True).reshape(shape)
        except (ValueError, MemoryError) as err:
            raise self.error(field, f"cannot hold shape {shape}: {err}") from None
        self.pos += nbytes
        return host


def _dtype_label(dtype):
    return "bfloat16" if dtype.fields else dtype.name


def _dtype(reader, field):
    at = reader.pos
    flag = reader.scalar("<i", field)
    if flag < 0 or flag not in DTYPE_MX_TO_NP:
        raise reader.error(field, f"unknown type flag {flag}", at)
    return DTYPE_MX_TO_NP[flag]


def _context(reader, field):
    at = reader.pos
    dev_type, dev_id = reader.unpack("<ii", field)
    if dev_type not in _DEV_TYPES or dev_id < 0:
        raise reader.error(field, f"invalid device (dev_type {dev_type}, dev_id {dev_id}); "
                                  f"expected dev_type 1, 2, 3 or 5 and dev_id >= 0", at)
    # MXNet (ndarray.cc NDArray::Load) puts CPU-family arrays on cpu(0) and GPU arrays back on
    # their GPU when the machine has one, else on the CPU.
    if dev_type == 2 and dev_id < num_gpus():
        return Context("gpu", dev_id)
    return cpu(0)


def _read_array(reader, index):
    start = reader.pos
    what = f"array {index}"
    magic = reader.scalar("<I", what + " magic")
    stype, sshape = 0, None
    np_shape = is_np_shape()
    if magic == _V3_MAGIC and not np_shape:
        raise reader.error(what + " magic", "0xF993FACA is the V3 layout MXNet writes in "
                                            "NumPy-shape mode: ndarray was saved in np shape "
                                            "semantics, must be loaded in the same semantics "
                                            "(load it inside `with mx.np_shape(True):`)", start)
    if magic != _V3_MAGIC and np_shape:
        raise reader.error(what + " magic", "ndarray was not saved in np shape semantics, but "
                                            "being loaded in np shape semantics: load it inside "
                                            "`with mx.np_shape(False):`", start)
    if magic in (_V2_MAGIC, _V3_MAGIC):
        at = reader.pos
        stype = reader.scalar("<i", what + " storage type")
        if stype not in _NUM_AUX:
            raise reader.error(what + " storage type", f"unknown storage type {stype}", at)
        if _NUM_AUX[stype]:
            sshape = reader.shape(what + " storage shape")
        shape = reader.shape(what + " shape")
    elif magic == _V1_MAGIC:
        shape = reader.shape(what + " shape")
    elif magic <= _MAX_NDIM:  # pre-V1: the first u32 is the ndim, the dims are u32
        shape = reader.shape(what + " shape", dim_fmt="I", ndim=magic)
    else:
        raise reader.error(what + " magic", f"unknown magic 0x{magic:08X} (expected 0xF993FAC9, "
                                            f"0xF993FAC8 or a pre-V1 ndim <= {_MAX_NDIM})", start)
    if len(shape) == 0 and magic != _V3_MAGIC:
        reader.none_arrays.append(start)
        return None  # an empty ("none") NDArray handle in MXNet
    ctx = _context(reader, what + " context")
    dtype = _dtype(reader, what + " type flag")
    if sshape is None:
        host = reader.data(shape, dtype, what + " data")
    else:
        host = _read_sparse(reader, what, stype, shape, sshape, dtype)
    arr = NDArray(host, cpu(0))
    return arr if not ctx.is_gpu else arr.copyto(ctx)


def _read_sparse(reader, what, stype, shape, sshape, dtype):
    """Read a row_sparse or csr record and return it densified (with index validation)."""
    aux = []
    for k in range(_NUM_AUX[stype]):
        aux_dtype = _dtype(reader, f"{what} aux {k} type flag")
        if aux_dtype.kind not in "iu":
            raise reader.error(f"{what} aux {k} type flag", f"index type {aux_dtype} is not an "
                                                            f"integer type")
        aux.append((aux_dtype, reader.shape(f"{what} aux {k} shape")))
    at = reader.pos
    values = reader.data(sshape, dtype, what + " data")
    index = [reader.data(s, t, f"{what} aux {k} data").astype(np.int64).reshape(-1)
             for k, (t, s) in enumerate(aux)]
    bad = lambda problem: reader.error(what, f"inconsistent sparse array: {problem}", at)  # noqa
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    if nbytes > MAX_DENSE_BYTES:
        raise reader.error(what, f"densifying this sparse array to shape {shape} needs {nbytes} "
                                 f"bytes, more than mxlite.ndarray.utils.MAX_DENSE_BYTES "
                                 f"({MAX_DENSE_BYTES}); raise that limit if you trust the file", at)
    dense = np.zeros(shape, dtype)
    if stype == 1:  # row_sparse: values[i] is row index[0][i]
        rows = index[0]
        if sshape[1:] != shape[1:] or len(rows) != sshape[0]:
            raise bad(f"storage shape {sshape} does not fit shape {shape}")
        if rows.size and (rows.min() < 0 or rows.max() >= shape[0]):
            raise bad("row index out of range")
        dense[rows] = values
        return dense
    indptr, cols = index  # csr
    if len(shape) != 2 or len(indptr) != shape[0] + 1 or len(sshape) != 1 \
            or len(cols) != sshape[0]:
        raise bad(f"csr storage shape {sshape} / aux shapes do not fit shape {shape}")
    if indptr[0] != 0 or indptr[-1] != len(cols) or np.any(np.diff(indptr) < 0):
        raise bad("indptr is not a non-decreasing sequence from 0 to nnz")
    if cols.size and (cols.min() < 0 or cols.max() >= shape[1]):
        raise bad("column index out of range")
    dense[np.repeat(np.arange(shape[0]), np.diff(indptr)), cols] = values
    return dense


def _parse(buf, source):
    reader = _Reader(memoryview(buf).cast("B"), source)
    header = reader.scalar("<Q", "header")
    if header != _LIST_MAGIC:
        raise reader.error("header", f"magic 0x{header:X} is not 0x112: not an MXNet NDArray file",
                           0)
    reader.scalar("<Q", "reserved")  # MXNet ignores this field too
    arrays = [_read_array(reader, i)
              for i in range(reader.count("array count", _MIN_ARRAY_BYTES))]
    at = reader.pos
    names = []
    for i in range(reader.count("name count", 8)):
        name_at = reader.pos
        raw = bytes(reader.unpack(f"<{reader.count(f'name {i} length', 1)}s", f"name {i}")[0])
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError as err:
            raise reader.error(f"name {i}", f"not UTF-8 ({err.reason})", name_at) from None
    if names and len(names) != len(arrays):
        raise reader.error("name count", f"{len(names)} names for {len(arrays)} arrays", at)
    if not names:
        return arrays
    return dict(zip(names, arrays, strict=True))


def load(fname):
    """Load arrays saved by ``mx.nd.save`` (mxlite or MXNet, any layout MXNet 1.9 reads).

    Parameters
    ----------
    fname : str or os.PathLike

    Returns
    -------
    list of NDArray or dict of str to NDArray
        A list when the file stores no names (so an empty dict loads back as ``[]``, as in MXNet).
        An array MXNet wrote as an empty handle (ndim 0) comes back as None.

    Raises
    ------
    MXNetError
        The file cannot be opened, or is not a valid NDArray file (the message names the byte
        offset and the field).
    """
    fname = _check_fname(fname)
    try:
        with open(fname, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise MXNetError(f'Cannot load NDArray file: Open "{fname}": {err.strerror or err}') \
            from err
    return _parse(buf, repr(fname))


def load_frombuffer(buf):
    """Load arrays from the bytes of a file written by ``mx.nd.save``.

    Parameters
    ----------
    buf : bytes, bytearray or memoryview

    Returns
    -------
    list of NDArray or dict of str to NDArray
    """
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise TypeError("buf required to be a string or bytes")
    return _parse(buf, "<buffer>")


def array_to_raw_bytes(arr):
    """One array in MXNet's single-array record layout (``MXNDArraySaveRawBytes``), the state an
    MXNet NDArray pickles to."""
    buf = save_tobuffer([arr])
    return bytes(buf[24:-8])  # drop the list header (magic, reserved, count) and the name count


def array_from_raw_bytes(raw, source="pickled NDArray"):
    """The NDArray stored by :func:`array_to_raw_bytes` (or by MXNet's pickling)."""
    reader = _Reader(memoryview(bytes(raw)), source)
    arr = _read_array(reader, 0)
    if arr is None:
        raise MXNetError(f"{source}: holds an empty (none) array")
    return arr
