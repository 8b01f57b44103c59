"""``NDArrayIter``: batches over in-memory arrays, MXNet 1.9's exact batches across epochs.

``last_batch_handle`` decides what happens to the samples that do not fill a last batch:
'pad' fills the batch from the start of the data (``pad`` says how many), 'discard' drops them,
'roll_over' keeps them and serves them at the start of the next epoch, completed with that epoch's
first samples.
"""
from collections import OrderedDict

import numpy as np

from ..base import MXNetError
from ..context import array_module, device_scope
from ..ndarray import NDArray, array
from .base import DataBatch, DataDesc, DataIter

__all__ = ["NDArrayIter"]


def _init_data(data, allow_empty, default_name):
    """[(name, NDArray)] sorted by name, from an array, a list or a dict of them
    (io/utils.py _init_data: a list of several gets names ``_<i>_<default_name>``)."""
    if data is None:
        if not allow_empty:
            raise ValueError("NDArrayIter needs data")
        data = []
    if isinstance(data, (np.ndarray, NDArray)) or hasattr(data, "__cuda_array_interface__"):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not allow_empty and not data:
            raise ValueError("NDArrayIter needs at least one data array")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError("Input must be NDArray, numpy.ndarray, a list of them or dict with them "
                        f"as values, got {type(data).__name__}")
    out = {}
    for k, v in data.items():
        if not isinstance(v, NDArray):
            try:
                v = array(v)
            except TypeError:
                raise TypeError(f"Invalid type '{type(v)}' for {k}, should be NDArray or "
                                f"numpy.ndarray") from None
        out[k] = v
    return sorted(out.items())


def _slice_axis(arr, start, end, axis):
    key = (slice(None),) * axis + (slice(start, end),)
    with device_scope(arr.context):
        return NDArray(arr._data[key].copy(), arr.context)


def _concat(first, second, axis):
    if not first or not second:
        return first if first else second
    out = []
    for a, b in zip(first, second):
        xp = array_module(a.context)
        with device_scope(a.context):
            out.append(NDArray(xp.concatenate([a._data, b._data], axis=axis), a.context))
    return out


def _tile(data, repeats):
    out = []
    for a in data:
        xp = array_module(a.context)
        reps = [repeats] + [1] * (a.ndim - 1)
        with device_scope(a.context):
            out.append(NDArray(xp.tile(a._data, reps), a.context))
    return out


class NDArrayIter(DataIter):
    """Iterate over NDArrays / NumPy arrays (or lists / dicts of them).

    Parameters
    ----------
    data, label : array, list of arrays, or dict name -> array
        Every array has the samples along the batch axis of ``layout``.
    batch_size : int
    shuffle : bool
        Shuffle the samples at construction and every reset (NumPy's global RNG, as MXNet).
    last_batch_handle : {'pad', 'discard', 'roll_over'}
    data_name, label_name : str
        Names of single (or list) inputs.
    layout : str
        Where 'N' is names the batch axis.
    num_parts, part_index : int
        Serve only part ``part_index`` of ``num_parts`` equal contiguous parts of the samples (a
        worker's shard in distributed training, as MNISTIter's arguments of the same names;
        an mxlite addition to MXNet's NDArrayIter).
    """

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad",
                 data_name="data", label_name="softmax_label", layout="NCHW", num_parts=1,
                 part_index=0):
        super().__init__(batch_size)
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(f"last_batch_handle must be 'pad', 'discard' or 'roll_over', got "
                             f"{last_batch_handle!r}")
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        self.layout = layout
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        axis = self._axis()
        if num_parts != 1 or part_index != 0:
            if not 0 <= part_index < num_parts:
                raise ValueError(f"part_index must be in [0, num_parts={num_parts}), got "
                                 f"{part_index}")
            step = self.data[0][1].shape[axis] // num_parts
            self.data = [(k, _slice_axis(v, part_index * step, (part_index + 1) * step, axis))
                         for k, v in self.data]
            self.label = [(k, _slice_axis(v, part_index * step, (part_index + 1) * step, axis))
                          for k, v in self.label]
        n = self.data[0][1].shape[axis]
        for k, v in self.data + self.label:
            if v.shape[axis] != n:
                raise MXNetError(f"NDArrayIter: {k} has {v.shape[axis]} samples along the batch "
                                 f"axis, {self.data[0][0]} has {n}")
        self.idx = np.arange(self.data[0][1].shape[0])
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.batch_size = batch_size
        self.cursor = -self.batch_size
        self.num_data = self.idx.shape[0]
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)
        self._cache_data = None
        self._cache_label = None

    def _axis(self):
        return self.layout.find("N")

    def _descs(self, source):
        axis = self._axis()
        return [DataDesc(k, tuple(v.shape[:axis]) + (self.batch_size,) + tuple(v.shape[axis + 1:]),
                         v.dtype, layout=self.layout) for k, v in source]

    @property
    def provide_data(self):
        return self._descs(self.data)

    @property
    def provide_label(self):
        return self._descs(self.label)

    def hard_reset(self):
        """Back to the first sample, dropping any rolled-over samples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = None
        self._cache_label = None

    def reset(self):
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and \
                self.num_data - self.batch_size < self.cursor < self.num_data:
            # the samples left over start the next epoch
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self):
        if not self.iter_next():
            raise StopIteration
        data = self.getdata()
        label = self.getlabel()
        if data[0].shape[self._axis()] != self.batch_size:
            # a short last batch ('discard', 'roll_over') is kept for roll_over and not served
            self._cache_data = data
            self._cache_label = label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _getdata(self, source, start=None, end=None):
        start = start if start is not None else 0
        if end is None:
            end = source[0][1].shape[0] if source else 0
        return [_slice_axis(v, start, end, self._axis()) for _, v in source]

    def _batchify(self, source):
        if self.cursor >= self.num_data:
            raise MXNetError("DataIter needs reset.")
        axis = self._axis()
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            cache = self._cache_data if self._cache_data is not None else self._cache_label
            if cache is None:
                raise MXNetError("next epoch should have cached data")
            second = self._getdata(source, end=self.cursor + self.batch_size)
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return _concat(cache, second, axis)
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            first = self._getdata(source, start=self.cursor)
            if pad > self.num_data:
                second = _tile(self._getdata(source, end=self.num_data), pad // self.num_data)
                if pad % self.num_data:
                    second = _concat(second, self._getdata(source, end=pad % self.num_data), axis)
            else:
                second = self._getdata(source, end=pad)
            return _concat(first, second, axis)
        end = min(self.cursor + self.batch_size, self.num_data)
        return self._getdata(source, self.cursor, end)

    def getdata(self):
        return self._batchify(self.data)

    def getlabel(self):
        return self._batchify(self.label)

    def getpad(self):
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self):
        np.random.shuffle(self.idx)
        # MXNet re-gathers the (already shuffled) arrays with the new permutation, through
        # nd.array, so they become float32 (io/utils.py _getdata_by_idx)
        self.data = [(k, array(v.asnumpy()[self.idx], v.context)) for k, v in self.data]
        self.label = [(k, array(v.asnumpy()[self.idx], v.context)) for k, v in self.label]
