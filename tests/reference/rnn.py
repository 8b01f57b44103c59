"""NumPy float64 reference of MXNet's fused RNN op (vanilla relu/tanh, LSTM, GRU).

Written from the formulas in MXNet 1.9.x ``src/operator/rnn.cc`` (the op's documentation) and the
parameter layout of ``rnn-inl.h``/``rnn_impl.h``: all weights first (per layer, per direction:
i2h ``(G*H, in)`` then h2h ``(G*H, H)``), then all biases in the same order. Plain loops over
layers, directions and time steps, one gate at a time; never imports mxlite. No dropout: the
reference is for inference or ``p = 0``.
"""
import numpy as np

GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def param_size(mode, input_size, state_size, num_layers, bidirectional):
    """Length of the flat parameter vector: per layer and direction G*H*(in + H) weights and
    2*G*H biases."""
    g, h = GATES[mode], state_size
    dirs = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        in_size = input_size if layer == 0 else dirs * h
        total += dirs * (g * h * (in_size + h) + 2 * g * h)
    return total


def split_params(flat, mode, input_size, state_size, num_layers, bidirectional):
    """``{(layer, direction): (wx, wh, bx, bh)}`` read from the flat vector (copies)."""
    g, h = GATES[mode], state_size
    dirs = 2 if bidirectional else 1
    weights, pos = {}, 0
    for layer in range(num_layers):
        in_size = input_size if layer == 0 else dirs * h
        for d in range(dirs):
            wx = flat[pos:pos + g * h * in_size].reshape(g * h, in_size).copy()
            pos += g * h * in_size
            wh = flat[pos:pos + g * h * h].reshape(g * h, h).copy()
            pos += g * h * h
            weights[layer, d] = [wx, wh]
    for layer in range(num_layers):
        for d in range(dirs):
            weights[layer, d] += [flat[pos:pos + g * h].copy(), flat[pos + g * h:pos + 2 * g * h]
                                  .copy()]
            pos += 2 * g * h
    assert pos == flat.size, f"parameter vector has {flat.size} entries, layout needs {pos}"
    return weights


def _step(mode, x, h, c, wx, wh, bx, bh, clip):
    """One time step of one cell for one (batch of) input(s)."""
    size = h.shape[-1]

    def gate(k):
        rows = slice(k * size, (k + 1) * size)
        return x @ wx[rows].T + bx[rows], h @ wh[rows].T + bh[rows]

    if mode in ("rnn_relu", "rnn_tanh"):
        xi, hi = gate(0)
        a = xi + hi
        return (np.tanh(a) if mode == "rnn_tanh" else np.maximum(a, 0.0)), None
    if mode == "lstm":
        i = sigmoid(sum(gate(0)))
        f = sigmoid(sum(gate(1)))
        g = np.tanh(sum(gate(2)))
        o = sigmoid(sum(gate(3)))
        c = f * c + i * g
        if clip is not None:
            c = np.clip(c, clip[0], clip[1])
        return o * np.tanh(c), c
    xr, hr = gate(0)
    xz, hz = gate(1)
    xn, hn = gate(2)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1.0 - z) * n + z * h, None


def rnn(data, parameters, state, state_cell=None, *, state_size, num_layers, mode,
        bidirectional=False, state_outputs=False, clip=None, sequence_length=None):
    """Outputs of the RNN op: ``[out]`` or ``[out, hy]`` / ``[out, hy, cy]`` with state_outputs.

    ``clip`` is ``(lo, hi)`` for LSTM cell-state clipping, or None. With ``sequence_length`` each
    batch element is run alone on its first ``sequence_length[b]`` steps, its output zero-padded
    (cuDNN's unpacked layout).
    """
    kw = dict(state_size=state_size, num_layers=num_layers, mode=mode,
              bidirectional=bidirectional, clip=clip)
    if sequence_length is not None:
        out = np.zeros((data.shape[0], data.shape[1], (2 if bidirectional else 1) * state_size))
        hy, cy = np.zeros_like(state), np.zeros_like(state)
        for b, length in enumerate(np.asarray(sequence_length).astype(int)):
            cell = state_cell[:, b:b + 1] if mode == "lstm" else None
            res = rnn(data[:length, b:b + 1], parameters, state[:, b:b + 1], cell,
                      state_outputs=True, **kw)
            out[:length, b] = res[0][:, 0]
            hy[:, b] = res[1][:, 0]
            if mode == "lstm":
                cy[:, b] = res[2][:, 0]
        states = [hy, cy] if mode == "lstm" else [hy]
        return [out] + (states if state_outputs else [])
    steps, batch, input_size = data.shape
    dirs = 2 if bidirectional else 1
    weights = split_params(parameters, mode, input_size, state_size, num_layers, bidirectional)
    hy = np.zeros((num_layers * dirs, batch, state_size))
    cy = np.zeros_like(hy)
    layer_in = data
    for layer in range(num_layers):
        out = np.zeros((steps, batch, dirs * state_size))
        for d in range(dirs):
            row = layer * dirs + d
            h = state[row].copy()
            c = state_cell[row].copy() if mode == "lstm" else None
            order = range(steps - 1, -1, -1) if d == 1 else range(steps)
            for t in order:
                h, c = _step(mode, layer_in[t], h, c, *weights[layer, d], clip)
                out[t, :, d * state_size:(d + 1) * state_size] = h
            hy[row] = h
            if mode == "lstm":
                cy[row] = c
        layer_in = out
    if not state_outputs:
        return [layer_in]
    return [layer_in, hy, cy] if mode == "lstm" else [layer_in, hy]
