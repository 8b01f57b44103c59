"""Model checkpoints (``mx.model``): ``<prefix>-symbol.json`` plus ``<prefix>-%04d.params``.

The same files MXNet 1.9's ``mx.model.save_checkpoint`` writes (python/mxnet/model.py): the symbol's
JSON, and one ``mx.nd.save`` dict whose keys are ``arg:<name>`` and ``aux:<name>``. Either file is
written through a temporary file and a rename, so an interrupted save never leaves half a checkpoint
file behind.
"""
import logging
from collections import namedtuple

from . import symbol as sym
from .base import MXNetError
from .context import cpu
from .ndarray import utils as nd_utils

__all__ = ["save_checkpoint", "load_checkpoint", "load_params", "BatchEndParam", "FeedForward"]

# What batch-end and eval-end callbacks receive (MXNet's model.py record).
BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Save a model: ``prefix-symbol.json`` and ``prefix-%04d.params`` (arrays copied to the CPU).

    Parameters
    ----------
    prefix : str
        Path prefix of the checkpoint files.
    epoch : int
        Epoch number, written as four digits in the params file name.
    symbol : Symbol or None
        The network; None saves the parameters only.
    arg_params : dict of str to NDArray
        Weights (argument arrays).
    aux_params : dict of str to NDArray
        Auxiliary states (e.g. BatchNorm's moving statistics).
    remove_amp_cast : bool, optional
        Drop amp_cast / amp_multicast nodes from the saved symbol.
    """
    if symbol is not None:
        symbol.save("%s-symbol.json" % prefix, remove_amp_cast=remove_amp_cast)
    # MXNet copies to the CPU first, so a GPU-trained checkpoint records dev_type 1.
    save_dict = {("arg:%s" % k): v.as_in_context(cpu()) for k, v in arg_params.items()}
    save_dict.update({("aux:%s" % k): v.as_in_context(cpu()) for k, v in aux_params.items()})
    param_name = "%s-%04d.params" % (prefix, epoch)
    nd_utils.save(param_name, save_dict)
    logging.info('Saved checkpoint to "%s"', param_name)


def load_params(prefix, epoch):
    """Load ``prefix-%04d.params`` and split it into (arg_params, aux_params).

    Parameters
    ----------
    prefix : str
    epoch : int

    Returns
    -------
    arg_params : dict of str to NDArray
    aux_params : dict of str to NDArray
        Keys whose prefix is neither ``arg`` nor ``aux`` are ignored, as in MXNet.

    Raises
    ------
    MXNetError
        The file is missing or corrupt.
    ValueError
        The file holds a list of arrays, or a key without a ``<type>:`` prefix (MXNet fails there
        with an AttributeError / an unpacking ValueError).
    """
    fname = "%s-%04d.params" % (prefix, epoch)
    save_dict = nd_utils.load(fname)
    arg_params = {}
    aux_params = {}
    if not save_dict:
        logging.warning("Params file '%s' is empty", fname)
        return (arg_params, aux_params)
    if not isinstance(save_dict, dict):
        raise ValueError(f"Params file '{fname}' holds a list of {len(save_dict)} unnamed arrays, "
                         f"not the 'arg:<name>' / 'aux:<name>' dict of a checkpoint")
    for k, v in save_dict.items():
        if ":" not in k:
            raise ValueError(f"Params file '{fname}' has the key '{k}', which lacks the 'arg:' or "
                             f"'aux:' prefix of a checkpoint")
        if v is None:
            raise MXNetError(f"Params file '{fname}': '{k}' is an empty (ndim 0) array")
        tp, name = k.split(":", 1)
        if tp == "arg":
            arg_params[name] = v
        if tp == "aux":
            aux_params[name] = v
    return (arg_params, aux_params)


def load_checkpoint(prefix, epoch):
    """Load a checkpoint written by ``save_checkpoint`` (mxlite's or MXNet's).

    Parameters
    ----------
    prefix : str
    epoch : int

    Returns
    -------
    symbol : Symbol
        From ``prefix-symbol.json``.
    arg_params : dict of str to NDArray
    aux_params : dict of str to NDArray
        From ``prefix-%04d.params``.

    Examples
    --------
    >>> sym, arg_params, aux_params = mx.model.load_checkpoint("mlp", 3)
    >>> exe = sym.simple_bind(mx.cpu(), data=(1, 784), grad_req="null")
    >>> exe.copy_params_from(arg_params, aux_params, allow_extra_params=True)
    >>> probs = exe.forward(is_train=False, data=batch)[0]
    """
    symbol = sym.load("%s-symbol.json" % prefix)
    arg_params, aux_params = load_params(prefix, epoch)
    return (symbol, arg_params, aux_params)


def _as_numpy_iter(X, y, batch_size, is_train):
    """An NDArrayIter over NumPy / NDArray inputs (FeedForward's _init_iter rules)."""
    import numpy as np

    from .io import DataIter, NDArrayIter
    from .ndarray import NDArray
    if isinstance(X, (np.ndarray, NDArray)):
        if y is None:
            if is_train:
                raise ValueError("y must be specified when X is numpy.ndarray")
            y = np.zeros(X.shape[0])
        if not isinstance(y, (np.ndarray, NDArray)):
            raise TypeError("y must be ndarray when X is numpy.ndarray")
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"The numbers of data points and labels not equal: {X.shape[0]} "
                             f"vs {y.shape[0]}")
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if y.ndim != 1:
            raise ValueError("Label must be 1D or 2D (with 2nd dimension being 1)")
        size = min(X.shape[0], batch_size)
        if is_train:
            return NDArrayIter(X, y, size, shuffle=True, last_batch_handle="roll_over")
        return NDArrayIter(X, y, size, shuffle=False)
    if not isinstance(X, DataIter):
        raise TypeError("X must be DataIter, NDArray or numpy.ndarray")
    return X


class FeedForward:
    """MXNet's legacy model API (``mx.model.FeedForward``), run on a Module.

    Parameters
    ----------
    symbol : Symbol
    ctx : Context or list of Context
    num_epoch : int
    epoch_size : int or None
        Batches per epoch (the training iterator is resized to it).
    optimizer : str or Optimizer
    initializer : Initializer
    numpy_batch_size : int
        Batch size for NumPy inputs.
    arg_params, aux_params : dict or None
        Starting parameters.
    allow_extra_params : bool
    begin_epoch : int
    **kwargs
        Optimizer parameters (learning_rate, momentum, wd, ...).
    """

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
                 initializer=None, numpy_batch_size=128, arg_params=None, aux_params=None,
                 allow_extra_params=False, begin_epoch=0, **kwargs):
        from .initializer import Uniform
        self.symbol = symbol
        self.ctx = [cpu()] if ctx is None else (ctx if isinstance(ctx, list) else [ctx])
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.optimizer = optimizer
        self.initializer = initializer if initializer is not None else Uniform(0.01)
        self.numpy_batch_size = numpy_batch_size
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        self.begin_epoch = begin_epoch
        self.kwargs = kwargs.copy()
        self._module = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_module"] = None  # executors are rebuilt on use
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _make_module(self, data_iter, work_load_list=None):
        from .module import Module
        data_names = [d[0] for d in data_iter.provide_data]
        label_names = [d[0] for d in data_iter.provide_label]
        return Module(self.symbol, data_names=data_names, label_names=label_names,
                      context=self.ctx, work_load_list=work_load_list)

    def fit(self, X, y=None, eval_data=None, eval_metric="acc", epoch_end_callback=None,
            batch_end_callback=None, kvstore="local", logger=None, work_load_list=None,
            monitor=None, eval_end_callback=None, eval_batch_end_callback=None):
        """Train on ``X`` (a DataIter, or arrays with labels ``y``)."""
        from .callback import LogValidationMetricsCallback
        from .io import ResizeIter
        data = _as_numpy_iter(X, y, self.numpy_batch_size, is_train=True)
        if self.epoch_size is not None:
            data = ResizeIter(data, self.epoch_size)
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2:
            eval_data = _as_numpy_iter(eval_data[0], eval_data[1], self.numpy_batch_size, False)
        if eval_end_callback is None and eval_data is not None:
            eval_end_callback = LogValidationMetricsCallback()
        mod = self._make_module(data, work_load_list)
        if logger is not None:
            mod.logger = logger
        optimizer_params = {k: v for k, v in self.kwargs.items()}
        mod.fit(data, eval_data=eval_data, eval_metric=eval_metric,
                epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                kvstore=kvstore, optimizer=self.optimizer, optimizer_params=optimizer_params,
                eval_end_callback=eval_end_callback,
                eval_batch_end_callback=eval_batch_end_callback, initializer=self.initializer,
                arg_params=self.arg_params, aux_params=self.aux_params, allow_missing=True,
                begin_epoch=self.begin_epoch, num_epoch=self.num_epoch, monitor=monitor)
        self.arg_params, self.aux_params = mod.get_params()
        self._module = mod

    def _bound_module(self, data):
        mod = self._make_module(data)
        mod.bind(data.provide_data, data.provide_label or None, for_training=False)
        mod.set_params(self.arg_params, self.aux_params or {}, allow_extra=True)
        return mod

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """The outputs on ``X`` as NumPy arrays (one array for a single output), padding
        removed; with ``return_data`` also the data and labels."""
        import numpy as np
        data = _as_numpy_iter(X, None, self.numpy_batch_size, is_train=False)
        if reset:
            data.reset()
        mod = self._bound_module(data)
        outputs, datas, labels = [], [], []
        for outs, _, batch in mod.iter_predict(data, num_batch=num_batch, reset=False):
            outputs.append([o.asnumpy() for o in outs])
            if return_data:
                real = batch.data[0].shape[0] - (batch.pad or 0)
                datas.append([d.asnumpy()[:real] for d in batch.data])
                labels.append([lb.asnumpy()[:real] for lb in batch.label or []])
        merged = [np.concatenate(parts) for parts in zip(*outputs)]
        result = merged[0] if len(merged) == 1 else merged
        if return_data:
            d = [np.concatenate(p) for p in zip(*datas)]
            lb = [np.concatenate(p) for p in zip(*labels)]
            return result, (d[0] if len(d) == 1 else d), (lb[0] if len(lb) == 1 else lb)
        return result

    def score(self, X, eval_metric="acc", num_batch=None, batch_end_callback=None, reset=True):
        """The metric's value on ``X``."""
        from . import metric
        data = _as_numpy_iter(X, None, self.numpy_batch_size, is_train=False)
        mod = self._bound_module(data)
        if not isinstance(eval_metric, metric.EvalMetric):
            eval_metric = metric.create(eval_metric)
        mod.score(data, eval_metric, num_batch=num_batch, batch_end_callback=batch_end_callback,
                  reset=reset)
        return eval_metric.get()[1]

    def save(self, prefix, epoch=None, remove_amp_cast=True):
        """Checkpoint as ``prefix-symbol.json`` + ``prefix-%04d.params`` (epoch defaults to
        num_epoch)."""
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise ValueError("FeedForward.save needs an epoch (num_epoch is None)")
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params or {},
                        remove_amp_cast=remove_amp_cast)

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        """A FeedForward from a checkpoint, resuming at ``epoch``."""
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params,
                           begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
               initializer=None, eval_data=None, eval_metric="acc", epoch_end_callback=None,
               batch_end_callback=None, kvstore="local", logger=None, work_load_list=None,
               eval_end_callback=None, eval_batch_end_callback=None, **kwargs):
        """Make a FeedForward and fit it."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size,
                            optimizer=optimizer, initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                  kvstore=kvstore, logger=logger, work_load_list=work_load_list,
                  eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model
