"""``mx.autograd``: recording NDArray computations and differentiating them (MXNet 1.9.x).

Under ``record()`` every call of a registered op whose inputs have a history goes on a tape
(``tape.py``) with its parsed params and the ``StepContext`` of the call; ``backward``/``grad``
(``engine.py``) then call each op's own backward from the same registry the executor uses, on
whatever device the arrays live (NumPy or CuPy through the same code).
"""
from ..base import MXNetError
from ..ndarray import ndarray as _ndarray_module
from ..ndarray.ndarray import NDArray
from . import engine as _engine
from . import ndarray_steps as _ndarray_steps
from . import tape as _tape
from .export import get_symbol
from .function import Function
from .state import (is_recording, is_training, pause, predict_mode, record, set_recording,
                    set_training, train_mode)

__all__ = ["record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
           "set_recording", "set_training", "mark_variables", "backward", "grad", "get_symbol",
           "Function"]

_GRAD_REQS = ("null", "write", "add")


def _grad_req(req):
    if req == "inplace":
        return "write"
    if req not in _GRAD_REQS:
        raise ValueError(f"grad_req must be in {{'null': 0, 'write': 1, 'add': 3}}, got {req!r}")
    return req


def mark_variables(variables, gradients, grad_reqs="write"):
    """Mark NDArrays as variables whose gradients go to ``gradients``.

    The same as ``attach_grad`` but with buffers of the caller's choosing.

    Parameters
    ----------
    variables : NDArray or list of NDArray
    gradients : NDArray or list of NDArray
    grad_reqs : str or list of str
        'write', 'add' or 'null' for all, or one per variable.
    """
    if isinstance(variables, NDArray):
        if not isinstance(gradients, NDArray):
            raise TypeError("mark_variables: gradients must be an NDArray when variables is one")
        variables, gradients = [variables], [gradients]
    variables, gradients = list(variables), list(gradients)
    if len(variables) != len(gradients):
        raise MXNetError(f"mark_variables: {len(variables)} variables but {len(gradients)} "
                         f"gradients")
    if isinstance(grad_reqs, str):
        grad_reqs = [grad_reqs] * len(variables)
    grad_reqs = [_grad_req(r) for r in grad_reqs]
    if len(grad_reqs) != len(variables):
        raise MXNetError(f"mark_variables: {len(variables)} variables but {len(grad_reqs)} "
                         f"grad_reqs")
    for i, (v, g) in enumerate(zip(variables, gradients)):
        if not isinstance(v, NDArray) or not isinstance(g, NDArray):
            raise TypeError(f"mark_variables: variable and gradient {i} must be NDArrays")
        if g.shape != v.shape:
            raise MXNetError(f"mark_variables: gradient {i} has shape {g.shape}, but its "
                             f"variable has shape {v.shape}")
    for v, g, r in zip(variables, gradients, grad_reqs):
        _tape.mark_variable(v, g, r)


def _parse_heads(heads, head_grads):
    if isinstance(heads, NDArray):
        heads = [heads]
    if isinstance(head_grads, NDArray):
        head_grads = [head_grads]
    heads = list(heads)
    if head_grads is not None:
        head_grads = list(head_grads)
        assert len(heads) == len(head_grads), \
            "heads and head_grads must be lists of the same length"
    return heads, head_grads


def backward(heads, head_grads=None, retain_graph=False, train_mode=True):  # noqa: F811
    """Compute the gradients of ``heads`` with respect to the marked variables and store them in
    the variables' gradient buffers according to their grad_req.

    Parameters
    ----------
    heads : NDArray or list of NDArray
    head_grads : NDArray or list of (NDArray or None), optional
        Gradients with respect to the heads; ones where None.
    retain_graph : bool
        Keep the tape so the same graph can be differentiated again.
    train_mode : bool
        Whether backward runs in training mode (BatchNorm, Dropout).
    """
    heads, head_grads = _parse_heads(heads, head_grads)
    _engine.run_backward(heads, head_grads, None, retain_graph, False, train_mode)


def grad(heads, variables, head_grads=None, retain_graph=None, create_graph=False,
         train_mode=True):  # noqa: F811
    """Gradients of ``heads`` with respect to ``variables``, returned as new NDArrays (the
    variables' ``.grad`` buffers are left alone).

    Parameters
    ----------
    heads : NDArray or list of NDArray
    variables : NDArray or list of NDArray
        Marked variables (``attach_grad``) reachable from the heads.
    head_grads : NDArray or list of (NDArray or None), optional
    retain_graph : bool, optional
        Keep the tape; defaults to ``create_graph``.
    create_graph : bool
        Record the gradient computation so that it can be differentiated again (for the ops
        listed in ``higher_order.RULES``; others raise when differentiated a second time).
    train_mode : bool

    Returns
    -------
    list of NDArray
        One gradient per variable; a list even for a single NDArray variable, as MXNet 1.9's
        python/mxnet/autograd.py returns (its single-variable branch is never taken).
    """
    heads, head_grads = _parse_heads(heads, head_grads)
    if isinstance(variables, NDArray):
        variables = [variables]
    else:
        variables = list(variables)
        assert len(variables), "variables cannot be an empty list."
    retain_graph = retain_graph if retain_graph is not None else create_graph
    ret = _engine.run_backward(heads, head_grads, variables, retain_graph, create_graph,
                               train_mode)
    return ret


# The NDArray front end reaches the tape through these hooks (ndarray sits below autograd).
_ndarray_module.autograd_hooks = _ndarray_steps
