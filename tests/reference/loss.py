"""NumPy float64 references for the loss family: softmax_cross_entropy and SVMOutput's hinge
gradient (the regression outputs, MakeLoss and BlockGrad are inline in the cases).

Written from MXNet 1.9.x's operator sources (softmax_cross_entropy.cc, svm_output.cc).
"""
import math

import numpy as np


def _softmax_rows(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(x, label):
    prob = _softmax_rows(x)
    total = 0.0
    for i, k in enumerate(label):
        total -= math.log(max(prob[i, int(k)], 1e-8))
    return np.array([total])


def svm_grad(out, label, margin=1.0, coef=1.0, use_linear=False):
    """One-vs-all hinge gradient of SVMOutput, row by row as svm_output.cc's L1_SVM / L2_SVM."""
    y = out.reshape(out.shape[0], -1)
    grad = np.zeros_like(y)
    for i in range(y.shape[0]):
        k = int(label.reshape(-1)[i])
        for j in range(y.shape[1]):
            if j == k:
                hit = margin > y[i, j]
                grad[i, j] = -coef * (1.0 if use_linear else 2 * (margin - y[i, j])) * hit
            else:
                hit = margin > -y[i, j]
                grad[i, j] = coef * (1.0 if use_linear else 2 * (margin + y[i, j])) * hit
    return grad.reshape(out.shape)
