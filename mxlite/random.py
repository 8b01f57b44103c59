"""Random state (``mx.random``): one seeded generator per device type, shared by random ops and
Dropout, so a seeded run is reproducible.

``mx.random.uniform/normal/randn/randint`` are ``mx.nd.random``'s functions, as in MXNet; they are
looked up on first use because this module loads before ``mxlite.ndarray``.
"""
import numpy as np

# the samplers are resolved by __getattr__ below, so they are not listed for star-imports
__all__ = ["seed", "generator"]

_SAMPLERS = ("uniform", "normal", "randn", "randint")

_generators = {}
_seed_state = {"seed": None}


def seed(seed_state, ctx="all"):
    """Seed the generators of every context (or of ``ctx``) so later draws are reproducible."""
    if not isinstance(seed_state, (int, np.integer)):
        raise ValueError("seed_state must be int")
    if ctx == "all":
        _seed_state["seed"] = int(seed_state)
        _generators.clear()
    else:
        _generators[(ctx.device_typeid, ctx.device_id)] = _make(ctx, int(seed_state))


def _make(ctx, value):
    if ctx.is_gpu:
        from .context import cupy_module
        cp = cupy_module()
        with cp.cuda.Device(ctx.device_id):
            return cp.random.RandomState(value)
    return np.random.RandomState(value)


def generator(ctx):
    """The RandomState used for draws on ``ctx`` (NumPy's or CuPy's)."""
    key = (ctx.device_typeid, ctx.device_id)
    gen = _generators.get(key)
    if gen is None:
        value = _seed_state["seed"]
        if value is None:
            # fresh OS entropy: drawing from NumPy's global generator would shift the user's
            # np.random stream
            value = int(np.random.SeedSequence().generate_state(1)[0] & 0x7FFFFFFF)
        gen = _generators[key] = _make(ctx, value)
    return gen


def __getattr__(name):
    if name in _SAMPLERS:
        from .ndarray import random as nd_random
        return getattr(nd_random, name)
    raise AttributeError(f"module 'mxlite.random' has no attribute {name!r}")
