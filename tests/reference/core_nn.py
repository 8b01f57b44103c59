"""NumPy float64 references for FullyConnected, Activation, the softmax family, losses, reductions,
Reshape/Flatten and dot."""
import numpy as np


def fully_connected(x, w, b, flatten=True):
    x2 = x.reshape(x.shape[0], -1) if flatten else x
    out = x2 @ w.T
    return out + b if b is not None else out


def activation(x, act_type):
    return {"relu": lambda: np.maximum(x, 0), "sigmoid": lambda: 1 / (1 + np.exp(-x)),
            "tanh": lambda: np.tanh(x), "softrelu": lambda: np.log1p(np.exp(x)),
            "softsign": lambda: x / (1 + np.abs(x))}[act_type]()


def softmax(x, axis=-1, temperature=None, log=False):
    t = 1.0 if temperature is None else temperature
    z = x / t
    z = z - z.max(axis=axis, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=axis, keepdims=True))
    return z - lse if log else np.exp(z - lse)


def softmax_masked(x, length, axis):
    n = x.shape[axis]
    pos = np.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
    mask = pos < np.expand_dims(length, axis)
    z = np.where(mask, x, -np.inf)
    out = softmax(z, axis)
    return np.where(mask, out, 0.0)


def softmax_output_grad(prob, label, grad_scale=1.0, ignore_label=-1.0, use_ignore=False,
                        normalization="null", smooth_alpha=0.0):
    """Gradient of SoftmaxOutput for 2-D (N, K) probabilities and (N,) labels."""
    n, k = prob.shape
    onehot = np.zeros_like(prob)
    lab = label.astype(np.int64)
    for i in range(n):
        if 0 <= lab[i] < k:
            onehot[i, lab[i]] = 1.0
    if smooth_alpha:
        target = onehot * (1 - smooth_alpha) + (1 - onehot) * smooth_alpha / (k - 1)
    else:
        target = onehot
    grad = prob - target
    if use_ignore:
        grad[label == ignore_label] = 0
    count = {"null": 1, "batch": n, "valid": max(1, int((label != ignore_label).sum()))}
    return grad * grad_scale / count[normalization]


def reduce(x, fn, axis=None, keepdims=False, exclude=False):
    if axis is None or axis == ():
        axes = tuple(range(x.ndim))
    else:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % x.ndim for a in axes)
        if exclude:
            axes = tuple(i for i in range(x.ndim) if i not in axes)
    out = fn(x, axis=axes, keepdims=keepdims)
    return out.reshape(1) if out.ndim == 0 else out


def dot(a, b, transpose_a=False, transpose_b=False):
    if a.ndim == 1 and b.ndim == 1:
        return np.array([np.dot(a, b)])
    if transpose_a:
        a = np.moveaxis(a, 0, -1)
    if transpose_b:
        b = np.moveaxis(b, -1, 0)
    return np.tensordot(a, b, axes=([a.ndim - 1], [0]))
