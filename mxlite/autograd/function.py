"""``autograd.Function``: a step with a user-written backward."""
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from .state import STATE, set_recording
from .tape import record_custom

__all__ = ["Function"]


class Function:
    """Customize differentiation in autograd.

    Subclass it with ``forward(self, *inputs)`` and ``backward(self, *output_grads)``: forward
    runs without recording, and under ``record()`` its outputs get a single tape step whose
    gradient is what ``backward`` returns (one NDArray per forward input). ``save_for_backward``
    keeps arrays for backward in ``saved_tensors``. An instance can be called once.

    Example::

        class sigmoid(mx.autograd.Function):
            def forward(self, x):
                y = 1 / (1 + mx.nd.exp(-x))
                self.save_for_backward(y)
                return y

            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)
    """

    def __init__(self):
        self._used = False
        self.saved_tensors = ()

    def save_for_backward(self, *args):
        self.saved_tensors = args

    def forward(self, *inputs):
        raise NotImplementedError

    def backward(self, *output_grads):
        raise NotImplementedError

    def __call__(self, *inputs):
        assert not self._used, \
            "Each Function instance can only be called once. Please create another instance."
        self._used = True
        prev = set_recording(False)
        try:
            outputs = self.forward(*inputs)
        finally:
            set_recording(prev)
        if not prev:
            return outputs
        outs = (outputs,) if isinstance(outputs, NDArray) else tuple(outputs)
        for i, o in enumerate(outs):
            if not isinstance(o, NDArray):
                raise TypeError(f"{type(self).__name__}.forward must return NDArrays, output {i} "
                                f"is {type(o).__name__}")
        arrays = [a for a in inputs if isinstance(a, NDArray)]
        record_custom(type(self).__name__, arrays, list(outs), self._backward_entry(arrays, outs))
        return outputs

    def _backward_entry(self, inputs, outputs):
        ctxs = [o.context for o in outputs]
        name = type(self).__name__

        def backward(ograds, in_data, out_data):
            prev = STATE.recording
            STATE.recording = False
            try:
                rets = self.backward(*[NDArray(g, c) for g, c in zip(ograds, ctxs)])
            finally:
                STATE.recording = prev
            if isinstance(rets, NDArray):
                rets = (rets,)
            if len(rets) != len(inputs):
                raise MXNetError(f"{name}.backward must return exactly the same number of "
                                 f"NDArrays as the number of NDArrays arguments to forward. "
                                 f"Expecting {len(inputs)} got {len(rets)}")
            grads = []
            for i, (r, x) in enumerate(zip(rets, inputs)):
                if not isinstance(r, NDArray):
                    raise MXNetError(f"autograd.Function.backward must return NDArrays, not "
                                     f"{type(r).__name__} (gradient {i} of {name})")
                if r.shape != x.shape:
                    raise MXNetError(f"{name}.backward: gradient {i} has shape {r.shape}, but "
                                     f"input {i} has shape {x.shape}")
                grads.append(r.as_in_context(x.context)._data)
            return grads
        return backward
