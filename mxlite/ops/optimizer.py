"""Optimizer update ops: ``sgd_update``, ``sgd_mom_update``, ``adam_update``, ... (MXNet's
src/operator/optimizer_op-inl.h, contrib/multi_lamb).

Each op reads ``weight`` and ``grad`` (and optimizer states), writes the updated weight as its
output and updates its state inputs in place, as MXNet's mutable-input update ops do; called as
``mx.nd.sgd_mom_update(w, g, mom, out=w, lr=0.1)`` the weight is updated in place too.

One kernel per op, written against the array module ``xp``, serves both contexts; it writes the new
weight into ``out``, which may be the weight itself (the optimizers' fast path,
``mxlite.optimizer.inplace.update_inplace``, passes it so a step allocates nothing new).
"""
import threading

import numpy as np

from ..base import MXNetError
from . import _jit, optimizer_cpu
from .params import Bool, Field, Float, Int, ParamSpec, _literal
from .registry import OpDef, register, unify_shapes

__all__ = ["UPDATE_OPS", "MULTI_OPS", "multi_fields", "multi_run", "SCALAR_INPUTS"]


class FloatTuple(Field):
    """A tuple of floats (``lrs``/``wds`` of the ``multi_*`` ops)."""

    type_name = "tuple of <float>"

    def parse(self, value):
        if isinstance(value, str):
            value = _literal(value.strip())
        if isinstance(value, (int, float)):
            return (float(value),)
        try:
            return tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid Parameter format for {self.name} expect tuple of <float> "
                             f"but value='{value}'") from None


_LR = Float("lr", doc="Learning rate.")
_WD = Float("wd", 0.0, "Weight decay: adds wd * weight to the gradient.")
_RESCALE = Float("rescale_grad", 1.0, "Multiplies the gradient first.")
_CLIP = Float("clip_gradient", -1.0, "Clips the rescaled gradient to [-c, c]; < 0 turns it off.")
_LAZY = Bool("lazy_update", True, "Only matters for row_sparse gradients (dense here).")
_MOM = Float("momentum", 0.0, "Momentum.")
_BASE = (_LR, _WD, _RESCALE, _CLIP)


# ----- gradient preprocessing shared by the kernels
_SCRATCH = threading.local()
_SCRATCH_MIN = 1 << 16


def _scratch(xp, like, slot=0):
    """A temporary shaped like ``like``: for large host arrays a view of cached buffer ``slot``
    (reused across updates, so a step does not page in fresh memory), else a new array. A kernel
    uses each slot for one live temporary."""
    if xp is not np or like.size < _SCRATCH_MIN:
        return xp.empty_like(like)
    bufs = getattr(_SCRATCH, "bufs", None)
    if bufs is None:
        bufs = _SCRATCH.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.dtype != like.dtype or buf.size < like.size:
        buf = bufs[slot] = np.empty(like.size, like.dtype)
    return buf[:like.size].reshape(like.shape)


def _rescaled(xp, p, grad, weight=None, clip_key="clip_gradient"):
    """``clip(rescale_grad * grad [+ wd * weight])`` in a scratch array (wd added before the clip
    when ``weight`` is given: Adam, RMSProp, FTML; SGD applies wd outside the clip)."""
    g = xp.multiply(grad, p["rescale_grad"], out=_scratch(xp, grad))
    if weight is not None and p["wd"]:
        g += p["wd"] * weight
    c = p[clip_key]
    if c >= 0:
        xp.clip(g, -c, c, out=g)
    return g


def _decayed_into(out, weight, factor):
    """out = weight * factor, in place when ``out`` is ``weight``."""
    if out is weight:
        if factor != 1.0:
            out *= factor
    else:
        out[...] = weight
        if factor != 1.0:
            out *= factor


# ----- kernels: kernel(xp, p, ins, out) writes the new weight into out, states in place
def _scaled_step(xp, p, grad):
    """``lr * clip(rescale_grad * grad)`` as a new array, in one pass when nothing is clipped."""
    c = p["clip_gradient"]
    if c < 0:
        return xp.multiply(grad, p["rescale_grad"] * p["lr"], out=_scratch(xp, grad))
    g = _rescaled(xp, p, grad)
    g *= p["lr"]
    return g


def _compiled(xp, arrays):
    """The flat views of ``arrays`` when the compiled kernels (optimizer_cpu) serve them: host
    C-contiguous arrays of one float32/float64 dtype and size (not tiny), numba on; else None."""
    first = arrays[0]
    if (first.size < optimizer_cpu.MIN_SIZE
            or any(a.dtype != first.dtype or a.size != first.size for a in arrays)
            or not _jit.serves(xp, *arrays)
            or not all(a.flags.c_contiguous for a in arrays)):
        return None
    return [a.reshape(-1) for a in arrays]


def _sgd(xp, p, ins, out):
    weight, grad = ins
    flat = _compiled(xp, [weight, grad, out])
    if flat is not None:
        optimizer_cpu.sgd(p, *flat)
        return
    g = _scaled_step(xp, p, grad)
    _decayed_into(out, weight, 1.0 - p["lr"] * p["wd"])
    out -= g


def _sgd_mom(xp, p, ins, out):
    weight, grad, mom = ins
    flat = _compiled(xp, [weight, grad, mom, out])
    if flat is not None:
        optimizer_cpu.sgd_mom(p, *flat)
        return
    g = _scaled_step(xp, p, grad)
    mom *= p["momentum"]
    mom -= g
    if p["wd"]:
        mom -= (p["lr"] * p["wd"]) * weight
    _decayed_into(out, weight, 1.0)
    out += mom


def _mp(kernel, n_state):
    """The multi-precision form of ``kernel``: it updates the float32 master copy (the last
    input) and writes its value cast to the weight's dtype."""
    def mp_kernel(xp, p, ins, out):
        weight, grad = ins[0], ins[1]
        states, w32 = list(ins[2:2 + n_state]), ins[-1]
        kernel(xp, p, [w32, grad.astype(np.float32)] + states, w32)
        out[...] = w32.astype(weight.dtype)
    return mp_kernel


def _nag_mom(xp, p, ins, out):
    # optimizer_op-inl.h NAGMomKernel writes the weight first, then updates the momentum from a
    # gradient whose wd term reads the weight again: the new weight when the op runs in place
    # (out=weight, as every optimizer calls it). mxlite always uses the new weight; MXNet uses the
    # old one when called without out=weight.
    weight, grad, mom = ins
    lr, m = p["lr"], p["momentum"]
    g = _rescaled(xp, p, grad)
    step = g + p["wd"] * weight if p["wd"] else g.copy()
    step *= lr
    new = weight + m * (m * mom - step) - step
    out[...] = new
    if p["wd"]:
        g += p["wd"] * out
    g *= lr
    mom *= m
    mom -= g


def _adam(xp, p, ins, out):
    weight, grad, mean, var = ins
    flat = _compiled(xp, [weight, grad, mean, var, out])
    if flat is not None:
        optimizer_cpu.adam(p, *flat)
        return
    g = _rescaled(xp, p, grad, weight)
    b1, b2 = p["beta1"], p["beta2"]
    tmp = xp.multiply(g, 1.0 - b1, out=_scratch(xp, g, 1))
    mean *= b1
    mean += tmp
    g *= g
    g *= 1.0 - b2
    var *= b2
    var += g
    step = xp.sqrt(var, out=tmp)
    step += p["epsilon"]
    xp.divide(mean, step, out=step)
    step *= p["lr"]
    _decayed_into(out, weight, 1.0)
    out -= step


def _clip_weights(xp, p, out):
    c = p["clip_weights"]
    if c >= 0:
        xp.clip(out, -c, c, out=out)


def _rmsprop(xp, p, ins, out):
    weight, grad, n = ins
    g = _rescaled(xp, p, grad, weight)
    g1 = p["gamma1"]
    n *= g1
    n += (1.0 - g1) * g * g
    g *= p["lr"]
    g /= xp.sqrt(n + p["epsilon"])
    _decayed_into(out, weight, 1.0)
    out -= g
    _clip_weights(xp, p, out)


def _rmspropalex(xp, p, ins, out):
    weight, grad, n, gbar, delta = ins
    g = _rescaled(xp, p, grad, weight)
    g1, g2 = p["gamma1"], p["gamma2"]
    n *= g1
    n += (1.0 - g1) * g * g
    gbar *= g1
    gbar += (1.0 - g1) * g
    delta *= g2
    delta -= p["lr"] * g / xp.sqrt(n - gbar * gbar + p["epsilon"])
    _decayed_into(out, weight, 1.0)
    out += delta
    _clip_weights(xp, p, out)


def _ftrl(xp, p, ins, out):
    weight, grad, z, n = ins
    g = _rescaled(xp, p, grad)
    lr = p["lr"]
    z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * weight / lr
    n += g * g
    lam = p["lamda1"]
    new = (xp.sign(z) * lam - z) / ((p["beta"] + xp.sqrt(n)) / lr + p["wd"])
    new *= xp.abs(z) > lam
    out[...] = new


def _ftml(xp, p, ins, out):
    weight, grad, d, v, z = ins
    g = _rescaled(xp, p, grad, weight, clip_key="clip_grad")
    b1, b2, t = p["beta1"], p["beta2"], p["t"]
    v *= b2
    v += (1.0 - b2) * g * g
    d_t = (1.0 - b1 ** t) / p["lr"] * (xp.sqrt(v / (1.0 - b2 ** t)) + p["epsilon"])
    z *= b1
    z += (1.0 - b1) * g - (d_t - b1 * d) * weight
    d[...] = d_t
    out[...] = -z / d_t


def _signsgd(xp, p, ins, out):
    weight, grad = ins
    step = xp.sign(grad) * p["lr"]
    _decayed_into(out, weight, 1.0 - p["lr"] * p["wd"])
    out -= step


def _signum(xp, p, ins, out):
    weight, grad, mom = ins
    m = p["momentum"]
    g = _rescaled(xp, p, grad)
    if p["wd"]:
        g += p["wd"] * weight
    mom *= m
    mom -= (1.0 - m) * g
    step = xp.sign(mom) * p["lr"]
    _decayed_into(out, weight, 1.0 - p["lr"] * p["wd_lh"])
    out += step


def _lamb1(xp, p, ins, out):
    weight, grad, mean, var = ins
    g = _rescaled(xp, p, grad)
    b1, b2 = p["beta1"], p["beta2"]
    mean *= b1
    mean += (1.0 - b1) * g
    var *= b2
    var += (1.0 - b2) * g * g
    m, v = mean, var
    if p["bias_correction"]:
        m = mean / (1.0 - b1 ** p["t"])
        v = var / (1.0 - b2 ** p["t"])
    out[...] = m / (xp.sqrt(v) + p["epsilon"]) + p["wd"] * weight


def _lamb2(xp, p, ins, out):
    weight, g, r1, r2 = ins
    r1 = float(r1.reshape(-1)[0])
    r2 = float(r2.reshape(-1)[0])
    if p["lower_bound"] >= 0:
        r1 = max(r1, p["lower_bound"])
    if p["upper_bound"] >= 0:
        r1 = min(r1, p["upper_bound"])
    ratio = 1.0 if r1 == 0.0 or r2 == 0.0 else r1 / r2
    _decayed_into(out, weight, 1.0)
    out -= (p["lr"] * ratio) * g


def _mp_lamb1(xp, p, ins, out):
    weight, grad, mean, var, w32 = ins
    _lamb1(xp, p, [w32, grad.astype(np.float32), mean, var], out)


def _mp_lamb2(xp, p, ins, out):
    weight, g, r1, r2, w32 = ins
    _lamb2(xp, p, [w32, g, r1, r2], w32)
    out[...] = w32.astype(weight.dtype)


# ----- declarations
_BETAS = (Float("beta1", 0.9), Float("beta2", 0.999))
_LAMB1 = (Float("beta1", 0.9), Float("beta2", 0.999), Float("epsilon", 1e-6),
          Int("t", doc="Index of the update (bias correction)."), Bool("bias_correction", True),
          Float("wd", doc="Weight decay."), _RESCALE, _CLIP)
_LAMB2 = (_LR, Float("lower_bound", -1.0), Float("upper_bound", -1.0))

# name: (inputs, param fields, kernel, index of the float32 master copy or None, doc)
UPDATE_OPS = {
    "sgd_update": (("weight", "grad"), _BASE + (_LAZY,), _sgd,
                   "weight = (1 - lr*wd)*weight - lr*clip(rescale_grad*grad)."),
    "sgd_mom_update": (("weight", "grad", "mom"), _BASE + (_MOM, _LAZY), _sgd_mom,
                       "mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); "
                       "weight += mom."),
    "mp_sgd_update": (("weight", "grad", "weight32"), _BASE + (_LAZY,), _mp(_sgd, 0),
                      "sgd_update on a float32 master copy, written back cast."),
    "mp_sgd_mom_update": (("weight", "grad", "mom", "weight32"), _BASE + (_MOM, _LAZY),
                          _mp(_sgd_mom, 1), "sgd_mom_update on a float32 master copy."),
    "nag_mom_update": (("weight", "grad", "mom"), _BASE + (_MOM,), _nag_mom,
                       "Nesterov momentum update."),
    "mp_nag_mom_update": (("weight", "grad", "mom", "weight32"), _BASE + (_MOM,),
                          _mp(_nag_mom, 1), "nag_mom_update on a float32 master copy."),
    "adam_update": (("weight", "grad", "mean", "var"),
                    _BASE + _BETAS + (Float("epsilon", 1e-8), _LAZY), _adam,
                    "Adam step (the optimizer folds the bias correction into lr)."),
    "rmsprop_update": (("weight", "grad", "n"),
                       _BASE + (Float("gamma1", 0.95), Float("epsilon", 1e-8),
                                Float("clip_weights", -1.0)), _rmsprop, "RMSProp (Tieleman)."),
    "rmspropalex_update": (("weight", "grad", "n", "g", "delta"),
                           _BASE + (Float("gamma1", 0.95), Float("gamma2", 0.9),
                                    Float("epsilon", 1e-8), Float("clip_weights", -1.0)),
                           _rmspropalex, "Centered RMSProp (Graves)."),
    "ftrl_update": (("weight", "grad", "z", "n"),
                    _BASE + (Float("lamda1", 0.01), Float("beta", 1.0)), _ftrl, "FTRL-proximal."),
    "ftml_update": (("weight", "grad", "d", "v", "z"),
                    (_LR, Float("beta1", 0.6), Float("beta2", 0.999), Float("epsilon", 1e-8),
                     Int("t"), _WD, _RESCALE, Float("clip_grad", -1.0)), _ftml,
                    "Follow the Moving Leader."),
    "signsgd_update": (("weight", "grad"), _BASE, _signsgd, "weight -= lr*sign(grad) (+ wd)."),
    "signum_update": (("weight", "grad", "mom"), _BASE + (_MOM, Float("wd_lh", 0.0)), _signum,
                      "Signum: sign of the momentum."),
    "lamb_update_phase1": (("weight", "grad", "mean", "var"), _LAMB1, _lamb1,
                           "LAMB phase 1: the Adam-like direction plus wd*weight."),
    "lamb_update_phase2": (("weight", "g", "r1", "r2"), _LAMB2, _lamb2,
                           "LAMB phase 2: weight -= lr * (r1/r2) * g."),
    "mp_lamb_update_phase1": (("weight", "grad", "mean", "var", "weight32"), _LAMB1, _mp_lamb1,
                              "lamb_update_phase1 on a float32 master copy."),
    "mp_lamb_update_phase2": (("weight", "g", "r1", "r2", "weight32"), _LAMB2, _mp_lamb2,
                              "lamb_update_phase2 on a float32 master copy."),
}

_MASTER_INPUT = {"weight32"}
SCALAR_INPUTS = {"r1", "r2"}


def _shape_rule(name, inputs):
    def infer(p, in_shapes):
        known = None
        for n, s in zip(inputs, in_shapes):
            if n not in SCALAR_INPUTS:
                try:
                    known = unify_shapes(known, s, name)
                except MXNetError:
                    raise MXNetError(f"Error in operator {name}: input {n} has shape {s}, "
                                     f"expected the weight's shape {known}") from None
        shapes = [(1,) if n in SCALAR_INPUTS else known for n in inputs]
        return shapes, [known]
    return infer


def _type_rule(name, inputs):
    mp = "weight32" in inputs

    def infer(p, in_types):
        w = in_types[0]
        types = []
        for n, t in zip(inputs, in_types):
            if n in SCALAR_INPUTS:
                types.append(t if t is not None else w)
            elif mp and n not in ("weight", "grad"):
                types.append(np.dtype(np.float32))  # master copy and states are float32
            else:
                types.append(w)
        # mp_lamb_update_phase1's direction g is float32, as the master copy it updates
        return types, [np.dtype(np.float32) if name == "mp_lamb_update_phase1" else w]
    return infer


def _op_forward(name, kernel):
    def forward(sc, p, ins):
        out = sc.xp.empty_like(ins[-1] if name == "mp_lamb_update_phase1" else ins[0])
        kernel(sc.xp, p, list(ins), out)
        return [out]
    return forward


for _name, (_inputs, _fields, _kernel, _doc) in UPDATE_OPS.items():
    register(OpDef(name=_name, inputs=_inputs, params=ParamSpec(*_fields),
                   infer_shape=_shape_rule(_name, _inputs), infer_type=_type_rule(_name, _inputs),
                   forward=_op_forward(_name, _kernel), doc=_doc))


# ----- multi-tensor SGD: weights, grads (and states) interleaved, one output per weight
MULTI_OPS = {
    "multi_sgd_update": (2, _sgd), "multi_sgd_mom_update": (3, _sgd_mom),
    "multi_mp_sgd_update": (3, _mp(_sgd, 0)), "multi_mp_sgd_mom_update": (4, _mp(_sgd_mom, 1)),
}


def multi_fields(name):
    fields = [FloatTuple("lrs"), FloatTuple("wds"), _RESCALE, _CLIP,
              Int("num_weights", 1, "Number of updated weights."),
              Int("num_args", 1, "Number of inputs (set automatically).")]
    if "mom" in name:
        fields.insert(2, _MOM)
    return ParamSpec(*fields)


def _multi_check(name, group, p, n_inputs, preloaded=False):
    extra = 2 if preloaded else 0
    if n_inputs != group * p["num_weights"] + extra:
        lists = ", then lrs and wds" if preloaded else ""
        raise MXNetError(f"Error in operator {name}: num_weights={p['num_weights']} needs "
                         f"{group * p['num_weights'] + extra} inputs ({group} per weight{lists}), "
                         f"got {n_inputs}")
    for key in () if preloaded else ("lrs", "wds"):
        if len(p[key]) != p["num_weights"]:
            raise MXNetError(f"Error in operator {name}: {key} has {len(p[key])} values, "
                             f"expected num_weights={p['num_weights']}")


def multi_run(name, group, kernel, xp, p, ins, outs):
    _multi_check(name, group, p, len(ins))
    for i in range(p["num_weights"]):
        q = dict(p, lr=p["lrs"][i], wd=p["wds"][i])
        kernel(xp, q, list(ins[group * i:group * (i + 1)]), outs[i])


def _multi_decl(name, group, kernel, preloaded):
    """Register ``name`` (``multi_*``) or, ``preloaded``, ``preloaded_<name>``, whose lrs and wds
    are the last two input arrays instead of parameters."""
    op_name = "preloaded_" + name if preloaded else name
    fields = multi_fields(name)
    if preloaded:
        fields = ParamSpec(*[f for f in fields if f.name not in ("lrs", "wds")])

    def infer_shape(p, in_shapes):
        _multi_check(op_name, group, p, len(in_shapes), preloaded)
        n = group * p["num_weights"]
        out = []
        for i in range(p["num_weights"]):
            known = None
            for s in in_shapes[group * i:group * (i + 1)]:
                known = unify_shapes(known, s, op_name)
            out.append(known)
        vec = (p["num_weights"],)
        for s, what in zip(in_shapes[n:], ("lrs", "wds")):
            if s is not None and tuple(s) != vec:
                raise MXNetError(f"Error in operator {op_name}: {what} has shape {tuple(s)}, "
                                 f"expected {vec}")
        return [out[i // group] for i in range(n)] + [vec] * (len(in_shapes) - n), out

    def infer_type(p, in_types):
        n = group * p["num_weights"]
        ws = [in_types[group * i] for i in range(p["num_weights"])]
        types = [np.dtype(np.float32) if "mp" in name and i % group >= 2 else ws[i // group]
                 for i in range(n)]
        return types + [np.dtype(np.float32)] * (len(in_types) - n), ws

    def forward(sc, p, ins):
        n = group * p["num_weights"]
        if preloaded:
            lrs, wds = (v.get() if hasattr(v, "get") else v for v in ins[n:])
            p = dict(p, lrs=tuple(float(x) for x in np.ravel(lrs)),
                     wds=tuple(float(x) for x in np.ravel(wds)))
        outs = [sc.xp.empty_like(ins[group * i]) for i in range(p["num_weights"])]
        multi_run(op_name, group, kernel, sc.xp, p, ins[:n], outs)
        return outs

    what = "lrs and wds as the last two input arrays" if preloaded else "lrs, wds per tensor"
    register(OpDef(name=op_name, variadic=True, params=fields, infer_shape=infer_shape,
                   infer_type=infer_type, forward=forward,
                   num_outputs=lambda p: p["num_weights"],
                   doc=f"{name[6:]} on num_weights tensors in one call ({what})."))


for _name, (_group, _kernel) in MULTI_OPS.items():
    _multi_decl(_name, _group, _kernel, preloaded=False)
    _multi_decl(_name, _group, _kernel, preloaded=True)
