"""NumPy float64 reference for FullyConnected: ``x @ W.T + b`` on the input flattened to 2-D
(or on its last axis with ``flatten=False``)."""


def fully_connected(x, w, b, flatten=True):
    x2 = x.reshape(x.shape[0], -1) if flatten else x
    out = x2 @ w.T
    return out + b if b is not None else out
