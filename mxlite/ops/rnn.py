"""The fused ``RNN`` op: stacked, optionally bidirectional vanilla RNN (relu/tanh), LSTM and GRU.

Semantics pinned in MXNet 1.9.x ``src/operator/rnn-inl.h``, ``rnn.cc`` and ``rnn_impl.h``:

- data is TNC ``(seq_len, batch, input_size)``; the output is ``(seq_len, batch, D * state_size)``
  with the reverse direction's hidden states in the second half of the last axis, in the original
  time order;
- ``parameters`` is one flat vector: first every weight, per layer and per direction the i2h matrix
  ``(G * H, in)`` then the h2h matrix ``(G * H, H)``; then every bias in the same order, i2h bias
  ``(G * H,)`` then h2h bias ``(G * H,)``. G is 1, 4 (gates i, f, g, o) or 3 (r, z, n);
- ``state``/``state_cell`` and ``hy``/``cy`` are ``(num_layers * D, batch, H)``, row ``l * D + d``;
- GRU is cuDNN's: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``;
- ``p`` is dropout on the outputs of every layer but the last, only in training; the states a
  layer reports are taken before the dropout;
- the op declares no hidden outputs: 1 output, or 2 (3 for LSTM) with ``state_outputs``;
- ``use_sequence_length`` follows cuDNN (MXNet's CPU kernels refuse or ignore it): batch element
  ``b`` runs only its first ``sequence_length[b]`` steps (the reverse direction starts at its last
  valid step), its outputs past them are 0 and its final states are those of its last valid step;
- LSTM state clipping also follows cuDNN (MXNet's plain CPU kernel refuses it, its MKLDNN kernel
  ignores it): the cell state is clamped each step before ``tanh``, its gradient is zero where
  clamped; ``lstm_state_clip_nan`` maps a NaN cell state to the minimum;
- ``projection_size`` is refused (not implemented).

Read top-down: parameters, shape and type rules, the parameter layout, one time step of each
cell (forward and its hand-written backward), then the layer/time loops. Everything runs in the
array module ``xp`` of the context; float16 computes in float32.
"""
import numpy as np

from ..base import MXNetError
from ..random import generator
from .params import Bool, Enum, Float, Int, ParamSpec
from .registry import OpDef, register

# gate blocks per cell, in the order of the packed matrices
GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


class _OptInt(Int):
    """An int that may be None (MXNet's dmlc::optional<int>)."""

    type_name = "int or None"

    def parse(self, value):
        return None if value is None or str(value) == "None" else super().parse(value)


_PARAMS = ParamSpec(
    Int("state_size", doc="size of the state for each layer"),
    Int("num_layers", doc="number of stacked layers"),
    Bool("bidirectional", False, "whether to use bidirectional recurrent layers"),
    Enum("mode", ("rnn_relu", "rnn_tanh", "lstm", "gru"), doc="the type of RNN to compute"),
    Float("p", 0.0, "drop rate of the dropout on the outputs of each RNN layer, except the last "
                    "layer."),
    Bool("state_outputs", False, "Whether to have the states as symbol outputs."),
    _OptInt("projection_size", None, "size of project size"),
    Float("lstm_state_clip_min", None, "Minimum clip value of LSTM states. This option must be "
                                       "used together with lstm_state_clip_max.", optional=True),
    Float("lstm_state_clip_max", None, "Maximum clip value of LSTM states. This option must be "
                                       "used together with lstm_state_clip_min.", optional=True),
    Bool("lstm_state_clip_nan", False, "Whether to stop NaN from propagating in state by "
                                       "clipping it to min/max. If clipping range is not "
                                       "specified, this option is ignored."),
    Bool("use_sequence_length", False, "If set to true, this layer takes in an extra input "
                                       "parameter `sequence_length` to specify variable length "
                                       "sequence"))


def _err(msg):
    return MXNetError(f"Error in operator RNN: {msg}")


def _input_names(p):
    # the signature builder calls this without the required `mode`: show every optional input
    names = ["data", "parameters", "state"]
    if p.get("mode") in (None, "lstm"):
        names.append("state_cell")
    if p.get("use_sequence_length", True):
        names.append("sequence_length")
    return names


def _n_outputs(p):
    if not p["state_outputs"]:
        return 1
    return 3 if p["mode"] == "lstm" else 2


def _output_names(p):
    return ["output", "state_output", "statecell_output"][:_n_outputs(p)]


def _dirs(p):
    return 2 if p["bidirectional"] else 1


def param_size(p, input_size):
    """Length of the flat parameter vector (``GetRnnParamSize`` in rnn-inl.h, no projection)."""
    h, d, g = p["state_size"], _dirs(p), GATES[p["mode"]]
    first = (input_size + h + 2) * g * h * d
    other = (h * d + h + 2) * g * h * d
    return first + (p["num_layers"] - 1) * other


def _check(p):
    """Refuse what MXNet refuses and what mxlite does not implement."""
    if not 0.0 <= p["p"] < 1.0:
        # rnn-inl.h Forward: "unsupported dropout value, should be 0 <= dropout < 1"
        raise _err(f"unsupported dropout value p={p['p']}, should be 0 <= dropout < 1")
    if p["state_size"] < 1 or p["num_layers"] < 1:
        raise _err(f"state_size and num_layers must be positive, got state_size="
                   f"{p['state_size']}, num_layers={p['num_layers']}")
    if p["projection_size"] is not None:
        raise _err("projection_size is not supported in mxlite")
    lo, hi = p["lstm_state_clip_min"], p["lstm_state_clip_max"]
    if lo is not None or hi is not None:
        # the cuDNN checks of rnn-inl.h (MXNet's CPU kernel refuses clipping altogether)
        if p["mode"] != "lstm":
            raise _err(f"State clipping is only supported for LSTM (lstm_state_clip_min/max "
                       f"given with mode={p['mode']}).")
        if lo is None or hi is None:
            raise _err("lstm_state_clip_min and lstm_state_clip_max must be specified together.")
        if hi < lo:
            raise _err("lstm_state_clip_max must be greater or equal to lstm_state_clip_min")


def _shape(p, in_shapes):
    _check(p)
    data = in_shapes[0]
    out = list(in_shapes)
    if data is None:
        return out, [None] * _n_outputs(p)
    if len(data) != 3:
        raise _err(f"Input data should be rank-3 tensor of dim [sequence length, batch size, "
                   f"input size], got shape {tuple(data)}")
    t, n, i = data
    h, d = p["state_size"], _dirs(p)
    state = (p["num_layers"] * d, n, h)
    out[1] = (param_size(p, i),)
    out[2] = state
    if p["mode"] == "lstm":
        out[3] = state
    if p["use_sequence_length"]:
        out[-1] = (n,)
    return out, [(t, n, d * h), state, state][:_n_outputs(p)]


def _type(p, in_types):
    names = _input_names(p)
    dtype = in_types[0]
    if dtype is None:
        return list(in_types), [None] * _n_outputs(p)
    if np.dtype(dtype).kind != "f":
        raise _err(f"data type {np.dtype(dtype).name} is not supported (float16, float32 or "
                   f"float64 expected)")
    types = [dtype] * len(names)
    if p["use_sequence_length"]:
        # the lengths keep their own (index) type, as in rnn.cc
        types[-1] = in_types[-1] if in_types[-1] is not None else dtype
    for name, given in zip(names, in_types, strict=True):
        if name != "sequence_length" and given is not None and np.dtype(given) != np.dtype(dtype):
            raise _err(f"{name} must have the same type as data ({np.dtype(dtype).name}), got "
                       f"{np.dtype(given).name}")
    return types, [dtype] * _n_outputs(p)


def unpack(p, flat, input_size):
    """Views ``(wx, wh, bx, bh)`` into ``flat`` for each layer and direction, row ``l * D + d``.

    The views share memory with ``flat``, so backward fills a flat gradient through them.
    """
    h, d, g = p["state_size"], _dirs(p), GATES[p["mode"]]
    blocks, w_off = [], 0
    b_off = flat.shape[0] - 2 * g * h * d * p["num_layers"]
    for layer in range(p["num_layers"]):
        in_size = input_size if layer == 0 else d * h
        for _ in range(d):
            wx = flat[w_off:w_off + g * h * in_size].reshape(g * h, in_size)
            w_off += g * h * in_size
            wh = flat[w_off:w_off + g * h * h].reshape(g * h, h)
            w_off += g * h * h
            bx = flat[b_off:b_off + g * h]
            bh = flat[b_off + g * h:b_off + 2 * g * h]
            b_off += 2 * g * h
            blocks.append((wx, wh, bx, bh))
    return blocks


# --------------------------------------------------------------------------------------------------
# One time step of each cell. ``xw`` is the i2h pre-activation of the step with its bias; the cache
# a forward step returns starts with the previous hidden state (backward's h2h weight gradient).
def _sigmoid(xp, a):
    # the tanh form never overflows, unlike 1 / (1 + exp(-a))
    return 0.5 * (xp.tanh(0.5 * a) + 1.0)


def cell_forward(xp, mode, xw, h, c, wh, bh, clip):
    """One step: returns the new ``h``, the new ``c`` (LSTM, else None) and the cache."""
    hw = xp.matmul(h, wh.T) + bh
    if mode in ("rnn_tanh", "rnn_relu"):
        a = xw + hw
        h_new = xp.tanh(a) if mode == "rnn_tanh" else xp.maximum(a, 0)
        return h_new, None, (h, h_new)
    size = h.shape[1]
    if mode == "lstm":
        a = xw + hw
        i, f, o = (_sigmoid(xp, a[:, k * size:(k + 1) * size]) for k in (0, 1, 3))
        g = xp.tanh(a[:, 2 * size:3 * size])
        c_new = f * c + i * g
        inside = None
        if clip is not None:
            lo, hi, stop_nan = clip
            if stop_nan:
                # cuDNN's clamp fmin(fmax(c, lo), hi) maps NaN to lo
                c_new = xp.where(xp.isnan(c_new), lo, c_new)
            inside = (c_new >= lo) & (c_new <= hi)
            c_new = xp.clip(c_new, lo, hi)
        tc = xp.tanh(c_new)
        return o * tc, c_new, (h, c, i, f, g, o, tc, inside)
    # GRU as cuDNN: the reset gate scales the whole h2h n-part, its bias included
    r = _sigmoid(xp, xw[:, :size] + hw[:, :size])
    z = _sigmoid(xp, xw[:, size:2 * size] + hw[:, size:2 * size])
    hn = hw[:, 2 * size:]
    n = xp.tanh(xw[:, 2 * size:] + r * hn)
    return (1.0 - z) * n + z * h, None, (h, r, z, n, hn)


def cell_backward(xp, mode, dh, dc, cache):
    """Backward of one step given the gradients of its new ``h`` and ``c``.

    Returns the gradients of the i2h pre-activation, of the h2h pre-activation (``h @ wh.T +
    bh``), the part of the previous ``h``'s gradient that bypasses ``wh`` (GRU), and the previous
    ``c``'s gradient (LSTM).
    """
    if mode in ("rnn_tanh", "rnn_relu"):
        h_new = cache[1]
        da = dh * (1.0 - h_new * h_new) if mode == "rnn_tanh" else dh * (h_new > 0)
        return da, da, None, None
    if mode == "lstm":
        _, c, i, f, g, o, tc, inside = cache
        dcn = dc + dh * o * (1.0 - tc * tc)
        if inside is not None:
            dcn = dcn * inside
        da = xp.concatenate([dcn * g * i * (1.0 - i), dcn * c * f * (1.0 - f),
                             dcn * i * (1.0 - g * g), dh * tc * o * (1.0 - o)], axis=1)
        return da, da, None, dcn * f
    h, r, z, n, hn = cache
    dan = dh * (1.0 - z) * (1.0 - n * n)
    dar = dan * hn * r * (1.0 - r)
    daz = dh * (h - n) * z * (1.0 - z)
    return (xp.concatenate([dar, daz, dan], axis=1),
            xp.concatenate([dar, daz, dan * r], axis=1), dh * z, None)


def _clip(p):
    if p["mode"] != "lstm" or p["lstm_state_clip_min"] is None:
        return None
    return p["lstm_state_clip_min"], p["lstm_state_clip_max"], p["lstm_state_clip_nan"]


def _acc(dtype):
    return np.dtype(np.float32) if np.dtype(dtype) == np.float16 else np.dtype(dtype)


def _run_direction(xp, p, x, h, c, block, reverse, valid):
    """One layer in one direction over all time steps (``valid``: (T, N, 1) step masks or None).

    Returns the hidden states ``(T, N, H)`` in time order, the final ``h`` and ``c``, and the
    per-step caches (in processing order) that backward reads.
    """
    wx, wh, bx, bh = block
    steps = x.shape[0]
    # the i2h product of every step in one GEMM, as rnn_impl.h does
    xw = xp.matmul(x.reshape(steps * x.shape[1], -1), wx.T).reshape(steps, x.shape[1], -1) + bx
    ys = xp.empty((steps, x.shape[1], wh.shape[1]), x.dtype)
    tape = []
    for step in range(steps):
        t = steps - 1 - step if reverse else step
        h_new, c_new, cache = cell_forward(xp, p["mode"], xw[t], h, c, wh, bh, _clip(p))
        if valid is None:
            h, c = h_new, c_new
            ys[t] = h
        else:
            # a finished (or not yet started, in reverse) sequence keeps its state
            h = xp.where(valid[t], h_new, h)
            c = None if c is None else xp.where(valid[t], c_new, c)
            ys[t] = xp.where(valid[t], h_new, 0)
        tape.append(cache)
    return ys, h, c, tape


def _valid_steps(xp, lengths, steps):
    """(T, N, 1) masks of the steps each batch element runs."""
    lengths = lengths.astype(np.int64)
    if int(lengths.min()) < 1 or int(lengths.max()) > steps:
        raise _err(f"sequence_length values must be in [1, {steps}], got "
                   f"{lengths.tolist()}")
    return (xp.arange(steps)[:, None, None] < lengths[None, :, None])


def _forward(sc, p, ins):
    _check(p)
    xp = sc.xp
    x = ins[0]
    acc = _acc(x.dtype)
    lstm = p["mode"] == "lstm"
    n_dir, layers = _dirs(p), p["num_layers"]
    hx = ins[2].astype(acc, copy=False)
    cx = ins[3].astype(acc, copy=False) if lstm else None
    blocks = unpack(p, ins[1].astype(acc, copy=False), x.shape[2])
    hy, cy = xp.empty_like(hx), xp.empty_like(hx)
    layer_in = x.astype(acc, copy=False)
    valid = _valid_steps(xp, ins[-1], x.shape[0]) if p["use_sequence_length"] else None
    inputs, masks, tapes = [], [], []
    for layer in range(layers):
        ys = []
        for d in range(n_dir):
            row = layer * n_dir + d
            y, hy[row], c_last, tape = _run_direction(
                xp, p, layer_in, hx[row], cx[row] if lstm else None, blocks[row], d == 1, valid)
            if lstm:
                cy[row] = c_last
            ys.append(y)
            tapes.append(tape)
        inputs.append(layer_in)
        y = ys[0] if n_dir == 1 else xp.concatenate(ys, axis=2)
        mask = None
        if layer < layers - 1 and sc.is_train and p["p"] > 0:
            # rnn_impl.h drops an element when its uniform draw is below p, scales the rest
            draws = generator(sc.ctx).uniform(0.0, 1.0, y.shape)
            mask = ((draws >= p["p"]) * (1.0 / (1.0 - p["p"]))).astype(acc)
            y = y * mask
        masks.append(mask)
        layer_in = y
    sc.state.update(inputs=inputs, masks=masks, tapes=tapes, valid=valid)
    outs = [layer_in, hy, cy][:_n_outputs(p)]
    return [o.astype(x.dtype, copy=False) for o in outs]


def _backward_direction(xp, p, dy, dh, dc, block, dblock, tape, x, reverse, valid):
    """BPTT through one layer and direction; accumulates into ``dblock`` and returns the
    gradient of the i2h pre-activations ``(T, N, G*H)`` and of the initial ``h`` and ``c``."""
    wx, wh, _, _ = block
    dwx, dwh, dbx, dbh = dblock
    steps = dy.shape[0]
    dxw = xp.empty((steps, dy.shape[1], wx.shape[0]), dy.dtype)
    for step in reversed(range(steps)):
        t = steps - 1 - step if reverse else step
        g, gc = dh + dy[t], dc
        if valid is not None:
            # a masked step passes the carried state gradients straight through
            g, gc = xp.where(valid[t], g, 0), None if dc is None else xp.where(valid[t], dc, 0)
            keep_h = xp.where(valid[t], 0, dh)
            keep_c = None if dc is None else xp.where(valid[t], 0, dc)
        dxw[t], dhw, dh_direct, dc = cell_backward(xp, p["mode"], g, gc, tape[step])
        h_prev = tape[step][0]
        dwh += xp.matmul(dhw.T, h_prev)
        dbh += dhw.sum(axis=0)
        dh = xp.matmul(dhw, wh)
        if dh_direct is not None:
            dh = dh + dh_direct
        if valid is not None:
            dh = dh + keep_h
            dc = None if dc is None else dc + keep_c
    flat = dxw.reshape(steps * dy.shape[1], -1)
    dwx += xp.matmul(flat.T, x.reshape(flat.shape[0], -1))
    dbx += flat.sum(axis=0)
    return dxw, dh, dc


def _backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    if "tapes" not in sc.state:
        # backward with no forward of this step before it: recompute the forward
        _forward(sc, p, ins)
    x, w = ins[0], ins[1]
    acc = _acc(x.dtype)
    lstm = p["mode"] == "lstm"
    n_dir, layers, h = _dirs(p), p["num_layers"], p["state_size"]
    wanted = sc.grad_wanted or (True,) * len(ins)
    blocks = unpack(p, w.astype(acc, copy=False), x.shape[2])
    dw = xp.zeros(w.shape, acc)
    dblocks = unpack(p, dw, x.shape[2])
    zeros = xp.zeros((layers * n_dir,) + tuple(ins[2].shape[1:]), acc)
    dhy = ograds[1].astype(acc) if p["state_outputs"] else zeros
    dcy = ograds[2].astype(acc) if p["state_outputs"] and lstm else zeros
    dhx, dcx = xp.empty_like(zeros), xp.empty_like(zeros)
    dy = ograds[0].astype(acc)
    st = sc.state
    for layer in reversed(range(layers)):
        x_l = st["inputs"][layer]
        need_dx = layer > 0 or wanted[0]
        dx = xp.zeros(x_l.shape, acc) if need_dx else None
        for d in range(n_dir):
            row = layer * n_dir + d
            dxw, dhx[row], dc0 = _backward_direction(
                xp, p, dy[:, :, d * h:(d + 1) * h], dhy[row], dcy[row] if lstm else None,
                blocks[row], dblocks[row], st["tapes"][row], x_l, d == 1, st["valid"])
            if lstm:
                dcx[row] = dc0
            if need_dx:
                dx += xp.matmul(dxw, blocks[row][0])
        if layer > 0 and st["masks"][layer - 1] is not None:
            dx *= st["masks"][layer - 1]
        dy = dx
    grads = [None if dy is None else dy.astype(x.dtype, copy=False),
             dw.astype(w.dtype, copy=False), dhx.astype(x.dtype, copy=False)]
    if lstm:
        grads.append(dcx.astype(x.dtype, copy=False))
    if p["use_sequence_length"]:
        grads.append(None)
    return grads


register(OpDef(
    name="RNN", aliases=("_npx_rnn",), params=_PARAMS, inputs=_input_names,
    forward=_forward, backward=_backward, infer_shape=_shape, infer_type=_type,
    num_outputs=_n_outputs, output_names=_output_names,
    doc="Applies recurrent layers (vanilla RNN with relu or tanh, LSTM, GRU) to TNC data, with "
        "stacked and bidirectional layers; all weights and biases packed in one `parameters` "
        "vector as MXNet/cuDNN pack them."))
