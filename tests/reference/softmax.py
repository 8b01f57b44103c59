"""NumPy float64 references for the softmax family: softmax/log_softmax/softmin (axis,
temperature), softmax with a length mask, and SoftmaxOutput's gradient (ignore_label,
normalization, label smoothing)."""
import numpy as np


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
