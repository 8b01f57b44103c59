"""NumPy float64 references for the sequence family: SequenceMask, SequenceLast and
SequenceReverse, with lengths clamped to [0, T] ([1, T] for SequenceLast) as MXNet does.

Written from MXNet 1.9.x's sequence_*-inl.h as loops over batch and time.
"""
import numpy as np


def _lengths(length, n, steps, low=0):
    if length is None:
        return [steps] * n
    return [min(max(int(v), low), steps) for v in length]


def sequence_mask(x, length=None, value=0.0, axis=0):
    out = x.copy()
    if length is None:
        return out
    steps, batch = (x.shape[0], x.shape[1]) if axis == 0 else (x.shape[1], x.shape[0])
    for b, n in enumerate(_lengths(length, batch, steps)):
        for t in range(n, steps):
            if axis == 0:
                out[t, b] = value
            else:
                out[b, t] = value
    return out


def sequence_last(x, length=None, axis=0):
    steps, batch = (x.shape[0], x.shape[1]) if axis == 0 else (x.shape[1], x.shape[0])
    rows = []
    for b, n in enumerate(_lengths(length, batch, steps, low=1)):
        rows.append(x[n - 1, b] if axis == 0 else x[b, n - 1])
    return np.stack(rows)


def sequence_reverse(x, length=None):
    out = x.copy()
    for b, n in enumerate(_lengths(length, x.shape[1], x.shape[0])):
        for t in range(n):
            out[t, b] = x[n - 1 - t, b]
    return out
