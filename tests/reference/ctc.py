"""NumPy float64 reference for the ctc family: CTCLoss by brute force.

The CTC probability of a label is the sum, over every frame-wise path that collapses to it
(merge repeats, then drop blanks), of the product of the per-frame softmax probabilities. The
reference enumerates all alphabet**T paths, so cases stay tiny.
"""
import itertools

import numpy as np


def _collapse(path, blank):
    out, prev = [], None
    for c in path:
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


def ctc_loss(data, label, data_lengths=None, label_lengths=None, blank_label="first"):
    t_max, n, a = data.shape
    blank = 0 if blank_label == "first" else a - 1
    pad = 0 if blank_label == "first" else -1
    losses = np.zeros(n)
    for i in range(n):
        t = t_max if data_lengths is None else int(data_lengths[i])
        row = [int(v) for v in label[i]]
        if label_lengths is not None:
            row = row[:int(label_lengths[i])]
        elif pad in row:
            row = row[:row.index(pad)]
        z = data[:t, i]
        prob = np.exp(z - z.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        total = 0.0
        for path in itertools.product(range(a), repeat=t):
            if _collapse(path, blank) == row:
                total += np.prod([prob[s, c] for s, c in enumerate(path)])
        losses[i] = -np.log(total) if total > 0 else 0.0
    return losses
