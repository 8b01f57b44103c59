"""The op registry: one ``OpDef`` record per operator, looked up by MXNet name or alias.

An OpDef holds everything about an op side by side: its inputs, parameters, shape and type rules,
forward, backward, and an optional GPU override. ``mx.nd.<Op>`` and ``mx.sym.<Op>`` are generated
from these records; the executor calls ``forward``/``backward`` through a ``StepContext``. This
module knows no particular op.
"""
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from ..base import MXNetError
from .params import ParamSpec, did_you_mean

__all__ = ["OpDef", "StepContext", "BackwardReads", "READS_NOTHING", "READS_SHAPES", "FLOAT_DATA",
           "BackwardFusion", "register", "register_fusion", "fusions", "get", "all_ops", "exists",
           "same_shape", "same_type", "unify_shapes"]


class StepContext:
    """What a kernel may use besides its inputs.

    Attributes
    ----------
    xp : module
        numpy or cupy: the array module of the context the step runs on.
    ctx : Context
    is_train : bool
    state : dict
        Scratch kept from forward to backward of the same step (dropout mask, batch statistics).
    grad_wanted : tuple of bool or None
        Set by the executor: which inputs' gradients are used. A backward may skip the others.
    out : array or None
        Set by the executor: the output buffer an op may write its first output into.

    out_shapes : tuple of shapes or None
        Set by the executor: the inferred shapes of the step's outputs.
    grad_out : tuple or None
        Set by the executor for backward: per input, the gradient array its gradient is written
        to when nothing else contributes to it (grad_req 'write'), else None. A backward may
        compute that input's gradient into it (same shape and dtype) and return that very array:
        the executor then skips the copy (and the fresh pages of a new array).
    workspace : Workspace or None
        Set by the executor: scratch buffers shared by every step of one executor (steps run one
        at a time), so temporaries are allocated once per executor rather than per call or per
        step. None in imperative calls: temporaries are then plain fresh arrays.
    """

    __slots__ = ("xp", "ctx", "is_train", "state", "node_name", "grad_wanted", "out", "workspace",
                 "out_shapes", "overwritable", "grad_out")

    def __init__(self, xp, ctx, is_train=False, node_name="", workspace=None):
        self.xp = xp
        self.ctx = ctx
        self.is_train = is_train
        self.state = {}
        self.node_name = node_name
        self.workspace = workspace
        # the output shapes the plan inferred (set by the executor): a creation op whose shape
        # parameter has unknown dims (``ones(shape=(-1, 3))``) learns them from its consumers
        self.out_shapes = None
        # input positions whose value dies at this step (set by the executor for ops declaring
        # ``inplace``): the op may write its output into that input's buffer
        self.overwritable = ()
        # per input: does anything use its gradient? (None: unknown, compute all). A backward
        # may skip work for an input marked False and return None for it.
        self.grad_wanted = None
        # the persistent buffer of this step's first output when it is an executor output: an op
        # may compute into it (same shape and dtype) instead of returning a new array
        self.out = None
        self.grad_out = None


@dataclass(frozen=True)
class BackwardReads:
    """What an op's backward reads besides the head gradients: the planner frees everything else.

    ``inputs`` and ``outputs`` are positions (outputs counted over visible then hidden ones) whose
    *values* backward reads; ``input_shapes`` are input positions of which it reads only the
    shape and dtype. The executor hands backward exactly this: the value, a ``ShapeOnly`` record
    (``.shape``, ``.dtype``, ``.ndim``, ``.size``) or None, so a wrong declaration fails loudly in
    the op-database tests instead of reading a freed value.
    """

    inputs: tuple = ()
    input_shapes: tuple = ()
    outputs: tuple = ()


#: ``OpDef.float_inputs`` of ops whose first input (data) must be floating point
FLOAT_DATA = (0,)

#: backward reads no value (element-wise add, identity, reshapes ...), only shapes
READS_SHAPES = "shapes"
#: backward reads neither values nor shapes (the head gradient is all it needs)
READS_NOTHING = BackwardReads()


def unify_shapes(a, b, op_name="op"):
    """One shape from two views of it, either possibly partial (0 = unknown dim)."""
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b) or any(x and y and x != y for x, y in zip(a, b)):
        raise MXNetError(f"Error in operator {op_name}: Incompatible attr: shapes "
                         f"{tuple(a)} and {tuple(b)} must be equal")
    return tuple(x or y for x, y in zip(a, b))


def same_shape(p, in_shapes):
    """Shape rule of element-wise ops: every input and the output share one shape (partial
    shapes are unified dimension by dimension)."""
    known = None
    for s in in_shapes:
        known = unify_shapes(known, s)
    return [known] * len(in_shapes), [known]


def same_type(p, in_types, num_outputs=1):
    """Type rule of most ops: every input and output share one dtype."""
    known = next((t for t in in_types if t is not None), None)
    return [known] * len(in_types), [known] * num_outputs


@dataclass(eq=False)
class OpDef:
    """Declaration of one operator.

    ``inputs`` is a tuple of input names or a function ``params -> names`` (FullyConnected drops
    ``bias`` when ``no_bias``; a variadic op's function sees ``num_args``, UpSampling's names
    ``data, weight`` when bilinear); ``aux`` names the inputs that are auxiliary (mutable) states.
    ``forward(sc, p, ins)`` returns the list of outputs (visible first, then hidden); ``backward(sc,
    p, ograds, ins, outs)`` returns one gradient per input, None where the input gets none.
    ``needs_head_grad`` is False for loss-like ops whose backward ignores the head gradient.

    ``backward_reads`` declares what backward reads (a ``BackwardReads``, ``READS_SHAPES`` for
    "every input's shape, no value", or a function ``params -> BackwardReads``); None means every
    input and output value, the safe default. ``forward_view`` says output 0 is a view of input 0
    (Reshape); ``grad_passthrough`` lists inputs whose gradient is the head gradient itself or a
    view of it (elemwise_add): the memory planner counts no new storage for either. ``inplace``
    lists input positions whose buffer the op's first output may reuse when the plan says that
    input dies at the step (``StepContext.overwritable``), MXNet's FInplaceOption; only outputs of
    ops declaring ``fresh_outputs`` (new arrays, never an input or a view of one) are reused.
    ``positional_input_names`` makes the monitor name inputs ``input0, input1 ...`` as MXNet does
    for ops that declare no input names. ``specialize(params)`` returns the OpDef a node with those
    params carries (Custom ops). ``input_var_attrs`` maps an input name to attributes its
    auto-created variable gets (BatchNorm's moving statistics carry their initialiser).
    ``gpu_forward``/``gpu_backward`` are the GPU overrides, which call the launchers of the
    family's ``<family>_cuda`` module.
    """

    name: str
    forward: Callable
    infer_shape: Callable
    params: ParamSpec = field(default_factory=ParamSpec)
    inputs: object = ("data",)
    backward: Optional[Callable] = None
    infer_type: Optional[Callable] = None
    aliases: tuple = ()
    aux: tuple = ()
    num_outputs: object = 1
    num_hidden_outputs: object = 0
    output_names: Optional[Callable] = None
    needs_head_grad: bool = True
    variadic: bool = False
    gpu_forward: Optional[Callable] = None
    gpu_backward: Optional[Callable] = None
    doc: str = ""
    # Names of inputs whose gradient MXNet refuses to compute (Embedding's data).
    no_grad_inputs: tuple = ()
    # Whether infer_shape understands partial shapes (0 = unknown dim); other rules are evaluated
    # on stand-in sizes (mxlite.symbol.infer). Element-wise ops (same_shape) are partial-aware.
    # ``fill_inputs(p, in_shapes, out_shapes) -> in_shapes`` learns unknown input dims from known
    # outputs (Reshape, transpose ...).
    partial_shapes: Optional[bool] = None
    fill_inputs: Optional[Callable] = None
    backward_reads: object = None
    forward_view: bool = False
    grad_passthrough: tuple = ()
    inplace: tuple = ()
    fresh_outputs: bool = False
    positional_input_names: bool = False
    input_var_attrs: dict = field(default_factory=dict)
    # ``params -> OpDef``: the declaration one node of this op uses (Custom: the registered
    # prop's aux names and gradient needs become plain values); None for ordinary ops
    specialize: Optional[Callable] = None
    # Input positions that must hold floating-point data (FLOAT_DATA: the first). Ops whose
    # kernels compute in floating point opt in: MXNet 1.9.1 refuses integer data for some
    # (Activation, softmax, Convolution ...) and silently truncates or wraps for others
    # (sigmoid of int32 2 is 0, exp of bool is True); the type rule refuses both alike.
    float_inputs: tuple = ()
    # The op's scalar form for element-wise fusion (``ops.pointwise.Pointwise``, or a function
    # ``params -> Pointwise or None``): the same formulas as forward/backward, traced into
    # generated kernels by ``mxlite.passes``. Only single-output ops whose inputs and output
    # share one shape declare it.
    pointwise: object = None

    def __post_init__(self):
        if self.partial_shapes is None:
            self.partial_shapes = self.infer_shape is same_shape

    def input_names(self, p):
        if self.variadic and not callable(self.inputs):
            return [f"arg{i}" for i in range(p["num_args"])]
        return list(self.inputs(p) if callable(self.inputs) else self.inputs)

    def n_visible(self, p):
        return self.num_outputs(p) if callable(self.num_outputs) else self.num_outputs

    def n_total(self, p):
        hidden = self.num_hidden_outputs
        return self.n_visible(p) + (hidden(p) if callable(hidden) else hidden)

    def out_names(self, p):
        """Suffixes of the visible outputs: ``['output']`` or ``['output0', 'output1', ...]``."""
        if self.output_names is not None:
            return list(self.output_names(p))
        n = self.n_visible(p)
        return ["output"] if n == 1 else [f"output{i}" for i in range(n)]

    def types(self, p, in_types):
        if self.float_inputs:
            self._check_float(p, in_types)
        if self.infer_type is not None:
            return self.infer_type(p, in_types)
        return same_type(p, in_types, self.n_total(p))

    def _check_float(self, p, in_types):
        for pos in self.float_inputs:
            t = in_types[pos] if pos < len(in_types) else None
            if t is not None and np.dtype(t).kind != "f":
                try:
                    name = self.input_names(p)[pos]
                except (KeyError, IndexError, TypeError, AttributeError):
                    name = f"input {pos}"
                raise MXNetError(f"Error in operator {self.name}: This operation only support "
                                 f"floating point types, not {np.dtype(t).name} (input {name}; "
                                 f"expected float16, float32 or float64: cast it with "
                                 f"Cast/astype first)")

    def parse(self, attrs):
        return self.params.parse(attrs, self.name)

    def reads(self, p, n_inputs, n_outputs):
        """The ``BackwardReads`` of this op with params ``p`` (every value when undeclared)."""
        reads = self.backward_reads
        if callable(reads):
            reads = reads(p)
        if reads is None:
            return BackwardReads(tuple(range(n_inputs)), (), tuple(range(n_outputs)))
        if reads == READS_SHAPES:
            return BackwardReads((), tuple(range(n_inputs)), ())
        return reads


@dataclass(frozen=True)
class BackwardFusion:
    """A backward rewrite an op family declares: when a ``consumer`` step reads output 0 of a
    ``producer`` step and nothing else reads it (and it is not a graph output), the two backward
    steps become one call of ``backward``. Forward is left alone, so monitors see MXNet's values.

    ``backward(sc, (producer_params, consumer_params), ograds, ins, outs)`` gets the consumer's
    head gradients, the producer's inputs as ``ins`` and the consumer's outputs as ``outs``, and
    returns one gradient per producer input. ``when(producer_params, consumer_params)`` narrows
    the match; ``reads`` is its ``BackwardReads``; ``device`` is ``"gpu"`` or ``"cpu"``.
    """

    name: str
    producer: str
    consumer: str
    backward: Callable
    reads: object
    when: Callable = lambda producer_params, consumer_params: True
    device: str = "gpu"


_REGISTRY = {}
_CANONICAL = []
_FUSIONS = []


def register_fusion(fusion):
    """Declare a backward fusion (applied by ``mxlite.passes`` when a plan is bound)."""
    _FUSIONS.append(fusion)
    return fusion


def fusions():
    """Every declared ``BackwardFusion``, in declaration order."""
    return list(_FUSIONS)


def register(op):
    """Add ``op`` under its name and aliases; a second registration of a name is a bug."""
    for name in (op.name,) + tuple(op.aliases):
        if name in _REGISTRY:
            raise ValueError(f"operator {name} registered twice")
        _REGISTRY[name] = op
    _CANONICAL.append(op)
    return op


def get(name):
    """The OpDef registered as ``name`` (MXNetError naming it, and the closest names, when there
    is none)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise MXNetError(f"Cannot find operator {name}{did_you_mean(name, _REGISTRY)}") from None


class _MissingAttribute(AttributeError):
    """An AttributeError whose suggestion is computed only when the message is read (``hasattr``
    probes never pay for it)."""

    def __init__(self, module, name, public):
        super().__init__(f"module '{module}' has no attribute {name!r}")
        self.name = name
        self._public = public

    def __str__(self):
        return self.args[0] + did_you_mean(self.name, list(_REGISTRY) + self._public)


def missing_attribute(module, name, namespace=()):
    """The AttributeError for ``<module>.<name>`` when no such function exists, suggesting the
    closest operator or function names (``mx.sym.FullyConected``)."""
    return _MissingAttribute(module, name, [k for k in namespace if not k.startswith("_")])


def exists(name):
    return name in _REGISTRY


def all_names():
    """Every registered name, aliases included, in registration order."""
    return list(_REGISTRY)


def all_ops():
    """Every OpDef once, in registration order."""
    return list(_CANONICAL)
