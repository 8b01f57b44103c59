"""Weight initializers (``mx.init`` / ``mx.initializer``), as MXNet 1.9's initializer.py.

An initializer is called as ``init(mx.init.InitDesc(name, attrs), arr)`` or, the legacy way,
``init(name, arr)``, and writes into the NDArray ``arr`` in place. It picks what to do from the
name's suffix (``weight``, ``bias``, ``gamma``, ...), unless the descriptor's attrs carry an
``__init__`` pattern (set by ``mx.sym.Variable(init=...)`` or by BatchNorm for its moving
statistics), which wins. Random draws come from ``mxlite.random.generator(arr.context)``, so
``mx.random.seed`` reproduces them.
"""
import json
import logging
import re
import warnings
from math import sqrt

import numpy as np

from . import random as _random
from .base import string_types
from .ndarray import NDArray

__all__ = ["InitDesc", "Initializer", "register", "alias", "create", "Load", "Mixed", "Zero", "One",
           "Constant", "Uniform", "Normal", "Orthogonal", "Xavier", "MSRAPrelu", "Bilinear",
           "LSTMBias", "FusedRNN"]


class InitDesc(str):
    """Descriptor of a variable to initialize: its name (this str), attrs, and a global fallback.

    Parameters
    ----------
    name : str
        Name of the variable.
    attrs : dict of str to str, optional
        Attributes of the variable, as ``Symbol.attr_dict()`` gives them.
    global_init : Initializer, optional
        Initializer to fall back to.
    """

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _draw(arr, kind, a, b, shape=None):
    """Uniform [a, b) or normal (mean a, std b) samples on ``arr``'s device, as float64."""
    gen = _random.generator(arr.context)
    size = tuple(arr.shape if shape is None else shape)
    return gen.uniform(a, b, size) if kind == "uniform" else gen.normal(a, b, size)


def _filler(value):
    def fill(self, _, arr):
        arr[:] = value
    return fill


class Initializer:
    """Base class of initializers: name-based dispatch, ``dumps()``, verbosity.

    Parameters
    ----------
    **kwargs
        Constructor arguments, kept in order for ``dumps()``.
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        """Log each initialized array with ``print_func(arr)`` (default: norm / sqrt(size))."""
        self._verbose = verbose
        if print_func is None:
            def asum_stat(x):
                """|x| / sqrt(size(x))."""
                host = x.asnumpy().astype(np.float64).ravel()
                return str(np.float32(np.linalg.norm(host) / sqrt(x.size)))
            print_func = asum_stat
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self):
        """The JSON text that ``create()`` (and a Variable's ``__init__`` attr) understands.

        Examples
        --------
        >>> mx.init.Xavier(factor_type="in", magnitude=2.34).dumps()
        '["xavier", {"rnd_type": "uniform", "factor_type": "in", "magnitude": 2.34}]'
        """
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        """Initialize ``arr`` in place according to ``desc`` (an InitDesc, or a str: legacy)."""
        if not isinstance(desc, InitDesc):
            self._legacy_init(desc, arr)
            return
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        # MXNet's InitDesc path knows only these suffixes; moving statistics are reached through
        # the "__init__" attr that BatchNorm puts on them.
        for suffix, method in (("weight", self._init_weight), ("bias", self._init_bias),
                               ("gamma", self._init_gamma), ("beta", self._init_beta),
                               ("min", self._init_zero), ("max", self._init_one),
                               ("weight_quantize", self._init_quantized_weight),
                               ("bias_quantize", self._init_quantized_bias)):
            if desc.endswith(suffix):
                method(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _legacy_init(self, name, arr):
        """``init(name, arr)``: the older, longer suffix table (moving statistics included)."""
        warnings.warn("Calling initializer with init(str, NDArray) has been deprecated."
                      "please use init(mx.init.InitDesc(...), NDArray) instead.",
                      DeprecationWarning, stacklevel=3)
        if not isinstance(name, string_types):
            raise TypeError("name must be string")
        if not isinstance(arr, NDArray):
            raise TypeError("arr must be NDArray")
        if name.startswith("upsampling"):
            self._init_bilinear(name, arr)
        elif name.startswith("stn_loc") and name.endswith("weight"):
            self._init_zero(name, arr)
        elif name.startswith("stn_loc") and name.endswith("bias"):
            self._init_loc_bias(name, arr)
        else:
            table = (("bias", self._init_bias), ("gamma", self._init_gamma),
                     ("beta", self._init_beta), ("weight", self._init_weight),
                     ("moving_mean", self._init_zero), ("moving_var", self._init_one),
                     ("moving_inv_var", self._init_zero), ("moving_avg", self._init_zero),
                     ("min", self._init_zero), ("max", self._init_one))
            for suffix, method in table:
                if name.endswith(suffix):
                    method(name, arr)
                    return
            self._init_default(name, arr)

    def _init_bilinear(self, _, arr):
        arr[:] = _bilinear(arr.shape)

    def _init_loc_bias(self, _, arr):
        if arr.shape[0] != 6:
            raise AssertionError(f"stn_loc bias must have 6 elements, got shape {arr.shape}")
        arr[:] = np.array([1.0, 0, 0, 0, 1.0, 0])

    # Separate names so a subclass can override any one of them (e.g. only _init_bias).
    _init_zero = _init_bias = _init_beta = _init_quantized_bias = _filler(0.0)
    _init_one = _init_gamma = _filler(1.0)

    def _init_weight(self, name, arr):
        """Initialize a weight; subclasses override this."""
        raise NotImplementedError("Must override it")

    def _init_quantized_weight(self, _, arr):
        # MXNet draws a single int (random.randint without a shape) and broadcasts it.
        arr[:] = np.int8(_random.generator(arr.context).randint(-127, 127))

    def _init_default(self, name, _):
        raise ValueError(
            f"Unknown initialization pattern for {name}. Default initialization is now limited to "
            f'"weight", "bias", "gamma" (1.0), and "beta" (0.0).Please use '
            f"mx.sym.Variable(init=mx.init.*) to set initialization pattern")

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__


def _bilinear(shape):
    """Bilinear upsampling kernel (MXNet's per-element loop, vectorised; float32)."""
    f = np.ceil(shape[3] / 2.0)
    c = (2 * f - 1 - f % 2) / (2.0 * f)
    i = np.arange(int(np.prod(shape)))
    x = i % shape[3]
    y = (i // shape[3]) % shape[2]
    return ((1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))).astype(np.float32).reshape(shape)


# ----- registry (python/mxnet/registry.py) --------------------------------------------------------
_REGISTRY = {}


def register(klass, name=None):
    """Register an Initializer subclass under its lower-cased class name (or ``name``)."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise AssertionError("Can only register subclass of Initializer")
    name = (name or klass.__name__).lower()
    if name in _REGISTRY:
        warnings.warn(f"New initializer {klass.__module__}.{klass.__name__} registered with name "
                      f"{name} is overriding existing initializer {_REGISTRY[name].__module__}."
                      f"{_REGISTRY[name].__name__}", UserWarning, stacklevel=2)
    _REGISTRY[name] = klass
    return klass


def alias(*aliases):
    """Class decorator registering the class under extra names."""
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def create(*args, **kwargs):
    """An Initializer from an instance, a registered name, a dict, or ``dumps()`` JSON text."""
    if args:
        name, args = args[0], args[1:]
    else:
        name = kwargs.pop("initializer")
    if isinstance(name, Initializer):
        if args or kwargs:
            raise AssertionError("initializer is already an instance. Additional arguments are "
                                 "invalid")
        return name
    if isinstance(name, dict):
        return create(**name)
    if not isinstance(name, string_types):
        raise AssertionError("initializer must be of string type")
    if name.startswith("["):
        name, kwargs = json.loads(name)  # JSON only: a variable's attr is never evaluated
        return create(name, **kwargs)
    if name.startswith("{"):
        return create(**json.loads(name))
    name = name.lower()
    if name not in _REGISTRY:
        raise AssertionError(f"{name} is not registered. Please register with "
                             f"initializer.register first")
    return _REGISTRY[name](*args, **kwargs)


# ----- non-Initializer helpers --------------------------------------------------------------------
class Load:
    """Initialize from a dict of arrays or a ``.params`` file (``arg:``/``aux:`` prefixes dropped).

    Parameters
    ----------
    param : str or dict of str to NDArray
    default_init : Initializer, optional
        Used for names not in ``param``.
    verbose : bool
    """

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            from .ndarray.utils import load
            param = load(param)
        if not isinstance(param, dict):
            raise AssertionError("Load needs a dict of str -> NDArray (or a file holding one)")
        self.param = {}
        for name, arr in param.items():
            self.param[name[4:] if name.startswith(("arg:", "aux:")) else name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            if arr.shape != self.param[name].shape:
                raise AssertionError(f"Parameter {name} cannot be initialized from loading. Shape "
                                     f"mismatch, target {arr.shape} vs loaded "
                                     f"{self.param[name].shape}")
            arr[:] = self.param[name]
            if self.verbose:
                logging.info("Initialized %s by loading", name)
        else:
            if self.default_init is None:
                raise AssertionError(f"Cannot Initialize {name}. Not found in loaded param and no "
                                     f"default Initializer is provided.")
            self.default_init(name, arr)
            if self.verbose:
                logging.info("Initialized %s by default", name)


class Mixed:
    """Initialize each name with the first initializer whose regex ``match``es it.

    Parameters
    ----------
    patterns : list of str
    initializers : list of Initializer
    """

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise AssertionError("patterns and initializers must have the same length")
        self.map = list(zip([re.compile(p) for p in patterns], initializers, strict=True))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        # MXNet's message forgets to fill in the name; mxlite names it.
        raise ValueError(f'Parameter name {name} did not match any pattern. Consider add a ".*" '
                         f"pattern at the and with default Initializer.")


# ----- the initializers ---------------------------------------------------------------------------
@register
@alias("zeros")
class Zero(Initializer):
    """Initialize weights to zero."""

    def _init_weight(self, _, arr):
        arr[:] = 0


@register
@alias("ones")
class One(Initializer):
    """Initialize weights to one."""

    def _init_weight(self, _, arr):
        arr[:] = 1


@register
class Constant(Initializer):
    """Initialize weights to ``value`` (a scalar, or an array broadcastable to the weight)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        arr[:] = self.value

    def dumps(self):
        val = self._kwargs["value"]
        if not np.isscalar(val):
            self._kwargs["value"] = val.tolist() if isinstance(val, np.ndarray) else \
                val.asnumpy().tolist()
        return json.dumps([self.__class__.__name__.lower(), self._kwargs])


@register
class Uniform(Initializer):
    """Initialize weights uniformly from [-scale, scale)."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        arr[:] = _draw(arr, "uniform", -self.scale, self.scale)


@register
class Normal(Initializer):
    """Initialize weights from N(0, sigma²)."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        arr[:] = _draw(arr, "normal", 0, self.sigma)


@register
class Orthogonal(Initializer):
    """Initialize weights as a (scaled) orthogonal matrix (Saxe et al., arXiv:1312.6120)."""

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        if self.rand_type == "uniform":
            tmp = _draw(arr, "uniform", -1.0, 1.0, (nout, nin))
        elif self.rand_type == "normal":
            tmp = _draw(arr, "normal", 0.0, 1.0, (nout, nin))
        else:
            raise ValueError("Unknown random type")
        tmp = tmp.get() if hasattr(tmp, "get") else tmp
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        arr[:] = self.scale * res.reshape(arr.shape)


@register
class Xavier(Initializer):
    """"Xavier" initialization: scale = sqrt(magnitude / factor) with factor from the fans.

    Parameters
    ----------
    rnd_type : {'uniform', 'gaussian'}
    factor_type : {'avg', 'in', 'out'}
    magnitude : float
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise ValueError(f"Xavier initializer cannot be applied to vector {name}. It requires "
                             f"at least 2D.")
        hw_scale = np.prod(shape[2:]) if len(shape) > 2 else 1.0
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factors = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}
        if self.factor_type not in factors:
            raise ValueError("Incorrect factor type")
        scale = np.sqrt(self.magnitude / factors[self.factor_type])
        if self.rnd_type == "uniform":
            arr[:] = _draw(arr, "uniform", -scale, scale)
        elif self.rnd_type == "gaussian":
            arr[:] = _draw(arr, "normal", 0, scale)
        else:
            raise ValueError("Unknown random type")


@register
class MSRAPrelu(Xavier):
    """MSRA (He et al., arXiv:1502.01852) initialization: Gaussian Xavier with magnitude
    2 / (1 + slope²)."""

    def __init__(self, factor_type="avg", slope=0.25):
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Bilinear(Initializer):
    """Initialize weights for upsampling (deconvolution) layers with a bilinear kernel."""

    def _init_weight(self, _, arr):
        arr[:] = _bilinear(arr.shape)


@register
class LSTMBias(Initializer):
    """LSTM biases: 0, except the forget gate (the second of four) set to ``forget_bias``."""

    def __init__(self, forget_bias=1.0):
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name, arr):
        arr[:] = 0.0
        num_hidden = int(arr.shape[0] / 4)
        arr[num_hidden:2 * num_hidden] = self.forget_bias


@register
class FusedRNN(Initializer):
    """Initialise the flat parameter vector of a fused ``RNN`` op piece by piece: each gate's
    weight and bias by ``init`` (or the global initializer), the LSTM forget-gate biases to
    ``forget_bias`` (MXNet's python/mxnet/initializer.py)."""

    def __init__(self, init, num_hidden, num_layers, mode, bidirectional=False, forget_bias=1.0):
        if isinstance(init, str):
            init = create(init)
        super().__init__(init=init.dumps() if init is not None else None,
                         num_hidden=num_hidden, num_layers=num_layers, mode=mode,
                         bidirectional=bidirectional, forget_bias=forget_bias)
        self._init = init
        self._num_hidden = num_hidden
        self._num_layers = num_layers
        self._mode = mode
        self._bidirectional = bidirectional
        self._forget_bias = forget_bias

    def _init_weight(self, desc, arr):
        from .rnn.rnn_cell import FusedRNNCell  # the cell knows the layout of the vector
        cell = FusedRNNCell(self._num_hidden, self._num_layers, self._mode, self._bidirectional,
                            forget_bias=self._forget_bias, prefix="")
        args = cell.unpack_weights({"parameters": arr})
        for name in args:
            arg_desc = InitDesc(name, global_init=desc.global_init)
            if self._mode == "lstm" and name.endswith("_f_bias"):
                args[name][:] = self._forget_bias
            elif self._init is None:
                desc.global_init(arg_desc, args[name])
            else:
                self._init(arg_desc, args[name])
        arr[:] = cell.pack_weights(args)["parameters"]
