"""The ``Optimizer`` base class and its registry (MXNet 1.9's python/mxnet/optimizer/optimizer.py).

An optimizer turns (index, weight, grad, state) into an in-place weight update. The base class holds
what every optimizer shares: the learning rate or its scheduler, weight decay, gradient rescaling
and clipping, per-parameter lr/wd multipliers (by index, by name through ``param_idx2name``, or from
the symbol's ``__lr_mult__``/``__wd_mult__`` attributes), update counting per device, and the
float32 master copy of float16 weights (``multi_precision``).
"""
import warnings

import numpy as np

from ..base import MXNetError
from ..ndarray import NDArray, zeros

__all__ = ["Optimizer", "register", "create", "zeros_like_weight"]


def zeros_like_weight(weight, dtype=None):
    """A zero state array shaped like ``weight``, on its context (float32 unless ``dtype``)."""
    return zeros(weight.shape, weight.context, dtype=dtype if dtype is not None else np.float32)


class Optimizer:
    """Base class of the optimizers.

    Parameters
    ----------
    rescale_grad : float
        Multiplies every gradient first (``fit`` sets it to 1/batch_size).
    param_idx2name : dict of int to str
        Names of the parameter indices: lr/wd multipliers given by name apply, and parameters
        whose name ends in neither ``_weight`` nor ``_gamma`` get no weight decay.
    wd : float
        Weight decay.
    clip_gradient : float or None
        Clip the rescaled gradient to ``[-clip_gradient, clip_gradient]``.
    learning_rate : float or None
        Overrides the scheduler's base rate; 0.01 when neither is given.
    lr_scheduler : LRScheduler or None
    sym : Symbol or None
        Source of ``__lr_mult__`` / ``__wd_mult__`` attributes.
    begin_num_update : int
        Update count to start from (resuming a schedule).
    multi_precision : bool
        Keep a float32 master copy of float16 weights and update that.
    param_dict : dict or None
        index -> object with ``lr_mult``/``wd_mult`` (Gluon parameters); not pickled.
    """

    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                # MXNet prints (not warns) this message
                print(UserWarning("learning rate from ``lr_scheduler`` has been overwritten by "
                                  "``learning_rate`` in optimizer."))
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        # update counts per device id: each device's updater counts its own indices
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise TypeError("param_idx2name should be a dict of param indexes to names.")
        self.idx2name = param_idx2name.copy()
        self.sym_info = (sym.attr_dict(), sym.list_arguments()) if sym is not None else ()
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ----- registry
    @staticmethod
    def register(klass):
        """Register an optimizer class under its lower-cased class name."""
        if not isinstance(klass, type):
            raise TypeError(f"register expects an Optimizer class, got {klass!r}")
        name = klass.__name__.lower()
        if name in Optimizer.opt_registry:
            old = Optimizer.opt_registry[name]
            warnings.warn(f"WARNING: New optimizer {klass.__module__}.{klass.__name__} is "
                          f"overriding existing optimizer {old.__module__}.{old.__name__}",
                          stacklevel=2)
        Optimizer.opt_registry[name] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        """An optimizer instance from its registered (case-insensitive) name."""
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            known = ", ".join(sorted(Optimizer.opt_registry))
            raise ValueError(f"Cannot find optimizer {name}; known optimizers: {known}")
        return klass(**kwargs)

    # ----- learning rate
    @property
    def learning_rate(self):
        """The current learning rate (the scheduler's at ``num_update`` when there is one)."""
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        """Set the rate of an optimizer without a scheduler."""
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that "
                              "set_learning_rate can mutate the value of the learning rate of the "
                              "optimizer only when the LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_scale(self, args_lrscale):
        raise DeprecationWarning

    def set_lr_mult(self, args_lr_mult):
        """Per-parameter lr multipliers: the symbol's ``__lr_mult__`` attributes, then these."""
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__lr_mult__" in attr[name]:
                    self.lr_mult[name] = float(attr[name]["__lr_mult__"])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        """Per-parameter wd multipliers: 0 for names ending in neither ``_weight`` nor
        ``_gamma``, then the symbol's ``__wd_mult__`` attributes, then these."""
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not (n.endswith("_weight") or n.endswith("_gamma")):
                self.wd_mult[n] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__wd_mult__" in attr[name]:
                    self.wd_mult[name] = float(attr[name]["__wd_mult__"])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _update_count(self, index):
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _mult(self, index, table, attr):
        if index in self.param_dict:
            return getattr(self.param_dict[index], attr)
        if index in table:
            return table[index]
        if index in self.idx2name:
            return table.get(self.idx2name[index], 1.0)
        return 1.0

    def _get_lrs(self, indices):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        return [lr * self._mult(i, self.lr_mult, "lr_mult") for i in indices]

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        return [self.wd * self._mult(i, self.wd_mult, "wd_mult") for i in indices]

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    # ----- states and updates
    def create_state(self, index, weight):
        """The optimizer state of one weight (None, an NDArray, or a tuple of them)."""
        return None

    def create_state_multi_precision(self, index, weight):
        """``create_state``, plus a float32 master copy for float16 weights when
        ``multi_precision``: ``(weight32, state)``."""
        if self.multi_precision and weight.dtype == np.float16:
            weight32 = weight.astype(np.float32)
            return (weight32,) + (self.create_state(index, weight32),)
        self._warn_fp16(weight)
        return self.create_state(index, weight)

    def _warn_fp16(self, weight):
        if weight.dtype == np.float16 and not self.multi_precision:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or "
                          "slow convergence. Consider using multi_precision=True option of the "
                          f"{type(self).__name__} optimizer", stacklevel=3)

    def update(self, index, weight, grad, state):
        """Update ``weight`` in place from ``grad``; ``state`` is what create_state made."""
        raise NotImplementedError()

    def update_multi_precision(self, index, weight, grad, state):
        """``update``, through the float32 master copy for float16 weights."""
        if self.multi_precision and weight.dtype == np.float16:
            weight32, original = state
            self.update(index, weight32, grad.astype(np.float32), original)
            weight._data[...] = weight32._data.astype(weight._data.dtype)
        else:
            self.update(index, weight, grad, state)

    def _begin_update(self, index, weight, grad):
        """The start of every update: check the arrays, count the update (the learning-rate
        schedule reads the new count), and return ``(lr, wd)`` for ``index``."""
        self._check(weight, grad)
        self._update_count(index)
        return self._get_lr(index), self._get_wd(index)

    def _check(self, weight, grad):
        if not isinstance(weight, NDArray) or not isinstance(grad, NDArray):
            raise TypeError(f"{type(self).__name__}.update expects NDArray weight and grad, got "
                            f"{type(weight).__name__} and {type(grad).__name__}")
        if weight.shape != grad.shape:
            raise MXNetError(f"{type(self).__name__}.update: grad has shape {grad.shape}, "
                             f"expected the weight's shape {weight.shape}")

    def _clip_kwargs(self, kwargs, key="clip_gradient"):
        # MXNet passes clip_gradient to the op only when it is truthy (0 means no clipping)
        if self.clip_gradient:
            kwargs[key] = self.clip_gradient
        return kwargs

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("param_dict", None)
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register
create = Optimizer.create_optimizer
