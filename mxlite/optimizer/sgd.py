"""Gradient-descent optimizers: SGD (momentum, multi-precision), NAG, Signum, SGLD, DCASGD.

SGD, NAG and Signum run MXNet's registered update ops in place on the weight; SGLD and DCASGD are
written in array code, as MXNet writes them in Python.
"""
import math

import numpy as np

from ..context import array_module, device_scope
from .inplace import update_inplace
from .optimizer import Optimizer, register, zeros_like_weight

__all__ = ["SGD", "NAG", "Signum", "SGLD", "DCASGD", "ccSGD", "Test"]


def _as_lists(index, weight, grad, state):
    if isinstance(index, (list, tuple)):
        return list(index), list(weight), list(grad), list(state)
    return [index], [weight], [grad], [state]


@register
class SGD(Optimizer):
    """Stochastic gradient descent, with momentum when ``momentum`` > 0.

    ``state = momentum*state - lr*(clip(rescale_grad*grad) + wd*weight); weight += state``.
    ``lazy_update`` only concerns row_sparse gradients, which mxlite stores dense.
    Multi-precision states are ``(momentum or None, weight32)``, MXNet's order for SGD.
    """

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        # MXNet batches SGD updates (multi_sgd_update) four tensors at a time; the numbers are
        # those of one update per tensor
        import os
        self.aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4"))

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            weight32 = weight.astype(np.float32)
            return (self.create_state(index, weight32), weight32)
        self._warn_fp16(weight)
        return self.create_state(index, weight)

    def create_state(self, index, weight):
        if self.momentum != 0.0:
            return zeros_like_weight(weight, weight.dtype)
        return None

    def _kwargs(self):
        kwargs = {"rescale_grad": self.rescale_grad}
        if self.momentum > 0:
            kwargs["momentum"] = self.momentum
        return self._clip_kwargs(kwargs)

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        indices, weights, grads, states = _as_lists(index, weight, grad, state)
        for w, g in zip(weights, grads):
            self._check(w, g)
        self._update_count(indices)
        lrs = self._get_lrs(indices)
        wds = self._get_wds(indices)
        kwargs = self._kwargs()
        for w, g, s, lr, wd in zip(weights, grads, states, lrs, wds):
            if not multi_precision:
                if s is not None:
                    update_inplace("sgd_mom_update", [w, g, s], lr=lr, wd=wd, **kwargs)
                else:
                    update_inplace("sgd_update", [w, g], lr=lr, wd=wd, **kwargs)
            elif s[0] is not None:
                update_inplace("mp_sgd_mom_update", [w, g, s[0], s[1]], lr=lr, wd=wd, **kwargs)
            else:
                update_inplace("mp_sgd_update", [w, g, s[1]], lr=lr, wd=wd, **kwargs)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index, weight, grad, state):
        first = weight[0] if isinstance(index, (list, tuple)) else weight
        use_mp = self.multi_precision and first.dtype == np.float16
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class ccSGD(SGD):  # noqa: N801  (MXNet's name)
    """Deprecated alias of SGD kept by MXNet."""


@register
class NAG(SGD):
    """Nesterov accelerated gradient (``nag_mom_update``); plain SGD without momentum."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(momentum=momentum, **kwargs)
        self.aggregate_num = 0

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        lr, wd = self._begin_update(index, weight, grad)
        kwargs = self._kwargs()
        if not multi_precision:
            if state is not None:
                update_inplace("nag_mom_update", [weight, grad, state], lr=lr, wd=wd, **kwargs)
            else:
                update_inplace("sgd_update", [weight, grad], lr=lr, wd=wd, **kwargs)
        elif state[0] is not None:
            update_inplace("mp_nag_mom_update", [weight, grad, state[0], state[1]], lr=lr, wd=wd,
                           **kwargs)
        else:
            update_inplace("mp_sgd_update", [weight, grad, state[1]], lr=lr, wd=wd, **kwargs)

    def update_multi_precision(self, index, weight, grad, state):
        use_mp = (self.multi_precision and weight.dtype == np.float16
                  and isinstance(state, (tuple, list)))
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class Signum(Optimizer):
    """Signum (momentum > 0, ``signum_update``) or signSGD (``signsgd_update``); ``wd_lh`` is the
    decoupled weight decay."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return zeros_like_weight(weight, weight.dtype) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        kwargs = self._clip_kwargs({"rescale_grad": self.rescale_grad})
        if state is not None:
            if self.momentum > 0:
                kwargs["momentum"] = self.momentum
            if self.wd_lh:
                kwargs["wd_lh"] = self.wd_lh
            update_inplace("signum_update", [weight, grad, state], lr=lr, wd=wd, **kwargs)
        else:
            update_inplace("signsgd_update", [weight, grad], lr=lr, wd=wd, **kwargs)


def _rescaled_clipped(opt, grad):
    """``clip(rescale_grad * grad)`` as a new raw array (clip only when clip_gradient is not
    None, as MXNet's Python optimizers test it)."""
    xp = array_module(grad.context)
    g = grad._data * opt.rescale_grad
    if opt.clip_gradient is not None:
        xp.clip(g, -opt.clip_gradient, opt.clip_gradient, out=g)
    return xp, g


@register
class SGLD(Optimizer):
    """Stochastic gradient Langevin dynamics: half an SGD step plus N(0, lr) noise."""

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        from ..ndarray import random as nd_random
        with device_scope(weight.context):
            xp, g = _rescaled_clipped(self, grad)
            w = weight._data
            w -= lr / 2 * (g + wd * w)
            noise = nd_random.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype,
                                     ctx=weight.context)
            w += noise._data


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD; state ``(momentum or None, previous weight)``."""

    def __init__(self, momentum=0.0, lamda=0.04, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous = {}
        self.lamda = lamda

    def create_state(self, index, weight):
        mom = zeros_like_weight(weight, weight.dtype) if self.momentum != 0.0 else None
        return (mom, weight.copy())

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        mom, previous = state
        with device_scope(weight.context):
            xp, g = _rescaled_clipped(self, grad)
            w, prev = weight._data, previous._data
            step = -lr * (g + wd * w + self.lamda * g * g * (w - prev))
            if mom is not None:
                mom._data *= self.momentum
                mom._data += step
                step = mom._data
            prev[...] = w
            w += step


@register
class Test(Optimizer):
    """MXNet's test optimizer: ``weight += grad * rescale_grad``; the state copies the weight."""

    def create_state(self, index, weight):
        return zeros_like_weight(weight)

    def update(self, index, weight, grad, state):
        weight._data += grad._data * self.rescale_grad
        state._data[...] = weight._data
