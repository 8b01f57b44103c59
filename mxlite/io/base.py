"""Data iterator basics (MXNet 1.9's python/mxnet/io/io.py): ``DataDesc``, ``DataBatch``,
``DataIter``, ``ResizeIter`` and ``PrefetchingIter``.

An iterator yields ``DataBatch`` records (lists of NDArrays for data and label, plus ``pad``: how
many trailing samples of the batch are filler) and describes them up front with
``provide_data``/``provide_label`` so a Module can bind before the first batch.
"""
import threading
from collections import namedtuple

import numpy as np

__all__ = ["DataDesc", "DataBatch", "DataIter", "ResizeIter", "PrefetchingIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name and shape of one input, plus ``dtype`` and ``layout`` (where 'N', the batch axis,
    is). Compares and unpacks as the pair (name, shape), as MXNet's does."""

    def __new__(cls, name, shape, dtype=np.float32, layout="NCHW"):
        ret = super().__new__(cls, name, tuple(shape))
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    def __getnewargs__(self):
        return (self.name, self.shape, self.dtype, self.layout)

    @staticmethod
    def get_batch_axis(layout):
        """The batch axis of ``layout`` (0 when None; -1 when it has no 'N')."""
        if layout is None:
            return 0
        return layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """DataDescs from [(name, shape)] and an optional [(name, dtype)]."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    """One batch: ``data`` and ``label`` (lists of NDArrays), ``pad``, ``index``, and optionally
    ``provide_data``/``provide_label`` (a batch of another shape makes a Module reshape)."""

    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None,
                 provide_data=None, provide_label=None):
        if data is not None and not isinstance(data, (list, tuple)):
            raise TypeError(f"Data must be list of NDArrays, got {type(data).__name__}")
        if label is not None and not isinstance(label, (list, tuple)):
            raise TypeError(f"Label must be list of NDArrays, got {type(label).__name__}")
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        data_shapes = [d.shape for d in self.data]
        label_shapes = [lb.shape for lb in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data_shapes} label shapes: {label_shapes}"


class DataIter:
    """Base class of the iterators: ``reset``, ``next`` and the iterator protocol over
    ``iter_next``/``getdata``/``getlabel``/``getpad``/``getindex``."""

    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        """Go back to the first batch."""

    def next(self):
        """The next DataBatch (StopIteration at the end of the data)."""
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                             index=self.getindex())
        raise StopIteration

    def __next__(self):
        return self.next()

    def iter_next(self):
        """Move to the next batch; False at the end."""

    def getdata(self):
        """The data NDArrays of the current batch."""

    def getlabel(self):
        """The label NDArrays of the current batch."""

    def getindex(self):
        """The sample indices of the current batch (None when unknown)."""
        return None

    def getpad(self):
        """The number of filler samples at the end of the current batch."""


class _ServesCurrentBatch:
    """The DataIter accessors of an iterator whose ``next`` sets ``current_batch``."""

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_ServesCurrentBatch, DataIter):
    """Yield exactly ``size`` batches per epoch from ``data_iter``, restarting it when it runs
    out.

    Parameters
    ----------
    data_iter : DataIter
    size : int
        Batches per epoch.
    reset_internal : bool
        Whether ``reset`` also resets ``data_iter`` (else the next epoch continues from where
        this one stopped).
    """

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__()
        self.data_iter = data_iter
        self.size = size
        self.reset_internal = reset_internal
        self.cur = 0
        self.current_batch = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class PrefetchingIter(_ServesCurrentBatch, DataIter):
    """Read the next batch of one or more iterators in background threads while the current
    one is used; the batches of several iterators are joined (data lists, then label lists).

    Parameters
    ----------
    iters : DataIter or list of DataIter
        Iterators of equal length (their pads must agree).
    rename_data, rename_label : list of dict or None
        Per iterator, old name -> new name for provide_data / provide_label.
    """

    def __init__(self, iters, rename_data=None, rename_label=None):
        super().__init__()
        if not isinstance(iters, list):
            iters = [iters]
        if not iters:
            raise ValueError("PrefetchingIter needs at least one iterator")
        self.n_iter = len(iters)
        self.iters = iters
        self.rename_data = rename_data
        self.rename_label = rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.data_ready = [threading.Event() for _ in range(self.n_iter)]
        self.data_taken = [threading.Event() for _ in range(self.n_iter)]
        for event in self.data_taken:
            event.set()
        self.started = True
        self.current_batch = None
        self.next_batch = [None] * self.n_iter
        self._errors = [None] * self.n_iter
        self.prefetch_threads = [threading.Thread(target=self._prefetch, args=(i,), daemon=True)
                                 for i in range(self.n_iter)]
        for thread in self.prefetch_threads:
            thread.start()

    def _prefetch(self, i):
        while True:
            self.data_taken[i].wait()
            if not self.started:
                break
            try:
                self.next_batch[i] = self.iters[i].next()
            except StopIteration:
                self.next_batch[i] = None
            except Exception as err:  # handed to the consumer thread
                self.next_batch[i] = None
                self._errors[i] = err
            self.data_taken[i].clear()
            self.data_ready[i].set()

    def close(self):
        """Stop the background threads."""
        if getattr(self, "started", False):
            self.started = False
            for event in self.data_taken:
                event.set()
            for thread in self.prefetch_threads:
                thread.join()

    def __del__(self):
        self.close()

    def _renamed(self, attr, renames):
        out = []
        for k, it in enumerate(self.iters):
            for x in getattr(it, attr):
                if renames is None:
                    out.append(x)
                else:
                    x = x if isinstance(x, DataDesc) else DataDesc(*x)
                    out.append(DataDesc(renames[k][x.name], x.shape, x.dtype))
        return out

    @property
    def provide_data(self):
        return self._renamed("provide_data", self.rename_data)

    @property
    def provide_label(self):
        return self._renamed("provide_label", self.rename_label)

    def reset(self):
        for event in self.data_ready:
            event.wait()
        for it in self.iters:
            it.reset()
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()

    def _raise_pending(self):
        for i, err in enumerate(self._errors):
            if err is not None:
                self._errors[i] = None
                raise err

    def iter_next(self):
        for event in self.data_ready:
            event.wait()
        self._raise_pending()
        if self.next_batch[0] is None:
            if any(b is not None for b in self.next_batch):
                raise ValueError("Number of entry mismatches between iterators")
            return False
        for batch in self.next_batch:
            if batch is None or batch.pad != self.next_batch[0].pad:
                raise ValueError("Number of entry mismatches between iterators")
        first = self.next_batch[0]
        self.current_batch = DataBatch(sum([list(b.data) for b in self.next_batch], []),
                                       sum([list(b.label or []) for b in self.next_batch], []),
                                       first.pad, first.index, provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        for event in self.data_ready:
            event.clear()
        for event in self.data_taken:
            event.set()
        return True

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

