"""Iterators over files: ``CSVIter`` and ``MNISTIter`` (MXNet's C++ iterators, in NumPy).

Both load the file once into host memory. ``CSVIter`` batches like MXNet's BatchLoader: with
``round_batch`` the last batch wraps around to the first rows (``pad`` counts them) and the next
epoch starts after the rows already used; without it the last batch keeps stale rows of the batch
before. ``MNISTIter`` serves only full batches and scales pixels by 1/256, as MXNet does.
"""
import gzip
import os
import struct

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray import array
from .base import DataBatch, DataDesc, DataIter

__all__ = ["CSVIter", "LibSVMIter", "MNISTIter"]


class _ServesOneArray:
    """``next`` and the accessors of a file iterator whose ``iter_next`` sets ``_batch``: like
    MXNet's C++-backed iterators (MXDataIter), ``getdata``/``getlabel`` return one NDArray, not a
    list."""

    def next(self):
        if self.iter_next():
            return self._batch
        raise StopIteration

    def getdata(self):
        return self._batch.data[0]

    def getlabel(self):
        return self._batch.label[0]

    def getindex(self):
        return self._batch.index


class _BatchLoader(_ServesOneArray, DataIter):
    """Batches of rows of host arrays, with MXNet's round_batch rules (iter_batchloader.h)."""

    def __init__(self, data, label, batch_size, round_batch, data_name, label_name, ctx=None):
        super().__init__(batch_size)
        if len(data) < batch_size and round_batch:
            raise MXNetError(f"number of input must be bigger than batch size: {len(data)} "
                             f"samples, batch_size={batch_size}")
        self._rows = data
        self._labels = label
        self.round_batch = round_batch
        self._ctx = ctx or cpu()
        self._pos = 0
        self._overflow = 0
        self._buf = np.zeros((batch_size,) + data.shape[1:], data.dtype)
        self._lbuf = np.zeros((batch_size,) + label.shape[1:], label.dtype)
        self._ibuf = np.zeros(batch_size, np.uint64)
        self.provide_data = [DataDesc(data_name, self._buf.shape, data.dtype)]
        self.provide_label = [DataDesc(label_name, self._lbuf.shape, label.dtype)]
        self._batch = None

    def reset(self):
        # with round_batch, an epoch that ended by wrapping around continues from there
        if not self.round_batch or self._overflow == 0:
            self._pos = 0
        else:
            self._overflow = 0

    def _copy(self, top):
        self._buf[top] = self._rows[self._pos]
        self._lbuf[top] = self._labels[self._pos]
        self._ibuf[top] = self._pos
        self._pos += 1

    def iter_next(self):
        if self._overflow:
            return False  # the epoch ended by wrapping around; reset() continues from there
        n = len(self._rows)
        top = 0
        while self._pos < n and top < self.batch_size:
            self._copy(top)
            top += 1
        if top == 0:
            return False
        pad = 0
        if top < self.batch_size:
            if self.round_batch:
                self._overflow = 0
                self._pos = 0
                while top < self.batch_size:
                    self._copy(top)
                    top += 1
                    self._overflow += 1
                pad = self._overflow
            else:
                pad = self.batch_size - top
        self._batch = DataBatch([array(self._buf, self._ctx, self._buf.dtype)],
                                [array(self._lbuf, self._ctx, self._lbuf.dtype)], pad=pad,
                                index=self._ibuf.copy())
        return True

    def getpad(self):
        return self._batch.pad


def _read_csv(path, shape, what, dtype):
    if not os.path.exists(path):
        raise MXNetError(f"CSVIter: {what} file '{path}' does not exist")
    rows = np.loadtxt(path, delimiter=",", dtype=dtype, ndmin=2)
    width = int(np.prod(shape))
    if rows.shape[1] != width:
        raise MXNetError(f"CSVIter: {what} file '{path}' has {rows.shape[1]} values per row, "
                         f"expected {width} for shape {tuple(shape)}")
    return rows.reshape((rows.shape[0],) + tuple(shape))


def CSVIter(data_csv, data_shape, label_csv="NULL", label_shape=(1,), batch_size=1,  # noqa: N802
            round_batch=True, dtype="float32", data_name="data", label_name="softmax_label",
            ctx=None, **_ignored):
    """Batches of the rows of a CSV file, each reshaped to ``data_shape``.

    Parameters
    ----------
    data_csv : str
    data_shape : tuple
    label_csv : str
        'NULL' (MXNet's default) gives labels of zeros.
    label_shape : tuple
        (1,) gives labels of shape (batch_size,).
    batch_size : int
    round_batch : bool
        Fill the last batch from the start of the data (see the module docstring).
    dtype : str
        float32, int32, int64 or uint8.
    """
    data_shape = tuple(int(d) for d in np.atleast_1d(data_shape))
    label_shape = tuple(int(d) for d in np.atleast_1d(label_shape))
    data = _read_csv(data_csv, data_shape, "data", dtype)
    if label_csv in (None, "NULL"):
        label = np.zeros((len(data),) + label_shape, np.float32)
    else:
        label = _read_csv(label_csv, label_shape, "label", np.float32)
    if label_shape == (1,):
        label = label.reshape(len(label))
    if len(label) != len(data):
        raise MXNetError(f"CSVIter: {data_csv} has {len(data)} rows but {label_csv} has "
                         f"{len(label)}")
    return _BatchLoader(data, label, int(batch_size), bool(round_batch), data_name, label_name,
                        ctx)


def _read_libsvm(path, width, what):
    """(labels, dense rows) of a LibSVM text file: ``label idx:value ...`` with 0-based
    indices."""
    if not os.path.exists(path):
        raise MXNetError(f"LibSVMIter: {what} file '{path}' does not exist")
    labels, rows = [], []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            parts = line.split()
            if not parts:
                continue
            labels.append([float(v) for v in parts[0].split(",")])
            row = np.zeros(width, np.float32)
            for item in parts[1:]:
                idx, _, val = item.partition(":")
                k = int(idx)
                if not 0 <= k < width:
                    raise MXNetError(f"LibSVMIter: {path} line {lineno}: feature index {k} is "
                                     f"outside data_shape ({width},)")
                row[k] = float(val)
            rows.append(row)
    return labels, np.array(rows, np.float32).reshape(len(rows), width)


def LibSVMIter(data_libsvm, data_shape, label_libsvm="NULL", label_shape=(1,),  # noqa: N802
               batch_size=1, round_batch=True, data_name="data", label_name="softmax_label",
               ctx=None, **_ignored):
    """Batches of a LibSVM file as dense rows (MXNet returns CSR arrays; mxlite stores dense).

    Parameters
    ----------
    data_libsvm : str
    data_shape : tuple
        (num_features,).
    label_libsvm : str
        'NULL': the labels are the first field of each data line.
    label_shape : tuple
    batch_size : int
    round_batch : bool
    """
    width = int(np.prod(np.atleast_1d(data_shape)))
    labels, data = _read_libsvm(data_libsvm, width, "data")
    label_shape = tuple(int(d) for d in np.atleast_1d(label_shape))
    if label_libsvm not in (None, "NULL"):
        _, label = _read_libsvm(label_libsvm, int(np.prod(label_shape)), "label")
    else:
        label = np.array(labels, np.float32)
    label = label.reshape((len(label),) + (label_shape if label_shape != (1,) else ()))
    return _BatchLoader(data, label, int(batch_size), bool(round_batch), data_name, label_name,
                        ctx)


def _open(path):
    with open(path, "rb") as f:
        head = f.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path, magic):
    """The array of an idx-ubyte file (gzipped or not), checking its magic number."""
    if not os.path.exists(path):
        raise MXNetError(f"MNISTIter: file '{path}' does not exist")
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 8 or struct.unpack(">I", raw[:4])[0] != magic:
        raise MXNetError(f"MNISTIter: '{path}' is not an idx-ubyte file with magic {magic}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise MXNetError(f"MNISTIter: '{path}' is truncated ({body.size} of {int(np.prod(dims))} "
                         f"bytes)")
    return body.reshape(dims)


class MNISTIter(_ServesOneArray, DataIter):
    """MNIST from idx-ubyte files: images (batch, 1, 28, 28) or, ``flat``, (batch, 784), pixels
    divided by 256; labels (batch,). Only full batches are served.

    Parameters
    ----------
    image, label : str
        Paths of the idx files (gzip or plain).
    batch_size : int
    shuffle : bool
        Shuffle once at construction with ``seed`` (mxlite's own permutation; MXNet's C++
        shuffle order is not reproduced).
    flat : bool
    seed : int
    num_parts, part_index : int
        Read only part ``part_index`` of ``num_parts`` equal parts.
    """

    def __init__(self, image="./train-images-idx3-ubyte", label="./train-labels-idx1-ubyte",
                 batch_size=128, shuffle=True, flat=False, seed=0, silent=False, num_parts=1,
                 part_index=0, data_name="data", label_name="softmax_label", ctx=None,
                 **_ignored):
        super().__init__(int(batch_size))
        images = read_idx(image, 2051)
        labels = read_idx(label, 2049)
        if len(images) != len(labels):
            raise MXNetError(f"MNISTIter: {image} has {len(images)} images but {label} has "
                             f"{len(labels)} labels")
        step = len(images) // num_parts
        sl = slice(part_index * step, (part_index + 1) * step)
        images, labels = images[sl], labels[sl]
        self._index = np.arange(sl.start, sl.start + len(images), dtype=np.uint64)
        if shuffle:
            perm = np.random.RandomState(seed).permutation(len(images))
            images, labels, self._index = images[perm], labels[perm], self._index[perm]
        shape = (-1, images.shape[1] * images.shape[2]) if flat else \
            (-1, 1, images.shape[1], images.shape[2])
        self._images = (images.astype(np.float32) / 256.0).reshape(shape)
        self._labels = labels.astype(np.float32)
        self._ctx = ctx or cpu()
        self._loc = 0
        self._batch = None
        self.provide_data = [DataDesc(data_name, (self.batch_size,) + self._images.shape[1:])]
        self.provide_label = [DataDesc(label_name, (self.batch_size,))]
        if not silent:
            import logging
            logging.info("MNISTIter: load %d images, shuffle=%d, shape=%s", len(images),
                         int(shuffle), self.provide_data[0].shape)

    def reset(self):
        self._loc = 0

    def iter_next(self):
        if self._loc + self.batch_size > len(self._images):
            return False
        sl = slice(self._loc, self._loc + self.batch_size)
        self._batch = DataBatch([array(self._images[sl], self._ctx)],
                                [array(self._labels[sl], self._ctx)], pad=0,
                                index=self._index[sl].copy())
        self._loc += self.batch_size
        return True

    def getpad(self):
        return 0
