"""``mx.io``: data descriptions, batches and iterators."""
from .base import DataBatch, DataDesc, DataIter, PrefetchingIter, ResizeIter
from .file_iters import CSVIter, LibSVMIter, MNISTIter
from .ndarray_iter import NDArrayIter

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter", "PrefetchingIter",
           "CSVIter", "LibSVMIter", "MNISTIter"]
