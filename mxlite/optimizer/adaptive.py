"""Adaptive optimizers: Adam, AdaGrad, RMSProp, AdaDelta, Adamax, Nadam, Ftrl, FTML, LAMB.

Adam, RMSProp, Ftrl, FTML and LAMB run MXNet's registered update ops; AdaGrad, AdaDelta, Adamax and
Nadam are array code, as in MXNet's Python (including where each applies weight decay and
clipping, which differ from one optimizer to the next).
"""
import math

from ..context import array_module, device_scope
from ..ndarray import invoke
from .inplace import update_inplace
from .optimizer import Optimizer, register, zeros_like_weight

__all__ = ["Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax", "Nadam", "Ftrl", "FTML", "LAMB"]


@register
class Adam(Optimizer):
    """Adam; the bias correction is folded into the step's learning rate, as in MXNet."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (zeros_like_weight(weight, weight.dtype), zeros_like_weight(weight, weight.dtype))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        kwargs = self._clip_kwargs({"beta1": self.beta1, "beta2": self.beta2,
                                    "epsilon": self.epsilon, "rescale_grad": self.rescale_grad})
        mean, var = state
        update_inplace("adam_update", [weight, grad, mean, var], lr=lr, wd=wd, **kwargs)


def _grad(opt, grad, weight=None, wd=0.0):
    """``rescale_grad*grad (+ wd*weight)``, clipped when clip_gradient is not None."""
    xp = array_module(grad.context)
    g = grad._data * opt.rescale_grad
    if weight is not None:
        g += wd * weight._data
    if opt.clip_gradient is not None:
        xp.clip(g, -opt.clip_gradient, opt.clip_gradient, out=g)
    return xp, g


@register
class AdaGrad(Optimizer):
    """AdaGrad: ``history += g**2; weight -= lr*(g/sqrt(history + eps) + wd*weight)``."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return zeros_like_weight(weight)

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        with device_scope(weight.context):
            xp, g = _grad(self, grad)
            hist, w = state._data, weight._data
            hist += g * g
            step = g / xp.sqrt(hist + self.float_stable_eps) + w * wd
            w -= lr * step


@register
class RMSProp(Optimizer):
    """RMSProp (``rmsprop_update``), or its centered form (``rmspropalex_update``)."""

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False,
                 clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        n = 3 if self.centered else 1
        return tuple(zeros_like_weight(weight) for _ in range(n))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        kwargs = {"gamma1": self.gamma1, "epsilon": self.epsilon,
                  "rescale_grad": self.rescale_grad}
        if self.centered:
            kwargs["gamma2"] = self.gamma2
        self._clip_kwargs(kwargs)
        if self.clip_weights:
            kwargs["clip_weights"] = self.clip_weights
        name = "rmspropalex_update" if self.centered else "rmsprop_update"
        update_inplace(name, [weight, grad] + list(state), lr=lr, wd=wd, **kwargs)


@register
class AdaDelta(Optimizer):
    """AdaDelta (no learning rate). Like MXNet, it rescales ``grad`` in place."""

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (zeros_like_weight(weight), zeros_like_weight(weight))

    def update(self, index, weight, grad, state):
        self._check(weight, grad)
        wd = self._get_wd(index)
        self._update_count(index)
        rho, eps = self.rho, self.epsilon
        with device_scope(weight.context):
            xp = array_module(grad.context)
            grad._data *= self.rescale_grad  # MXNet's AdaDelta mutates the caller's gradient
            g = grad._data
            if self.clip_gradient is not None:
                g = xp.clip(g, -self.clip_gradient, self.clip_gradient)
            acc_g, acc_delta = state[0]._data, state[1]._data
            acc_g *= rho
            acc_g += (1. - rho) * g * g
            delta = xp.sqrt(acc_delta + eps) / xp.sqrt(acc_g + eps) * g
            acc_delta *= rho
            acc_delta += (1. - rho) * delta * delta
            w = weight._data
            w -= delta + wd * w


@register
class Adamax(Optimizer):
    """Adamax: Adam with the infinity norm."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index, weight):
        return (zeros_like_weight(weight, weight.dtype), zeros_like_weight(weight, weight.dtype))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        t = self._index_update_count[index]
        lr /= 1. - self.beta1 ** t
        with device_scope(weight.context):
            xp, g = _grad(self, grad, weight, wd)
            m, u = state[0]._data, state[1]._data
            m *= self.beta1
            m += (1. - self.beta1) * g
            xp.maximum(self.beta2 * u, xp.abs(g), out=u)
            weight._data -= lr * m / u


@register
class Nadam(Optimizer):
    """Nesterov Adam with the momentum schedule of Dozat (2016)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return (zeros_like_weight(weight, weight.dtype), zeros_like_weight(weight, weight.dtype))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        t = self._index_update_count[index]
        b1, b2 = self.beta1, self.beta2
        mom_t = b1 * (1. - 0.5 * pow(0.96, t * self.schedule_decay))
        mom_t1 = b1 * (1. - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        # one schedule for all parameters, advanced on every update (MXNet's behaviour)
        self.m_schedule = self.m_schedule * mom_t
        m_schedule_next = self.m_schedule * mom_t1
        with device_scope(weight.context):
            xp, g = _grad(self, grad, weight, wd)
            m, v = state[0]._data, state[1]._data
            m *= b1
            m += (1. - b1) * g
            v *= b2
            v += (1. - b2) * g * g
            g_prime = g / (1. - self.m_schedule)
            m_prime = m / (1. - m_schedule_next)
            v_prime = v / (1. - pow(b2, t))
            m_bar = (1. - mom_t) * g_prime + mom_t1 * m_prime
            weight._data -= lr * m_bar / (xp.sqrt(v_prime) + self.epsilon)


@register
class Ftrl(Optimizer):
    """FTRL-proximal (``ftrl_update``); its learning rate defaults to 0.1."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (zeros_like_weight(weight), zeros_like_weight(weight))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        kwargs = self._clip_kwargs({"lamda1": self.lamda1, "beta": self.beta,
                                    "rescale_grad": self.rescale_grad})
        update_inplace("ftrl_update", [weight, grad] + list(state), lr=lr, wd=wd, **kwargs)


@register
class FTML(Optimizer):
    """Follow the Moving Leader (``ftml_update``); state ``(d, v, z)``."""

    def __init__(self, beta1=0.6, beta2=0.999, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return tuple(zeros_like_weight(weight, weight.dtype) for _ in range(3))

    def update(self, index, weight, grad, state):
        lr, wd = self._begin_update(index, weight, grad)
        t = self._index_update_count[index]
        kwargs = self._clip_kwargs({"beta1": self.beta1, "beta2": self.beta2,
                                    "epsilon": self.epsilon, "rescale_grad": self.rescale_grad,
                                    "t": t}, key="clip_grad")
        update_inplace("ftml_update", [weight, grad] + list(state), lr=lr, wd=wd, **kwargs)


@register
class LAMB(Optimizer):
    """LAMB: ``lamb_update_phase1`` then a trust-ratio step (``lamb_update_phase2``)."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-6,
                 lower_bound=None, upper_bound=None, bias_correction=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction

    def create_state(self, index, weight):
        return (zeros_like_weight(weight, weight.dtype), zeros_like_weight(weight, weight.dtype))

    def _one(self, index, weight, grad, state, multi_precision):
        lr, wd = self._begin_update(index, weight, grad)
        kwargs = self._clip_kwargs({"beta1": self.beta1, "beta2": self.beta2,
                                    "epsilon": self.epsilon, "rescale_grad": self.rescale_grad,
                                    "bias_correction": self.bias_correction,
                                    "t": self._index_update_count[index], "wd": wd})
        bounds = {}
        if self.lower_bound:
            bounds["lower_bound"] = self.lower_bound
        if self.upper_bound:
            bounds["upper_bound"] = self.upper_bound
        if multi_precision:
            (mean, var), w32 = state[1], state[0]
            g = invoke("mp_lamb_update_phase1", [weight, grad, mean, var, w32], kwargs)
            r1, r2 = invoke("norm", [w32], {}), invoke("norm", [g], {})
            update_inplace("mp_lamb_update_phase2", [weight, g, r1, r2, w32], lr=lr, **bounds)
        else:
            mean, var = state
            g = invoke("lamb_update_phase1", [weight, grad, mean, var], kwargs)
            r1, r2 = invoke("norm", [weight], {}), invoke("norm", [g], {})
            update_inplace("lamb_update_phase2", [weight, g, r1, r2], lr=lr, **bounds)

    def _update_impl(self, index, weight, grad, state, multi_precision=False):
        if isinstance(index, (list, tuple)):
            for i, w, g, s in zip(index, weight, grad, state):
                self._one(i, w, g, s, multi_precision)
        else:
            self._one(index, weight, grad, state, multi_precision)

    def update(self, index, weight, grad, state):
        self._update_impl(index, weight, grad, state)

    def update_multi_precision(self, index, weight, grad, state):
        import numpy as np
        first = weight[0] if isinstance(index, (list, tuple)) else weight
        self._update_impl(index, weight, grad, state,
                          multi_precision=self.multi_precision and first.dtype == np.float16)
