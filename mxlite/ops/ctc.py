"""Connectionist temporal classification loss: CTCLoss (``ctc_loss``, ``_contrib_CTCLoss``,
``_contrib_ctc_loss``).

``data`` (T, N, alphabet) holds unnormalised scores (softmax is applied inside), ``label`` (N, L)
the target sequences. With ``blank_label='first'`` class 0 is the blank, labels are 1 ..
alphabet-1 and 0 pads a label row; with ``'last'`` the blank is alphabet-1, labels are 0 ..
alphabet-2 and -1 pads. Without ``use_label_lengths`` a row's length is the position of its first
padding value; with it, ``label_lengths`` (N,) gives it. ``use_data_lengths`` adds
``data_lengths`` (N,): steps beyond a sequence's length are ignored and get zero gradient.

The loss (N,) is -log p(label | data), summed over all alignments by the forward (alpha) and
backward (beta) recursions in log space, as warp-ctc does (src/operator/nn/ctc_loss-inl.h,
3rdparty/ctc_include). A sequence too short for its label gives loss 0 and gradient 0, as there.
The gradient with respect to ``data`` is softmax(data) minus the posterior occupancy of each
class, computed in forward and kept as a hidden output; backward scales it by the head gradient.
float16 data computes in float32.
"""
import numpy as np

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape
from .params import Bool, Enum, ParamSpec
from .registry import BackwardReads, OpDef, register
from .roi import to_host

_OP = "CTCLoss"


def _inputs(p):
    names = ["data", "label"]
    if p["use_data_lengths"]:
        names.append("data_lengths")
    if p["use_label_lengths"]:
        names.append("label_lengths")
    return names


def _shape(p, in_shapes):
    data, label = in_shapes[:2]
    if data is None or label is None:
        return list(in_shapes), [None, None]
    if len(data) != 3:
        raise MXNetError(f"Error in operator {_OP}: The number of dimensions of data array must "
                         f"be 3 (sequence, batch, alphabet), got data shape {fmt_shape(data)}")
    if len(label) != 2 or label[0] != data[1]:
        raise MXNetError(f"Error in operator {_OP}: label must be (batch, max_label_length) with "
                         f"batch {data[1]}, got label shape {fmt_shape(label)}")
    if label[1] > data[0]:
        raise MXNetError(f"Error in operator {_OP}: The max number of labels cannot exceed the "
                         f"maximum sequence length: label shape {fmt_shape(label)}, data shape "
                         f"{fmt_shape(data)}")
    shapes = [tuple(data), tuple(label)]
    for name, given in zip(_inputs(p)[2:], in_shapes[2:]):
        if given is not None and tuple(given) != (data[1],):
            raise MXNetError(f"Error in operator {_OP}: {name} must be a vector of length "
                             f"{data[1]} (the batch size), got {name} shape {fmt_shape(given)}")
        shapes.append((data[1],))
    return shapes, [(data[1],), tuple(data)]


def _types(p, in_types):
    data = in_types[0]
    if data is not None and np.dtype(data).kind != "f":
        raise MXNetError(f"Error in operator {_OP}: data must be a float array, got "
                         f"{np.dtype(data).name}")
    return list(in_types), [data, data]


def _labels(p, ins, alphabet):
    """Host label lists (one int array per sample), checked against the alphabet."""
    xp_label = ins[1]
    label = np.asarray(xp_label).astype(np.int64)
    blank_first = p["blank_label"] == "first"
    if p["use_label_lengths"]:
        lengths = np.asarray(ins[-1]).astype(np.int64)
        if (lengths < 0).any() or (lengths > label.shape[1]).any():
            raise MXNetError(f"Error in operator {_OP}: label_lengths {lengths.tolist()} must lie "
                             f"in [0, {label.shape[1]}]")
    else:
        pad = 0 if blank_first else -1
        lengths = np.array([np.argmax(np.append(row == pad, True)) for row in label])
    rows = [row[:n] for row, n in zip(label, lengths)]
    low, high = (1, alphabet - 1) if blank_first else (0, alphabet - 2)
    for i, row in enumerate(rows):
        if len(row) and (row.min() < low or row.max() > high):
            raise MXNetError(f"Error in operator {_OP}: label row {i} {row.tolist()} has values "
                             f"outside [{low}, {high}] (alphabet {alphabet}, blank_label="
                             f"'{p['blank_label']}')")
    return rows


def _logsumexp(xp, *terms):
    stacked = xp.stack(terms)
    top = stacked.max(axis=0)
    safe = xp.where(xp.isfinite(top), top, 0)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(stacked - safe).sum(axis=0)) + safe


def ctc(xp, logp, rows, seq_lengths, blank):
    """Loss (N,) and gradient (T, N, A) w.r.t. the scores, from log-softmax ``logp`` (T, N, A)."""
    t_max, n, a = logp.shape
    s_max = 2 * max((len(r) for r in rows), default=0) + 1
    ext = np.full((n, s_max), blank, np.int64)
    for i, row in enumerate(rows):
        ext[i, 1:2 * len(row) + 1:2] = row
    s_len = np.array([2 * len(r) + 1 for r in rows])
    skip = np.zeros((n, s_max), bool)          # s may be reached from s - 2
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    neg = -np.inf
    ext_x, skip_x = xp.asarray(ext), xp.asarray(skip)
    valid_s = xp.asarray(np.arange(s_max)[None] < s_len[:, None])
    emit = xp.take_along_axis(logp, xp.broadcast_to(ext_x, (t_max, n, s_max)), axis=2)
    emit = xp.where(valid_s, emit, neg)
    t_len = xp.asarray(seq_lengths)[:, None]

    alpha = xp.full((t_max, n, s_max), neg, logp.dtype)
    alpha[0, :, :2] = emit[0, :, :2]
    for t in range(1, t_max):
        prev = alpha[t - 1]
        one = xp.concatenate([xp.full((n, 1), neg, logp.dtype), prev[:, :-1]], axis=1)
        two = xp.concatenate([xp.full((n, 2), neg, logp.dtype), prev[:, :-2]], axis=1)
        alpha[t] = _logsumexp(xp, prev, one, xp.where(skip_x, two, neg)) + emit[t]
    last = xp.asarray(s_len - 1)
    end = alpha[xp.asarray(np.maximum(seq_lengths - 1, 0)), xp.arange(n)]       # (N, S)
    final = _logsumexp(xp, xp.take_along_axis(end, last[:, None], 1)[:, 0],
                       xp.take_along_axis(end, xp.maximum(last - 1, 0)[:, None], 1)[:, 0]
                       + xp.where(last > 0, 0.0, neg))

    # beta[t, s]: log-probability of the rest of the label after step t, being at s at step t
    beta = xp.full((t_max, n, s_max), neg, logp.dtype)
    ends = xp.asarray(np.arange(s_max)[None] >= (s_len - 2)[:, None]) & valid_s
    skip_next = xp.concatenate([skip_x[:, 2:], xp.zeros((n, 2), bool)], axis=1)
    for t in range(t_max - 1, -1, -1):
        if t < t_max - 1:
            nxt = beta[t + 1] + emit[t + 1]
            one = xp.concatenate([nxt[:, 1:], xp.full((n, 1), neg, logp.dtype)], axis=1)
            two = xp.concatenate([nxt[:, 2:], xp.full((n, 2), neg, logp.dtype)], axis=1)
            step = _logsumexp(xp, nxt, one, xp.where(skip_next, two, neg))
        else:
            step = xp.full((n, s_max), neg, logp.dtype)
        beta[t] = xp.where(t == t_len - 1, xp.where(ends, 0.0, neg),
                           xp.where(t < t_len - 1, step, neg))

    feasible = xp.isfinite(final)
    with np.errstate(over="ignore", invalid="ignore"):
        occupancy = xp.exp(alpha + beta - xp.where(feasible, final, 0)[None, :, None])
    occupancy = xp.where(xp.isfinite(occupancy), occupancy, 0)
    onehot = (ext_x[:, :, None] == xp.arange(a)[None, None, :]).astype(logp.dtype)
    posterior = xp.einsum("tns,nsa->tna", occupancy, onehot)
    steps = xp.arange(t_max)[:, None] < t_len.T                                   # (T, N)
    grad = xp.where((steps & feasible[None])[:, :, None], xp.exp(logp) - posterior, 0)
    return xp.where(feasible, -final, 0), grad


def _forward(sc, p, ins):
    xp = sc.xp
    data = ins[0]
    t_max, n, alphabet = data.shape
    ct = acc_dtype(data.dtype)
    host = [to_host(xp, x) for x in ins]
    rows = _labels(p, host, alphabet)
    if p["use_data_lengths"]:
        seq = host[2].astype(np.int64)
        if (seq < 0).any() or (seq > t_max).any():
            raise MXNetError(f"Error in operator {_OP}: data_lengths {seq.tolist()} must lie in "
                             f"[0, {t_max}]")
    else:
        seq = np.full(n, t_max, np.int64)
    x = data.astype(ct)
    shifted = x - x.max(axis=2, keepdims=True)
    logp = shifted - xp.log(xp.exp(shifted).sum(axis=2, keepdims=True))
    with np.errstate(invalid="ignore"):
        loss, grad = ctc(xp, logp, rows, seq, 0 if p["blank_label"] == "first" else alphabet - 1)
    return [loss.astype(data.dtype), grad.astype(data.dtype)]


def _backward(sc, p, ograds, ins, outs):
    grad = outs[1] * ograds[0][None, :, None]
    rest = [None] * (len(_inputs(p)) - 1)
    return [grad.astype(outs[1].dtype, copy=False)] + rest


register(OpDef(
    name=_OP, aliases=("ctc_loss", "_contrib_CTCLoss", "_contrib_ctc_loss"), inputs=_inputs,
    params=ParamSpec(
        Bool("use_data_lengths", False, "Whether the data lenghts are decided by "
                                        "`data_lengths`. If false, the lengths are equal to the "
                                        "max sequence length."),
        Bool("use_label_lengths", False, "Whether the label lenghts are decided by "
                                         "`label_lengths`, or derived from `padding_mask`. If "
                                         "false, the lengths are derived from the first "
                                         "occurrence of the value of `padding_mask`."),
        Enum("blank_label", ("first", "last"), "first",
             "Set the label that is reserved for blank label.")),
    forward=_forward, backward=_backward, infer_shape=_shape, infer_type=_types,
    num_hidden_outputs=1, output_names=lambda p: ["output0"],  # MXNet names it so
    no_grad_inputs=(), backward_reads=BackwardReads(outputs=(1,)),
    doc="Connectionist Temporal Classification loss of unnormalised sequence scores (T, N, "
        "alphabet) against label sequences; output (N,)."))
