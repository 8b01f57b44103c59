#!/usr/bin/env python
"""Regenerate the golden fixtures under tests/golden/ with the *real* Apache MXNet 1.9.1.

Run with the MXNet venv (NOT the mxlite environment):

    ../mxnet-venv/bin/python tests/golden/make_golden.py            # everything
    ../mxnet-venv/bin/python tests/golden/make_golden.py ops json   # only some sections

Sections: ops, exec, models, json, params, test_utils.  Every case seeds numpy's RNG from its own id, so a
re-run rewrites identical files (npz members are written with a fixed timestamp).

This file is our own code; it only calls MXNet's public Python API.
"""
import io
import json
import os
import re
import sys
import warnings
import zipfile
import zlib

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MXNET_SUBGRAPH_VERBOSE", "0")

import numpy as np  # noqa: E402
import mxnet as mx  # noqa: E402

S = mx.sym
I = mx.sym._internal
V = mx.sym.Variable
HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
JSON_DIR = os.path.join(HERE, "json")
PARAMS_DIR = os.path.join(HERE, "params")

ERRORS = {}          # case description -> {"type":..., "message":...}
CASE_IDS = []        # ids written in this run
FLOAT_TYPES = ("float16", "float32", "float64")
DEFAULT_TOLS = {"float16": (1e-2, 1e-2), "float32": (1e-4, 1e-5), "float64": (1e-7, 1e-9)}


# ----------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------
def seed_for(name):
    np.random.seed(zlib.crc32(name.encode()) & 0xFFFFFFFF)


def save_npz(path, arrays):
    """np.savez_compressed, but with fixed zip timestamps so that regeneration is byte-identical."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(v), allow_pickle=False)
            zi = zipfile.ZipInfo(k + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zf.writestr(zi, buf.getvalue())


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=False)
        f.write("\n")


def errmsg(e):
    s = str(e)
    s = re.sub(r"\[\d\d:\d\d:\d\d\] ", "", s)
    s = s.split("\nStack trace")[0]
    return s.rstrip()


def record_error(key, e):
    ERRORS[key] = {"type": type(e).__name__, "message": errmsg(e)}


def npdt(dt):
    return np.dtype(dt).name


def gen(shape, dtype="float32", dist=None):
    """dist: None = N(0,1); ('u', lo, hi); ('i', lo, hi) integers in [lo, hi); ('c', values) choice."""
    if dist is None:
        v = np.random.normal(size=shape)
    elif dist[0] == "u":
        v = np.random.uniform(dist[1], dist[2], size=shape)
    elif dist[0] == "i":
        v = np.random.randint(dist[1], dist[2], size=shape)
    elif dist[0] == "c":
        v = np.random.choice(np.asarray(dist[1]), size=shape)
    else:
        raise ValueError(dist)
    return np.asarray(v).astype(dtype)


def A(x, dtype="float32"):
    return np.array(x, dtype=dtype)


def nd(v):
    return mx.nd.array(v, dtype=v.dtype)


def is_float(dt):
    return np.issubdtype(np.dtype(dt), np.floating)


# ----------------------------------------------------------------------------------------------------------
# the op/graph case runner
# ----------------------------------------------------------------------------------------------------------
def add(cid, s, shapes=None, values=None, dtype="float32", dist=None, dists=None, grad_req="write",
        is_train=None, backward=True, head_grads="auto", no_grad=(), desc="", rtol=None, atol=None,
        aux=None, grad_init=None, backward_twice=False, args_grad="auto", hg_dist=None, mxnet_bug=None,
        no_subgraph=False):
    """Build, bind, forward, backward one symbol in MXNet and write cases/<cid>.json/.npz.

    shapes:  {arg: shape} for generated args (their dtype is `dtype`); other args are inferred.
    values:  {arg or aux name: np.ndarray} explicit values (dtype kept).
    dist / dists: value distribution for generated args (all / per name).
    grad_req: 'write'|'add'|'null' or dict. With a str, integer args, args in no_grad and args named
              *_label get 'null' (the request passed to bind then becomes a dict).
    args_grad: 'auto' -> a buffer for each arg whose req != null; list of names; None -> bind without.
    head_grads: 'auto' -> random, one per output; None -> backward() with no out_grads; list of arrays.
    mxnet_bug: text -> the recorded values show a known MXNet 1.9.1 bug (JSON key "mxnet_bug").
    no_subgraph: bind with MXNET_SUBGRAPH_BACKEND=NONE (no MKLDNN op fusion; JSON key "subgraph_backend").
    """
    if cid in CASE_IDS:
        raise RuntimeError("duplicate case id " + cid)
    seed_for(cid)
    shapes = dict(shapes or {})
    values = dict(values or {})
    dists = dict(dists or {})
    if is_train is None:
        is_train = bool(backward)
    try:
        if callable(s) and not isinstance(s, mx.sym.Symbol):
            s = s()  # building the symbol may itself fail in MXNet
        arg_names = s.list_arguments()
        aux_names = s.list_auxiliary_states()
        out_names = s.list_outputs()
        shp_hint = dict(shapes)
        for k, v in values.items():
            if k in arg_names:
                shp_hint[k] = v.shape
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arg_shapes, out_shapes, aux_shapes = s.infer_shape(**shp_hint)
            typ_hint = {k: np.dtype(dtype) for k in shapes}
            for k, v in values.items():
                if k in arg_names:
                    typ_hint[k] = v.dtype
            arg_types, out_types, aux_types = s.infer_type_partial(**typ_hint)
        if arg_shapes is None:
            raise RuntimeError("cannot infer shapes for " + cid)
        args = {}
        for n, shp, t in zip(arg_names, arg_shapes, arg_types):
            if n in values:
                args[n] = values[n]
            else:
                t = np.dtype(t) if t is not None else np.dtype(dtype)
                args[n] = gen(shp, t, dists.get(n, dist))
        auxv = {}
        for n, shp, t in zip(aux_names, aux_shapes, aux_types):
            if aux and n in aux:
                auxv[n] = aux[n]
            elif n in values:
                auxv[n] = values[n]
            else:
                t = np.dtype(t) if t is not None else np.dtype("float32")
                if n.endswith("var"):
                    auxv[n] = gen(shp, t, ("u", 0.5, 1.5))
                else:
                    auxv[n] = gen(shp, t, ("u", -0.5, 0.5))
        # grad requests
        if isinstance(grad_req, str):
            reqs = {}
            for n in arg_names:
                if n in no_grad or not is_float(args[n].dtype) or n.endswith("_label"):
                    reqs[n] = "null"
                else:
                    reqs[n] = grad_req
            req_passed = grad_req if all(r == grad_req for r in reqs.values()) else reqs
        else:
            reqs = {n: grad_req.get(n, "null") for n in arg_names}
            req_passed = dict(grad_req)
        if args_grad == "auto":
            buf_names = [n for n in arg_names if reqs[n] != "null"] if backward else []
        elif args_grad is None:
            buf_names = None
        else:
            buf_names = list(args_grad)
        grad_bufs = None
        ginit = {}
        if buf_names is not None:
            grad_bufs = {}
            for n in buf_names:
                if grad_init and n in grad_init:
                    g0 = np.asarray(grad_init[n]).astype(args[n].dtype)
                elif reqs[n] == "add":
                    g0 = gen(args[n].shape, args[n].dtype)
                else:
                    g0 = np.zeros(args[n].shape, args[n].dtype)
                if np.any(g0 != 0):
                    ginit[n] = g0
                grad_bufs[n] = nd(g0)
        arg_nd = {n: nd(args[n]) for n in arg_names}
        aux_nd = {n: nd(auxv[n]) for n in aux_names}
        old_sg = os.environ.get("MXNET_SUBGRAPH_BACKEND")
        if no_subgraph:
            os.environ["MXNET_SUBGRAPH_BACKEND"] = "NONE"
        try:
            exe = s.bind(mx.cpu(), args=arg_nd, args_grad=grad_bufs, grad_req=req_passed, aux_states=aux_nd)
        finally:
            if no_subgraph:
                if old_sg is None:
                    del os.environ["MXNET_SUBGRAPH_BACKEND"]
                else:
                    os.environ["MXNET_SUBGRAPH_BACKEND"] = old_sg
        outs = [o.asnumpy() for o in exe.forward(is_train=is_train)]
        hgs = None
        if backward:
            if head_grads == "auto":
                hgs = [gen(o.shape, o.dtype, hg_dist) for o in outs]
            elif head_grads is not None:
                hgs = [np.asarray(h) for h in head_grads]
            if hgs is None:
                exe.backward()
                if backward_twice:
                    exe.backward()
            else:
                exe.backward([nd(h) for h in hgs])
                if backward_twice:
                    exe.backward([nd(h) for h in hgs])
        mx.nd.waitall()
    except Exception as e:  # noqa: BLE001
        record_error(cid + (": " + desc if desc else ""), e)
        print("  ERROR", cid, type(e).__name__, errmsg(e).splitlines()[0][:150])
        return None
    arrs = {}
    for n in arg_names:
        arrs["arg:" + n] = args[n]
    for n in aux_names:
        arrs["aux:" + n] = auxv[n]
    for i, o in enumerate(outs):
        arrs["out:%d" % i] = o
    if hgs is not None:
        for i, h in enumerate(hgs):
            arrs["head_grad:%d" % i] = h
    if grad_bufs is not None:
        for n in buf_names:
            if n in ginit:
                arrs["grad_init:" + n] = ginit[n]
            if backward:
                arrs["grad:" + n] = grad_bufs[n].asnumpy()
    for n in aux_names:
        arrs["aux_after:" + n] = aux_nd[n].asnumpy()
    for n in arg_names:  # args the executor modified in place (BatchNorm fix_gamma overwrites gamma)
        after = arg_nd[n].asnumpy()
        if not np.array_equal(after, args[n], equal_nan=True):
            arrs["arg_after:" + n] = after
    dt = dtype if dtype in DEFAULT_TOLS else "float32"
    meta = {
        "symbol": s.tojson(),
        "is_train": bool(is_train),
        "grad_req": req_passed,
        "backward": bool(backward),
        "forward_twice": False,
        "backward_twice": bool(backward_twice),
        "args_grad": None if buf_names is None else buf_names,
        "desc": desc,
        "dtype": dtype,
        "rtol": rtol if rtol is not None else DEFAULT_TOLS[dt][0],
        "atol": atol if atol is not None else DEFAULT_TOLS[dt][1],
    }
    if mxnet_bug:
        meta["mxnet_bug"] = mxnet_bug
    if no_subgraph:
        meta["subgraph_backend"] = "NONE"
    write_json(os.path.join(CASES_DIR, cid + ".json"), meta)
    save_npz(os.path.join(CASES_DIR, cid + ".npz"), arrs)
    CASE_IDS.append(cid)
    return arrs


def try_error(key, fn):
    """Run fn(); it is expected to raise in MXNet: record type + message."""
    try:
        fn()
        mx.nd.waitall()
    except Exception as e:  # noqa: BLE001
        record_error(key, e)
        return
    ERRORS[key] = {"type": None, "message": "no error raised"}


def fwd(s, **kw):
    """quick forward for error probing"""
    args = {k: mx.nd.array(v) for k, v in kw.items()}
    return s.bind(mx.cpu(), args).forward()


# ----------------------------------------------------------------------------------------------------------
# op cases
# ----------------------------------------------------------------------------------------------------------
def op_cases():
    d = V("data")
    lhs, rhs = V("lhs"), V("rhs")

    # ---------------- FullyConnected
    for dt in FLOAT_TYPES:
        add("fc_basic_" + dt, S.FullyConnected(d, num_hidden=4, name="fc"), {"data": (3, 5)}, dtype=dt)
    add("fc_no_bias", S.FullyConnected(d, num_hidden=4, no_bias=True, name="fc"), {"data": (3, 5)})
    add("fc_flatten_4d", S.FullyConnected(d, num_hidden=3, name="fc"), {"data": (2, 3, 2, 2)},
        desc="4-D data flattened to (2,12)")
    add("fc_flatten_false", S.FullyConnected(d, num_hidden=4, flatten=False, name="fc"), {"data": (2, 3, 5)})
    add("fc_flatten_false_no_bias", S.FullyConnected(d, num_hidden=2, flatten=False, no_bias=True, name="fc"),
        {"data": (2, 2, 3, 4)})
    add("fc_1d_data", S.FullyConnected(d, num_hidden=2, name="fc"), {"data": (3,)}, desc="1-D data (3,) -> (3,1)")
    add("fc_grad_add", S.FullyConnected(d, num_hidden=4, name="fc"), {"data": (3, 5)}, grad_req="add")

    # ---------------- Activation
    xa = A([[-2.0, -0.5, 0.0, 0.5], [1.0, 0.0, -1.0, 3.0], [-0.1, 0.1, 2.0, -3.0]])
    for act in ("relu", "sigmoid", "tanh", "softrelu", "softsign"):
        for dt in FLOAT_TYPES:
            if dt != "float32" and act not in ("relu", "sigmoid", "tanh"):
                continue
            add("activation_%s_%s" % (act, dt), S.Activation(d, act_type=act, name="act"),
                values={"data": xa.astype(dt)}, dtype=dt, desc="includes exact zeros")
        add("activation_%s_4d" % act, S.Activation(d, act_type=act, name="act"), {"data": (2, 3, 2, 2)})

    # ---------------- SoftmaxOutput
    lab = A([2, 0, 1])
    so = lambda **kw: S.SoftmaxOutput(d, V("softmax_label"), name="softmax", **kw)  # noqa: E731
    for dt in FLOAT_TYPES:
        add("softmaxoutput_basic_" + dt, so(), {"data": (3, 4)}, values={"softmax_label": lab.astype(dt)},
            dtype=dt, head_grads=None)
    add("softmaxoutput_auto_label", S.SoftmaxOutput(d, name="softmax"), {"data": (3, 4)},
        values={"softmax_label": lab}, head_grads=None, desc="label variable auto-created as softmax_label")
    add("softmaxoutput_alias_Softmax", S.Softmax(d, name="softmax"), {"data": (3, 4)},
        values={"softmax_label": lab}, head_grads=None)
    add("softmaxoutput_head_grad_ignored", so(), {"data": (3, 4)}, values={"softmax_label": lab},
        desc="random head gradient passed; a loss ignores it")
    add("softmaxoutput_grad_scale", so(grad_scale=2.5), {"data": (3, 4)}, values={"softmax_label": lab},
        head_grads=None)
    lab_ig = A([1, 0, 1, 3])
    add("softmaxoutput_use_ignore", so(use_ignore=True, ignore_label=1), {"data": (4, 4)},
        values={"softmax_label": lab_ig}, head_grads=None)
    add("softmaxoutput_ignore_label_not_used", so(ignore_label=1), {"data": (4, 4)},
        values={"softmax_label": lab_ig}, head_grads=None, desc="ignore_label set but use_ignore False")
    for norm in ("null", "batch", "valid"):
        add("softmaxoutput_norm_" + norm, so(normalization=norm), {"data": (4, 4)},
            values={"softmax_label": lab_ig}, head_grads=None)
        add("softmaxoutput_norm_%s_use_ignore" % norm, so(normalization=norm, use_ignore=True, ignore_label=1),
            {"data": (4, 4)}, values={"softmax_label": lab_ig}, head_grads=None)
        add("softmaxoutput_norm_%s_ignore_no_use" % norm, so(normalization=norm, ignore_label=1),
            {"data": (4, 4)}, values={"softmax_label": lab_ig}, head_grads=None,
            desc="valid counts labels != ignore_label even with use_ignore False")
        add("softmaxoutput_multi_output_" + norm, so(multi_output=True, normalization=norm),
            {"data": (2, 3, 2, 2)}, values={"softmax_label": A([[0, 1, 2, 1], [2, 2, 0, 1]])}, head_grads=None)
        add("softmaxoutput_preserve_shape_" + norm, so(preserve_shape=True, normalization=norm),
            {"data": (2, 3, 4)}, values={"softmax_label": A([[0, 1, 3], [2, 3, 0]])}, head_grads=None)
    add("softmaxoutput_all_ignored_valid", so(normalization="valid", use_ignore=True, ignore_label=1),
        {"data": (2, 3)}, values={"softmax_label": A([1, 1])}, head_grads=None, desc="valid count 0 -> min 1")
    add("softmaxoutput_multi_output_label_3d", so(multi_output=True), {"data": (2, 3, 2, 2)},
        values={"softmax_label": A([[[0, 1], [2, 1]], [[2, 2], [0, 1]]])}, head_grads=None,
        desc="label (N, d2, d3)")
    add("softmaxoutput_multi_output_use_ignore", so(multi_output=True, use_ignore=True, ignore_label=2,
                                                    normalization="valid"),
        {"data": (2, 3, 2, 2)}, values={"softmax_label": A([[0, 1, 2, 1], [2, 2, 0, 1]])}, head_grads=None)
    add("softmaxoutput_multi_output_3d", so(multi_output=True), {"data": (2, 4, 3)},
        values={"softmax_label": A([[0, 3, 1], [2, 2, 1]])}, head_grads=None)
    add("softmaxoutput_out_grad", so(out_grad=True), {"data": (3, 4)}, values={"softmax_label": lab},
        desc="out_grad=True: MXNet multiplies by the softmax output (bug)")
    add("softmaxoutput_smooth_alpha", so(smooth_alpha=0.1), {"data": (3, 4)}, values={"softmax_label": lab},
        head_grads=None)
    add("softmaxoutput_smooth_alpha_ignore", so(smooth_alpha=0.2, use_ignore=True, ignore_label=1,
                                               normalization="valid"),
        {"data": (4, 4)}, values={"softmax_label": lab_ig}, head_grads=None)
    prob = np.random.RandomState(0).dirichlet(np.ones(4), size=3).astype("float32")
    add("softmaxoutput_label_eq_data_shape", so(), {"data": (3, 4)}, values={"softmax_label": prob},
        head_grads=None, desc="probability labels (same shape as data)")
    add("softmaxoutput_label_eq_data_shape_scale_batch", so(grad_scale=2.0, normalization="batch"),
        {"data": (3, 4)}, values={"softmax_label": prob}, head_grads=None)
    add("softmaxoutput_4d_no_multi", so(), {"data": (2, 3, 2, 2)}, dists={"softmax_label": ("i", 0, 12)},
        head_grads=None, desc="softmax over C*H*W; label shape inferred (2,3,2): which label element is used?")
    add("softmaxoutput_label_out_of_range", so(), {"data": (3, 4)}, values={"softmax_label": A([5, -1, 2])},
        head_grads=None)
    add("softmaxoutput_label_fractional", so(), {"data": (3, 4)}, values={"softmax_label": A([1.9, 0.2, 3.7])},
        head_grads=None, desc="labels truncated")
    add("softmaxoutput_label_grad_buffer", so(), {"data": (3, 4)}, values={"softmax_label": lab},
        grad_req="write", head_grads=None, args_grad=["data", "softmax_label"],
        grad_init={"softmax_label": A([7, 7, 7])}, no_grad=(),
        desc="label gets a write buffer preset to 7: never written")

    # ---------------- softmax / log_softmax / softmin
    for opname in ("softmax", "log_softmax", "softmin"):
        op = getattr(S, opname)
        for dt in FLOAT_TYPES:
            add("%s_default_%s" % (opname, dt), op(d, name="sm"), {"data": (2, 3, 4)}, dtype=dt)
        for ax in (0, 1, -2):
            add("%s_axis%d" % (opname, ax), op(d, axis=ax, name="sm"), {"data": (2, 3, 4)})
        add(opname + "_axis0_float64", op(d, axis=0, name="sm"), {"data": (2, 3, 4)}, dtype="float64")
        add(opname + "_temperature", op(d, temperature=2.5, name="sm"), {"data": (2, 3, 4)})
        add(opname + "_temperature_axis1", op(d, axis=1, temperature=0.5, name="sm"), {"data": (2, 3, 4)})
        add(opname + "_dtype_float64", op(d, dtype="float64", name="sm"), {"data": (2, 5)},
            desc="float32 input, output dtype float64")
        add(opname + "_dtype_float16_in", op(d, dtype="float32", name="sm"), {"data": (2, 5)}, dtype="float16",
            desc="float16 input, output dtype float32")
        add(opname + "_use_length", lambda: op(data=d, length=V("length"), axis=-1, use_length=True, name="sm"), {"data": (2, 3, 4)},
            values={"length": A([[1, 4, 2], [3, 0, 4]], "int32")}, desc="length int32; includes length 0")
        add(opname + "_use_length_axis1", lambda: op(data=d, length=V("length"), axis=1, use_length=True, name="sm"),
            {"data": (2, 4, 3)}, values={"length": A([[1, 4, 2], [3, 2, 4]], "int64")})
        add(opname + "_large_values", op(d, name="sm"), values={"data": A([[1000., 1001., 1002.], [-1e4, 0., 1e4]])},
            desc="numerical stability")
    try_error("softmax use_length with float32 length", lambda: fwd(
        S.softmax(data=d, length=V("length"), use_length=True), data=np.ones((2, 3)), length=np.ones((2,))))

    # ---------------- elementwise binary
    for opname, dd in (("elemwise_add", None), ("elemwise_sub", None), ("elemwise_mul", None),
                       ("elemwise_div", {"rhs": ("u", 0.5, 2.0)})):
        for dt in FLOAT_TYPES:
            add("%s_%s" % (opname, dt), getattr(S, opname)(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)},
                dtype=dt, dists=dd)
        add(opname + "_3d_add", getattr(S, opname)(lhs, rhs, name="op"), {"lhs": (2, 3, 2), "rhs": (2, 3, 2)},
            dists=dd, grad_req="add",
            mxnet_bug=("grad_req add: rhs grad = rhs_init + ograd + lhs_init (elemwise_add backward reads the "
                       "accumulated lhs buffer)") if opname == "elemwise_add" else None)
    add("broadcast_add_same_shape_grad_add", S.broadcast_add(lhs, rhs, name="op"), {"lhs": (2, 3, 2), "rhs": (2, 3, 2)},
        grad_req="add", desc="correct accumulation (compare elemwise_add_3d_add)")
    add("elemwise_add_int32", S.elemwise_add(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)},
        dtype="int32", dist=("i", -5, 5), backward=False)
    add("elemwise_div_by_zero", S.elemwise_div(lhs, rhs, name="op"),
        values={"lhs": A([1., -1., 0., 2.]), "rhs": A([0., 0., 0., 4.])}, desc="inf/-inf/nan")
    add("elemwise_same_var_twice", S.elemwise_mul(lhs, lhs, name="op"), {"lhs": (2, 3)},
        desc="x*x with the same variable: gradient accumulates 2x")
    try_error("elemwise_add shape mismatch (2,3)+(1,3)", lambda: S.elemwise_add(lhs, rhs).infer_shape(
        lhs=(2, 3), rhs=(1, 3)))
    try_error("elemwise_add dtype mismatch float32+float64", lambda: S.elemwise_add(lhs, rhs).infer_type(
        lhs=np.float32, rhs=np.float64))

    # ---------------- broadcast binary
    bshapes = [((2, 1, 3), (4, 1)), ((2, 3), (1, 3)), ((3, 1), (1, 4)), ((2, 3), (2, 3))]
    for opname, dd in (("broadcast_add", None), ("broadcast_sub", None), ("broadcast_mul", None),
                       ("broadcast_div", {"rhs": ("u", 0.5, 2.0)}),
                       ("broadcast_power", {"lhs": ("u", 0.5, 2.0)}),
                       ("broadcast_maximum", {"lhs": ("i", -2, 3), "rhs": ("i", -2, 3)}),
                       ("broadcast_minimum", {"lhs": ("i", -2, 3), "rhs": ("i", -2, 3)}),
                       ("broadcast_hypot", None),
                       ("broadcast_mod", {"lhs": ("u", -4, 4), "rhs": ("c", [-1.5, 1.5, 2.0, 3.0])})):
        for i, (sa, sb) in enumerate(bshapes):
            add("%s_shape%d" % (opname, i), getattr(S, opname)(lhs, rhs, name="op"), {"lhs": sa, "rhs": sb},
                dists=dd, desc="lhs %s rhs %s" % (sa, sb))
        for dt in ("float64", "float16"):
            add("%s_%s" % (opname, dt), getattr(S, opname)(lhs, rhs, name="op"),
                {"lhs": (2, 1, 3), "rhs": (4, 1)}, dtype=dt, dists=dd)
    add("broadcast_plus_alias", S.broadcast_plus(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (1, 3)})
    add("broadcast_minus_alias", S.broadcast_minus(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (1, 3)})
    add("broadcast_power_negative_base", S.broadcast_power(lhs, rhs, name="op"),
        values={"lhs": A([[-2., 0., 2.]]), "rhs": A([[2.], [0.5]])}, desc="nan grads for base <= 0")
    add("broadcast_maximum_ties", S.broadcast_maximum(lhs, rhs, name="op"),
        values={"lhs": A([[1., 2., 3.], [3., 2., 1.]]), "rhs": A([[2., 2., 2.]])}, desc="ties go to lhs")
    add("broadcast_minimum_ties", S.broadcast_minimum(lhs, rhs, name="op"),
        values={"lhs": A([[1., 2., 3.], [3., 2., 1.]]), "rhs": A([[2., 2., 2.]])}, desc="ties go to lhs")
    for cmp in ("equal", "not_equal", "greater", "greater_equal", "lesser", "lesser_equal",
                "logical_and", "logical_or", "logical_xor"):
        add("broadcast_%s" % cmp, getattr(S, "broadcast_" + cmp)(lhs, rhs, name="op"),
            values={"lhs": A([[0., 1., 2.], [2., 1., 0.]]), "rhs": A([[1.], [0.]])})
    add("broadcast_equal_int32", S.broadcast_equal(lhs, rhs, name="op"),
        values={"lhs": A([[0, 1, 2], [2, 1, 0]], "int32"), "rhs": A([[1], [0]], "int32")}, backward=False)
    try_error("broadcast_add incompatible shapes (2,3)+(4,)", lambda: S.broadcast_add(lhs, rhs).infer_shape(
        lhs=(2, 3), rhs=(4,)))

    # ---------------- elemwise _maximum/_minimum/_power/_mod/_hypot, comparisons
    tie_l = A([[1., 2., 3.], [-1., 0., 5.]])
    tie_r = A([[1., 3., 2.], [-1., 1., 5.]])
    add("_maximum_ties", I._maximum(lhs, rhs, name="op"), values={"lhs": tie_l, "rhs": tie_r})
    add("_minimum_ties", I._minimum(lhs, rhs, name="op"), values={"lhs": tie_l, "rhs": tie_r})
    add("_maximum_ties_float64", I._maximum(lhs, rhs, name="op"),
        values={"lhs": tie_l.astype("float64"), "rhs": tie_r.astype("float64")}, dtype="float64")
    add("_power", I._power(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)}, dists={"lhs": ("u", 0.5, 2)})
    add("_power_operator", lhs ** rhs, {"lhs": (2, 3), "rhs": (2, 3)}, dists={"lhs": ("u", 0.5, 2)},
        desc="symbol ** symbol")
    add("_mod", I._mod(lhs, rhs, name="op"), values={"lhs": A([[5., -5., 5.5], [-5.5, 3., 0.]]),
                                                    "rhs": A([[3., 3., -2.], [-2., 3., 2.]])})
    add("_mod_operator", lhs % rhs, values={"lhs": A([[5., -5.], [7., 1.]]), "rhs": A([[3., 3.], [-2., 4.]])})
    add("_hypot", I._hypot(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)})
    add("_hypot_zero", I._hypot(lhs, rhs, name="op"), values={"lhs": A([0., 3.]), "rhs": A([0., 4.])},
        desc="grad at (0,0)")
    for cmp in ("_equal", "_not_equal", "_greater", "_greater_equal", "_lesser", "_lesser_equal"):
        add(cmp, getattr(I, cmp)(lhs, rhs, name="op"), values={"lhs": tie_l, "rhs": tie_r})
        add(cmp + "_no_head_grad", getattr(I, cmp)(lhs, rhs, name="op"), values={"lhs": tie_l, "rhs": tie_r},
            head_grads=None, desc="backward() without head gradient")
    add("_equal_operator", lhs == rhs, values={"lhs": tie_l, "rhs": tie_r})
    add("_greater_operator", lhs > rhs, values={"lhs": tie_l, "rhs": tie_r})
    for lop in ("_logical_and", "_logical_or", "_logical_xor"):
        add(lop, getattr(I, lop)(lhs, rhs, name="op"),
            values={"lhs": A([[0., 1., 2.], [0., -1., 0.]]), "rhs": A([[0., 0., 1.], [3., 1., 0.]])})
    add("logical_not", S.logical_not(d, name="op"), values={"data": A([[0., 1., -2.], [0.5, 0., 3.]])})

    # ---------------- scalar ops
    xs = A([[-2.0, -1.0, 0.0, 1.0], [1.5, 2.0, 3.0, -0.5]])
    xpos = A([[0.5, 1.0, 2.0, 3.0], [1.5, 0.25, 4.0, 2.0]])
    scal = [
        ("_plus_scalar", xs, [2.0, -1.5]), ("_minus_scalar", xs, [2.0]), ("_rminus_scalar", xs, [2.0, -1.0]),
        ("_mul_scalar", xs, [3.0, 0.0, -1.0]), ("_div_scalar", xs, [2.0, -4.0]),
        ("_rdiv_scalar", xpos, [2.0, -1.0]), ("_power_scalar", xpos, [2.0, 0.5, -1.0, 3.0]),
        ("_rpower_scalar", xs, [2.0, 0.5]), ("_mod_scalar", xs, [1.5, -2.0]),
        ("_rmod_scalar", A([[1.5, 2.0, 3.0, -0.5], [-2.0, 4.0, 7.0, -3.0]]), [5.0, -5.0]),
        ("_maximum_scalar", xs, [1.0, 0.0]), ("_minimum_scalar", xs, [1.0, 0.0]),
        ("_equal_scalar", xs, [1.0]), ("_not_equal_scalar", xs, [1.0]), ("_greater_scalar", xs, [1.0]),
        ("_greater_equal_scalar", xs, [1.0]), ("_lesser_scalar", xs, [1.0]), ("_lesser_equal_scalar", xs, [1.0]),
        ("_hypot_scalar", xs, [3.0]),
        ("_logical_and_scalar", xs, [1.0, 0.0]), ("_logical_or_scalar", xs, [0.0]),
        ("_logical_xor_scalar", xs, [1.0]),
    ]
    for opname, x, svals in scal:
        for sv in svals:
            tag = ("%g" % sv).replace("-", "m").replace(".", "p")
            add("%s_%s" % (opname, tag), getattr(I, opname)(d, scalar=sv, name="op"), values={"data": x},
                desc="scalar=%r" % sv)
        add("%s_float64" % opname, getattr(I, opname)(d, scalar=svals[0], name="op"),
            values={"data": x.astype("float64")}, dtype="float64")
        add("%s_float16" % opname, getattr(I, opname)(d, scalar=svals[0], name="op"),
            values={"data": x.astype("float16")}, dtype="float16")
        add("%s_int32" % opname, getattr(I, opname)(d, scalar=3, name="op"),
            values={"data": A([[-7, -1, 0, 1], [2, 3, 7, 9]], "int32")}, dtype="int32", backward=False,
            desc="integer array, scalar=3")
    add("_power_scalar_zero_base", I._power_scalar(d, scalar=0.5, name="op"), values={"data": A([0., 1., 4.])},
        desc="x=0 with s=0.5: inf gradient")
    add("_power_scalar_negative_base", I._power_scalar(d, scalar=0.5, name="op"), values={"data": A([-1., 4.])},
        desc="nan")
    add("_rdiv_scalar_zero", I._rdiv_scalar(d, scalar=1.0, name="op"), values={"data": A([0., -0., 2.])},
        desc="1/0 -> inf")
    add("_div_scalar_zero", I._div_scalar(d, scalar=0.0, name="op"), values={"data": A([1., -1., 0.])})
    add("_div_scalar_int32_neg", I._div_scalar(d, scalar=2, name="op"),
        values={"data": A([-7, -1, 0, 1, 7], "int32")}, dtype="int32", backward=False,
        desc="integer division of negatives")
    add("_rpower_scalar_negative_base", I._rpower_scalar(d, scalar=-2.0, name="op"),
        values={"data": A([1., 2., 0.5])})
    add("_is_int_param", I._plus_scalar(d, scalar=2, is_int=True, name="op"), values={"data": xs},
        desc="is_int=True passed explicitly")
    # operator spellings
    x_ = V("data")
    for cid, expr in (("op_add_scalar", x_ + 1), ("op_radd_scalar", 1 + x_), ("op_sub_scalar", x_ - 2),
                      ("op_rsub_scalar", 2 - x_), ("op_mul_scalar", x_ * 3), ("op_rmul_scalar", 3 * x_),
                      ("op_div_scalar", x_ / 4), ("op_rdiv_scalar", 4 / x_), ("op_pow_scalar", x_ ** 2),
                      ("op_rpow_scalar", 2 ** x_), ("op_mod_scalar", x_ % 1.5), ("op_rmod_scalar", 5 % x_),
                      ("op_neg", -x_), ("op_abs", abs(x_)), ("op_eq_scalar", x_ == 1), ("op_ne_scalar", x_ != 1),
                      ("op_gt_scalar", x_ > 1), ("op_ge_scalar", x_ >= 1), ("op_lt_scalar", x_ < 1),
                      ("op_le_scalar", x_ <= 1), ("op_sym_pow_2_x", S.pow(2, x_)),
                      ("op_maximum_scalar", S.maximum(x_, 1)), ("op_minimum_scalar_left", S.minimum(1, x_))):
        add(cid, expr, values={"data": xpos if "div" in cid or "mod" in cid or "pow" in cid else xs})

    # ---------------- unary
    add("negative", S.negative(d, name="op"), {"data": (2, 3)})
    for dt in ("float64", "float16"):
        add("negative_" + dt, S.negative(d, name="op"), {"data": (2, 3)}, dtype=dt)
    ux = A([[-2.5, -1.5, -0.5, 0.0], [0.5, 1.5, 2.5, -0.7], [0.3, 1.2, -1.2, 3.7]])
    upos = A([[0.1, 0.5, 1.0, 2.0], [3.0, 0.25, 4.0, 9.0]])
    unary = [("log1p", A([[-0.5, 0., 0.5, 1.], [2., 3., 0.1, 10.]])), ("expm1", ux), ("sqrt", upos),
             ("rsqrt", upos), ("square", ux), ("reciprocal", upos), ("abs", ux), ("sign", ux), ("sin", ux),
             ("cos", ux), ("tan", A([[-1.2, -0.5, 0., 0.5], [1.0, 1.2, 0.3, -0.3]])), ("tanh", ux),
             ("sigmoid", ux), ("relu", ux), ("erf", ux), ("exp", ux), ("log", upos), ("round", ux),
             ("floor", ux), ("ceil", ux), ("cbrt", ux), ("rint", ux), ("fix", ux), ("trunc", ux),
             ("arctan", ux), ("sinh", ux), ("cosh", ux), ("log2", upos), ("log10", upos), ("softsign", ux),
             ("degrees", ux), ("radians", ux)]
    for opname, x in unary:
        add("unary_" + opname, getattr(S, opname)(d, name="op"), values={"data": x})
        if opname in ("round", "floor", "ceil"):
            add("unary_%s_no_head_grad" % opname, getattr(S, opname)(d, name="op"), values={"data": x},
                head_grads=None, desc="non-differentiable: backward() without head grad")
        if opname in ("log1p", "expm1", "sqrt", "rsqrt", "square", "reciprocal", "abs", "sign", "sin", "cos",
                      "tan", "tanh", "sigmoid", "relu", "erf", "exp", "log", "round", "floor", "ceil"):
            for dt in ("float64", "float16"):
                add("unary_%s_%s" % (opname, dt), getattr(S, opname)(d, name="op"), values={"data": x.astype(dt)},
                    dtype=dt)
    add("unary_sqrt_zero", S.sqrt(d, name="op"), values={"data": A([0., 1., 4.])}, desc="inf grad at 0")
    add("unary_log_zero_negative", S.log(d, name="op"), values={"data": A([0., -1., 1.])})
    add("unary_sign_no_head_grad", S.sign(d, name="op"), values={"data": ux}, head_grads=None)
    add("unary_abs_int32", S.abs(d, name="op"), values={"data": A([-3, 0, 2], "int32")}, dtype="int32",
        backward=False)

    # ---------------- losses
    add("blockgrad", S.BlockGrad(d, name="op"), {"data": (2, 3)})
    add("blockgrad_no_head_grad", S.BlockGrad(d, name="op"), {"data": (2, 3)}, head_grads=None)
    add("stop_gradient", S.stop_gradient(d, name="op"), {"data": (2, 3)})
    add("blockgrad_in_graph", S.BlockGrad(d * 2, name="bg") + d, {"data": (2, 3)}, desc="grad only via d")
    mlx = A([[0.1, 0.7, 0.5], [0.9, 0.6, 0.2]])
    add("makeloss_default", S.MakeLoss(d, name="op"), values={"data": mlx}, head_grads=None)
    add("makeloss_head_grad_ignored", S.MakeLoss(d, name="op"), values={"data": mlx})
    add("makeloss_grad_scale", S.MakeLoss(d, grad_scale=3.0, name="op"), values={"data": mlx}, head_grads=None)
    add("makeloss_batch", S.MakeLoss(d, normalization="batch", name="op"), values={"data": mlx}, head_grads=None)
    add("makeloss_valid_thresh", S.MakeLoss(d, normalization="valid", valid_thresh=0.6, name="op"),
        values={"data": mlx}, head_grads=None, desc="x > 0.6 exactly equal to 0.6 excluded")
    add("makeloss_valid_none", S.MakeLoss(d, normalization="valid", valid_thresh=5.0, name="op"),
        values={"data": mlx}, head_grads=None)
    add("makeloss_valid_default_thresh", S.MakeLoss(d, normalization="valid", grad_scale=2.0, name="op"),
        values={"data": A([[-1., 0., 1.], [2., -3., 0.5]])}, head_grads=None)
    add("makeloss_float64", S.MakeLoss(d, normalization="batch", name="op"), values={"data": mlx.astype("f8")},
        dtype="float64", head_grads=None)
    add("makeloss_composed", S.MakeLoss(S.square(d), name="op"), values={"data": mlx}, head_grads=None)
    add("make_loss", S.make_loss(d, name="op"), values={"data": mlx}, head_grads=None)
    add("make_loss_head_grad_ignored", S.make_loss(S.square(d), name="op"), values={"data": mlx})
    for opname in ("LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"):
        op = getattr(S, opname)
        for dt in FLOAT_TYPES:
            add("%s_%s" % (opname, dt), op(d, V("lbl"), name="reg"), {"data": (3, 2), "lbl": (3, 2)}, dtype=dt,
                head_grads=None, no_grad=("lbl",))
        add(opname + "_grad_scale", op(d, V("lbl"), grad_scale=2.0, name="reg"), {"data": (3, 4), "lbl": (3, 4)},
            head_grads=None, no_grad=("lbl",))
        add(opname + "_label_1d", op(d, V("lbl"), name="reg"), {"data": (4, 1), "lbl": (4,)}, head_grads=None,
            no_grad=("lbl",), desc="data (N,1) label (N,)")
        add(opname + "_auto_label", op(d, name="reg"), {"data": (2, 3)}, head_grads=None,
            desc="label auto-created as reg_label")
        add(opname + "_3d", op(d, V("lbl"), name="reg"), {"data": (2, 2, 3), "lbl": (2, 2, 3)}, head_grads=None,
            no_grad=("lbl",))
        add(opname + "_head_grad_ignored", op(d, V("lbl"), name="reg"), {"data": (3, 2), "lbl": (3, 2)},
            no_grad=("lbl",))
    add("MAERegressionOutput_out_eq_label", S.MAERegressionOutput(d, V("lbl"), name="reg"),
        values={"data": A([[0.5, 1., 2.], [0., -1., 3.]]), "lbl": A([[0.5, 0., 2.], [0., 1., 3.]])},
        head_grads=None, no_grad=("lbl",), desc="sign(0) = -1")
    add("LinearRegressionOutput_label_buffer", S.LinearRegressionOutput(d, V("lbl"), name="reg"),
        {"data": (3, 2), "lbl": (3, 2)}, head_grads=None, grad_req="write",
        grad_init={"lbl": np.full((3, 2), 7.0, "float32")}, args_grad=["data", "lbl"],
        desc="label buffer preset 7 stays untouched")

    # ---------------- reductions
    for opname in ("sum", "mean", "prod", "max", "min", "nansum", "nanprod"):
        op = getattr(S, opname)
        dd = ("i", -2, 3) if opname in ("max", "min") else (("u", 0.5, 1.5) if "prod" in opname else None)
        for kw, tag in (({}, "all"), ({"axis": 1}, "axis1"), ({"axis": (0, 2)}, "axis02"),
                        ({"axis": -1}, "axism1"), ({"axis": 1, "keepdims": True}, "axis1_keepdims"),
                        ({"keepdims": True}, "all_keepdims"), ({"axis": 1, "exclude": True}, "axis1_exclude"),
                        ({"axis": (0, 2), "exclude": True, "keepdims": True}, "axis02_exclude_keepdims"),
                        ({"axis": ()}, "axis_empty_tuple")):
            add("%s_%s" % (opname, tag), op(d, name="op", **kw), {"data": (2, 3, 4)}, dist=dd,
                desc=str(kw))
        for dt in ("float64", "float16"):
            add("%s_axis1_%s" % (opname, dt), op(d, axis=1, name="op"), {"data": (2, 3, 4)}, dist=dd, dtype=dt)
    add("sum_axis_alias", S.sum_axis(d, axis=1, name="op"), {"data": (2, 3)})
    add("prod_with_zero", S.prod(d, axis=1, name="op"), values={"data": A([[1., 2., 0.], [2., 3., 4.]])},
        desc="grad out/x: nan at the zero")
    add("prod_with_two_zeros", S.prod(d, name="op"), values={"data": A([[0., 2., 0.], [2., 3., 4.]])})
    add("nanprod_with_nan", S.nanprod(d, axis=1, name="op"), values={"data": A([[1., np.nan, 3.], [2., 3., 4.]])})
    add("nansum_with_nan", S.nansum(d, axis=1, name="op"), values={"data": A([[1., np.nan, 3.], [2., 3., 4.]])})
    add("max_ties", S.max(d, axis=1, name="op"), values={"data": A([[1., 3., 3.], [2., 2., 0.]])},
        desc="all tied elements get the gradient")
    add("min_ties", S.min(d, axis=1, name="op"), values={"data": A([[1., 1., 3.], [0., 2., 0.]])})
    add("max_all_ties", S.max(d, name="op"), values={"data": A([[1., 3., 3.], [3., 2., 0.]])})
    add("max_int32", S.max(d, axis=1, name="op"), values={"data": A([[1, 3, 3], [2, 2, 0]], "int32")},
        dtype="int32", backward=False)
    add("sum_int32", S.sum(d, axis=0, name="op"), values={"data": A([[1, 3, 3], [2, 2, 0]], "int32")},
        dtype="int32", backward=False)
    add("mean_int32", S.mean(d, axis=1, name="op"), values={"data": A([[1, 3, 3], [2, 2, 0]], "int32")},
        dtype="int32", backward=False, desc="integer mean")
    for kw, tag in (({}, "default"), ({"ord": 1}, "ord1"), ({"axis": 1}, "axis1"), ({"ord": 1, "axis": 1}, "ord1_axis1"),
                    ({"axis": (1, 2)}, "axis12"), ({"axis": 1, "keepdims": True}, "axis1_keepdims")):
        add("norm_" + tag, S.norm(d, name="op", **kw), {"data": (2, 3, 4)}, desc=str(kw))
    add("norm_with_zero_row", S.norm(d, axis=1, name="op"), values={"data": A([[0., 0., 0.], [3., 4., 0.]])},
        desc="grad of L2 norm at an all-zero row")
    add("norm_ord1_zero", S.norm(d, ord=1, axis=1, name="op"), values={"data": A([[0., -1., 2.], [3., 0., -4.]])})
    add("norm_float64", S.norm(d, axis=1, name="op"), {"data": (2, 3)}, dtype="float64")
    for opname in ("argmax", "argmin"):
        op = getattr(S, opname)
        tx = A([[1., 3., 3., 0.], [2., 0., 2., 0.], [5., 5., 5., 5.]])
        add(opname + "_axis1_ties", op(d, axis=1, name="op"), values={"data": tx}, backward=False,
            desc="ties: first index")
        add(opname + "_axis0", op(d, axis=0, name="op"), values={"data": tx}, backward=False)
        add(opname + "_axis1_keepdims", op(d, axis=1, keepdims=True, name="op"), values={"data": tx}, backward=False)
        add(opname + "_noaxis", op(d, name="op"), values={"data": tx}, backward=False, desc="flattened argmax")
        add(opname + "_axis1_backward", op(d, axis=1, name="op"), values={"data": tx}, head_grads=None,
            desc="backward() without head grad, zero data grad")
        add(opname + "_float64", op(d, axis=-1, name="op"), values={"data": tx.astype("float64")},
            dtype="float64", backward=False)
    add("argmax_channel", S.argmax_channel(d, name="op"), values={"data": A([[1., 3., 3.], [4., 0., 2.]])},
        backward=False)

    # ---------------- shape ops
    add("flatten_4d", S.Flatten(d, name="op"), {"data": (2, 3, 2, 2)})
    add("flatten_3d", S.flatten(d, name="op"), {"data": (2, 3, 4)})
    add("flatten_1d", S.Flatten(d, name="op"), {"data": (5,)}, desc="(N,) -> (N,1)")
    add("flatten_2d", S.Flatten(d, name="op"), {"data": (2, 3)})
    for dt in ("float64", "float16"):
        add("flatten_" + dt, S.Flatten(d, name="op"), {"data": (2, 3, 2)}, dtype=dt)
    rs = [((2, 3, 4), (4, 0, 2), False, "code0"), ((2, 3, 4), (6, 1, -1), False, "m1"),
          ((2, 3, 4), (-2, 1, 1), False, "m2"), ((2, 3, 4), (-3, 4), False, "m3"),
          ((2, 3, 4, 5), (-3, -3), False, "m3m3"), ((2, 3, 4), (-4, 1, 2, -2), False, "m4"),
          ((2, 3, 4), (2, -4, -1, 3, -2), False, "m4_infer"), ((10, 5, 4), (-1, 0), False, "m1_0"),
          ((10, 5, 4), (-1, 0), True, "m1_0_reverse"), ((2, 3, 4), (0, -1), False, "0_m1"),
          ((2, 3, 4), (-1,), False, "flat"), ((2, 3, 4), (0, 0, 0), False, "000"),
          ((2, 3, 4), (-4, -1, 1, 0, 0), False, "m4_m1_first"), ((2, 3, 4, 5), (0, -3, 0), False, "0m30"),
          ((2, 3, 4), (0, -4, 3, 1, 0), False, "0_m4_0"), ((4, 6), (0, -4, 2, -1), True, "reverse_m4"),
          ((2, 3, 4), (24,), False, "explicit"), ((2, 3, 4), (3, -1, 2), True, "reverse_m1"),
          ((2, 3, 4), (-2,), False, "m2_only"), ((2, 3, 4), (0, 0, -2, 1), False, "00m2_1")]
    for shp, tgt, rev, tag in rs:
        kw = {"reverse": True} if rev else {}
        add("reshape_" + tag, S.Reshape(d, shape=tgt, name="op", **kw), {"data": shp},
            desc="%s shape=%s reverse=%s" % (shp, tgt, rev))
    add("reshape_float64", S.reshape(d, shape=(3, -1), name="op"), {"data": (2, 3, 2)}, dtype="float64")
    add("reshape_float16", S.reshape(d, shape=(-3, 0), name="op"), {"data": (2, 3, 2)}, dtype="float16")
    add("reshape_target_shape_deprecated", S.Reshape(d, target_shape=(3, 0), name="op"), {"data": (2, 3, 2)})
    try_error("Reshape two -1", lambda: S.Reshape(d, shape=(-1, -1)).infer_shape(data=(2, 3)))
    try_error("Reshape to different element count (2,3)->(4,)",
              lambda: fwd(S.Reshape(d, shape=(4,)), data=np.ones((2, 3))))
    try_error("Reshape -4 with non-dividing dims", lambda: S.Reshape(d, shape=(-4, 4, -1)).infer_shape(data=(6, 2)))
    add("reshape_like", S.reshape_like(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (3, 2)}, no_grad=("rhs",))
    add("reshape_like_rhs_grad", S.reshape_like(lhs, rhs, name="op"), {"lhs": (2, 3, 2), "rhs": (4, 3)},
        desc="rhs gets a (zero) gradient buffer")
    add("transpose_default", S.transpose(d, name="op"), {"data": (2, 3, 4)})
    add("transpose_axes", S.transpose(d, axes=(1, 2, 0), name="op"), {"data": (2, 3, 4)})
    add("transpose_2d", S.transpose(d, name="op"), {"data": (2, 3)})
    add("transpose_float64", S.transpose(d, axes=(2, 0, 1), name="op"), {"data": (2, 3, 4)}, dtype="float64")
    add("transpose_4d", S.transpose(d, axes=(0, 2, 3, 1), name="op"), {"data": (2, 3, 2, 2)})
    add("swapaxis", S.SwapAxis(d, dim1=0, dim2=2, name="op"), {"data": (2, 3, 4)})
    add("swapaxis_default", S.SwapAxis(d, name="op"), {"data": (2, 3, 4)}, desc="dim1=dim2=0")
    add("swapaxes_alias", S.swapaxes(d, dim1=1, dim2=2, name="op"), {"data": (2, 3, 4)})
    add("swapaxis_negative", S.SwapAxis(d, dim1=-1, dim2=0, name="op"), {"data": (2, 3, 4)})
    for ax in (0, 1, 2, -1, -3):
        add("expand_dims_axis%s" % str(ax).replace("-", "m"), S.expand_dims(d, axis=ax, name="op"), {"data": (2, 3)})
    add("squeeze_all", S.squeeze(d, name="op"), {"data": (2, 1, 3, 1)})
    add("squeeze_axis", S.squeeze(d, axis=1, name="op"), {"data": (2, 1, 3, 1)})
    add("squeeze_axis_tuple", S.squeeze(d, axis=(1, 3), name="op"), {"data": (2, 1, 3, 1)})
    add("squeeze_negative_axis", S.squeeze(d, axis=-1, name="op"), {"data": (2, 1, 3, 1)})
    add("squeeze_to_nothing", S.squeeze(d, name="op"), {"data": (1, 1)}, desc="-> (1,)")
    try_error("squeeze non-1 axis", lambda: S.squeeze(d, axis=0).infer_shape(data=(2, 1, 3)))
    add("concat_dim1_default", S.Concat(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 2)})
    add("concat_dim0", S.Concat(lhs, rhs, dim=0, name="op"), {"lhs": (2, 3), "rhs": (1, 3)})
    add("concat_neg_dim", S.concat(lhs, rhs, V("c"), dim=-1, name="op"), {"lhs": (2, 2, 1), "rhs": (2, 2, 3),
                                                                         "c": (2, 2, 2)})
    add("concat_auto_args", S.Concat(num_args=2, dim=1, name="cc"), {"cc_arg0": (2, 1), "cc_arg1": (2, 3)},
        desc="inputs auto-created cc_arg0, cc_arg1")
    for dt in ("float64", "float16"):
        add("concat_" + dt, S.Concat(lhs, rhs, dim=1, name="op"), {"lhs": (2, 3), "rhs": (2, 2)}, dtype=dt)
    add("concat_4d_grad_add", S.Concat(lhs, rhs, dim=1, name="op"), {"lhs": (2, 1, 2, 2), "rhs": (2, 2, 2, 2)},
        grad_req="add")
    try_error("Concat mismatched non-concat dims", lambda: S.Concat(lhs, rhs, dim=1).infer_shape(
        lhs=(2, 3), rhs=(3, 3)))
    add("slicechannel_default_axis", S.SliceChannel(d, num_outputs=3, name="op"), {"data": (2, 6, 2)},
        desc="axis defaults to 1")
    add("slicechannel_axis0", S.SliceChannel(d, num_outputs=2, axis=0, name="op"), {"data": (4, 3)})
    add("slicechannel_squeeze_axis", S.SliceChannel(d, num_outputs=3, axis=1, squeeze_axis=True, name="op"),
        {"data": (2, 3, 4)})
    add("slicechannel_negative_axis", S.split(d, num_outputs=2, axis=-1, name="op"), {"data": (2, 3, 4)})
    sc = S.SliceChannel(d, num_outputs=3, axis=1, name="sc")
    add("slicechannel_unused_outputs", S.elemwise_mul(sc[1], sc[1], name="op"), {"data": (2, 3, 2)},
        desc="only output 1 used; grads of other slices are 0")
    add("slicechannel_two_of_three", S.Group([sc[0], sc[2]]), {"data": (2, 3, 2)},
        desc="Group of outputs 0 and 2")
    add("slicechannel_float64", S.SliceChannel(d, num_outputs=2, name="op"), {"data": (2, 4)}, dtype="float64")
    try_error("SliceChannel not evenly divisible", lambda: S.SliceChannel(d, num_outputs=4).infer_shape(
        data=(2, 6)))
    try_error("SliceChannel squeeze_axis with size>1", lambda: S.SliceChannel(
        d, num_outputs=2, squeeze_axis=True).infer_shape(data=(2, 4)))
    add("stack_axis0", S.stack(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)})
    add("stack_axis1", S.stack(lhs, rhs, V("c"), axis=1, name="op"), {"lhs": (2, 3), "rhs": (2, 3), "c": (2, 3)})
    add("stack_axis_neg", S.stack(lhs, rhs, axis=-1, name="op"), {"lhs": (2, 3), "rhs": (2, 3)})
    add("stack_float64", S.stack(lhs, rhs, axis=2, name="op"), {"lhs": (2, 3), "rhs": (2, 3)}, dtype="float64")
    add("add_n_3", S.add_n(lhs, rhs, V("c"), name="op"), {"lhs": (2, 3), "rhs": (2, 3), "c": (2, 3)})
    add("add_n_1", S.add_n(lhs, name="op"), {"lhs": (2, 3)})
    add("elementwisesum_alias", S.ElementWiseSum(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)})
    add("add_n_same_var", S.add_n(lhs, lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (2, 3)})
    for dt in ("float64", "float16"):
        add("add_n_" + dt, S.add_n(lhs, rhs, V("c"), name="op"), {"lhs": (2, 3), "rhs": (2, 3), "c": (2, 3)},
            dtype=dt)
    sx = np.arange(12, dtype="float32").reshape(3, 4)
    add("slice_basic", S.slice(d, begin=(1, 0), end=(3, 3), name="op"), values={"data": sx})
    add("slice_negative_step", S.slice(d, begin=(2, None), end=(None, 0), step=(-1, -2), name="op"),
        values={"data": sx}, desc="Python slicing semantics")
    add("slice_neg_index", S.slice(d, begin=(-2,), end=(None,), name="op"), values={"data": sx},
        desc="only leading axis")
    add("slice_step2", S.slice(d, begin=(0, 1), end=(3, 4), step=(2, 2), name="op"), values={"data": sx})
    add("slice_3d_none", S.slice(d, begin=(None, 1, None), end=(None, None, -1), name="op"), {"data": (2, 3, 4)})
    add("slice_negative_step_full", S.slice(d, begin=(None, None), end=(None, None), step=(-1, -1), name="op"),
        values={"data": sx})
    add("crop_alias", S.crop(d, begin=(0, 1), end=(2, 3), name="op"), values={"data": sx})
    add("slice_float64", S.slice(d, begin=(1,), end=(3,), name="op"), values={"data": sx.astype("f8")},
        dtype="float64")
    add("slice_axis_basic", S.slice_axis(d, axis=1, begin=1, end=3, name="op"), values={"data": sx})
    add("slice_axis_negative", S.slice_axis(d, axis=-1, begin=-3, end=-1, name="op"), values={"data": sx})
    add("slice_axis_end_none", S.slice_axis(d, axis=0, begin=1, end=None, name="op"), values={"data": sx})
    add("slice_axis_3d", S.slice_axis(d, axis=2, begin=0, end=2, name="op"), {"data": (2, 3, 4)})
    add("tile_basic", S.tile(d, reps=(2, 3), name="op"), {"data": (2, 3)})
    add("tile_more_reps", S.tile(d, reps=(2, 1, 2), name="op"), {"data": (2, 3)}, desc="reps longer than ndim")
    add("tile_fewer_reps", S.tile(d, reps=(2,), name="op"), {"data": (2, 3)}, desc="reps shorter than ndim")
    add("repeat_flat", S.repeat(d, repeats=2, name="op"), {"data": (2, 3)}, desc="axis None flattens")
    add("repeat_axis1", S.repeat(d, repeats=3, axis=1, name="op"), {"data": (2, 3)})
    add("repeat_axis_neg", S.repeat(d, repeats=2, axis=-1, name="op"), {"data": (2, 2, 3)})
    add("flip_axis0", S.flip(d, axis=0, name="op"), {"data": (2, 3, 4)})
    add("flip_axis_tuple", S.flip(d, axis=(0, 2), name="op"), {"data": (2, 3, 4)})
    add("reverse_alias", S.reverse(d, axis=1, name="op"), {"data": (2, 3)})
    add("broadcast_to", S.broadcast_to(d, shape=(2, 4, 3), name="op"), {"data": (2, 1, 3)})
    add("broadcast_to_zero_keep", S.broadcast_to(d, shape=(0, 3), name="op"), {"data": (2, 1)},
        desc="0 keeps the input dim")
    add("broadcast_to_add_lead", S.broadcast_to(d, shape=(3, 2), name="op"), {"data": (1, 2)})
    add("broadcast_axis", S.broadcast_axis(d, axis=1, size=4, name="op"), {"data": (2, 1, 3)})
    add("broadcast_axis_multi", S.broadcast_axis(d, axis=(0, 2), size=(2, 3), name="op"), {"data": (1, 2, 1)})
    add("broadcast_axes_alias", S.broadcast_axes(d, axis=0, size=3, name="op"), {"data": (1, 2)})
    add("broadcast_like", S.broadcast_like(lhs, rhs, name="op"), {"lhs": (1, 3), "rhs": (2, 3)})

    # ---------------- indexing
    px = A([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]])
    add("pick_axis1", S.pick(d, V("index"), axis=1, name="op"), values={"data": px, "index": A([0, 2, 1])},
        no_grad=("index",))
    add("pick_axis0", S.pick(d, V("index"), axis=0, name="op"), values={"data": px, "index": A([2, 0, 1])},
        no_grad=("index",))
    add("pick_keepdims", S.pick(d, V("index"), axis=-1, keepdims=True, name="op"),
        values={"data": px, "index": A([1, 1, 0])}, no_grad=("index",))
    add("pick_clip", S.pick(d, V("index"), axis=1, mode="clip", name="op"),
        values={"data": px, "index": A([-1, 5, 1])}, no_grad=("index",))
    add("pick_wrap", S.pick(d, V("index"), axis=1, mode="wrap", name="op"),
        values={"data": px, "index": A([-1, 5, 1])}, no_grad=("index",))
    add("pick_index_grad", S.pick(d, V("index"), axis=1, name="op"), values={"data": px, "index": A([0, 2, 1])},
        desc="index gets a gradient buffer too")
    add("pick_3d", S.pick(d, V("index"), axis=1, name="op"), {"data": (2, 3, 2)},
        values={"index": A([[0, 2], [1, 1]])}, no_grad=("index",))
    tw = np.arange(12, dtype="float32").reshape(4, 3)
    for mode in ("clip", "wrap"):
        add("take_" + mode, S.take(V("a"), V("indices"), mode=mode, name="op"),
            values={"a": tw, "indices": A([[0, 5], [-1, 3], [1, 1]])}, no_grad=("indices",),
            desc="out-of-range ids; repeated id accumulates")
        add("take_%s_axis1" % mode, S.take(V("a"), V("indices"), axis=1, mode=mode, name="op"),
            values={"a": tw, "indices": A([4, -1, 0, 2])}, no_grad=("indices",))
    add("take_int_indices", S.take(V("a"), V("indices"), name="op"),
        values={"a": tw, "indices": A([3, 0, 3], "int32")})
    add("take_indices_grad", S.take(V("a"), V("indices"), name="op"),
        values={"a": tw, "indices": A([3, 0, 3])}, desc="indices gets a buffer: written 0")
    add("take_axis_neg", S.take(V("a"), V("indices"), axis=-1, name="op"),
        values={"a": tw, "indices": A([[2, 0]])}, no_grad=("indices",))
    add("take_float64", S.take(V("a"), V("indices"), name="op"),
        values={"a": tw.astype("f8"), "indices": A([3, 0, 3], "float64")}, dtype="float64", no_grad=("indices",))
    for kw, tag in (({"depth": 4}, "basic"), ({"depth": 3, "on_value": 5.0, "off_value": -1.0}, "on_off"),
                    ({"depth": 4, "dtype": "int32"}, "int32"), ({"depth": 4, "dtype": "float64"}, "float64")):
        add("one_hot_" + tag, S.one_hot(d, name="op", **kw), values={"data": A([[0, 3], [5, -1], [1, 2]])},
            backward=False, desc="out-of-range and negative -> all off_value; " + str(kw))
    add("one_hot_backward", S.one_hot(d, depth=3, name="op"), values={"data": A([0, 2, 1])}, head_grads=None)
    add("one_hot_int_indices", S.one_hot(d, depth=3, name="op"), values={"data": A([0, 2, 4], "int32")},
        backward=False)
    add("embedding_basic", S.Embedding(d, V("w"), input_dim=4, output_dim=3, name="emb"),
        values={"data": A([[0, 1, 1], [3, 2, 0]])}, no_grad=("data",))
    add("embedding_clamped", S.Embedding(d, V("w"), input_dim=4, output_dim=3, name="emb"),
        values={"data": A([[0, 1, 1], [3, 5, -1]])}, no_grad=("data",),
        desc="ids 5 -> 3 and -1 -> 0 (clamped)")
    add("embedding_auto_weight", S.Embedding(d, input_dim=5, output_dim=2, name="emb"),
        values={"data": A([4, 0, 2, 2])}, no_grad=("data",), desc="weight auto-created emb_weight")
    add("embedding_fractional_ids", S.Embedding(d, input_dim=5, output_dim=2, name="emb"),
        values={"data": A([0.7, 1.2, 3.99, -0.5])}, no_grad=("data",), desc="ids cast to int")
    add("embedding_float64", S.Embedding(d, input_dim=4, output_dim=3, dtype="float64", name="emb"),
        values={"data": A([[0, 1], [3, 3]], "float64")}, dtype="float64", no_grad=("data",))
    add("embedding_int_ids", S.Embedding(d, input_dim=4, output_dim=3, name="emb"),
        values={"data": A([[0, 1], [3, 3]], "int32")}, desc="int32 ids, float32 weight")
    add("embedding_grad_add", S.Embedding(d, input_dim=4, output_dim=2, name="emb"),
        values={"data": A([1, 1, 2])}, no_grad=("data",), grad_req="add")
    try_error("Embedding data gradient requested", lambda: S.Embedding(
        d, input_dim=4, output_dim=3, name="emb").bind(
        mx.cpu(), {"data": mx.nd.array([0, 1]), "emb_weight": mx.nd.ones((4, 3))},
        args_grad={"data": mx.nd.zeros((2,)), "emb_weight": mx.nd.zeros((4, 3))}).forward(is_train=True) and None
        or _emb_bw())
    # where
    wc = A([[1., 0., 2.], [0., 0., -1.]])
    add("where_same_shape", S.where(V("cond"), V("x"), V("y"), name="op"), {"x": (2, 3), "y": (2, 3)},
        values={"cond": wc}, no_grad=("cond",))
    add("where_1d_condition", S.where(V("cond"), V("x"), V("y"), name="op"), {"x": (3, 2), "y": (3, 2)},
        values={"cond": A([1., 0., 1.])}, no_grad=("cond",), desc="1-D condition selects rows")
    add("where_cond_grad", S.where(V("cond"), V("x"), V("y"), name="op"), {"x": (2, 3), "y": (2, 3)},
        values={"cond": wc}, desc="cond gets a buffer: written 0")
    add("where_float64", S.where(V("cond"), V("x"), V("y"), name="op"), {"x": (2, 3), "y": (2, 3)},
        values={"cond": wc.astype("f8")}, dtype="float64", no_grad=("cond",))
    add("where_int_cond", S.where(V("cond"), V("x"), V("y"), name="op"), {"x": (2, 3), "y": (2, 3)},
        values={"cond": A([[1, 0, 1], [0, 1, 0]], "int32")}, desc="int32 condition, float32 x/y")
    # clip
    cx = A([[-1.0, -0.5, -0.2, 0.0], [0.2, 0.5, 0.7, 1.0]])
    add("clip_exact_bounds", S.clip(d, a_min=-0.5, a_max=0.5, name="op"), values={"data": cx},
        desc="gradient passes at x == a_min and x == a_max")
    add("clip_float64", S.clip(d, a_min=-0.5, a_max=0.5, name="op"), values={"data": cx.astype("f8")},
        dtype="float64")
    add("clip_float16", S.clip(d, a_min=-0.5, a_max=0.5, name="op"), values={"data": cx.astype("f2")},
        dtype="float16")
    add("clip_int32", S.clip(d, a_min=-1, a_max=2, name="op"), values={"data": A([-3, -1, 0, 2, 5], "int32")},
        dtype="int32", backward=False)
    add("clip_min_gt_max", S.clip(d, a_min=0.5, a_max=-0.5, name="op"), values={"data": cx},
        desc="a_min > a_max")
    # Cast
    for to in ("float16", "float64", "int32", "uint8", "int8", "int64", "bool"):
        add("cast_float32_to_" + to, S.Cast(d, dtype=to, name="op"),
            values={"data": A([[-1.7, -0.5, 0.0], [0.5, 1.5, 2.7]])}, backward=is_float(to) and to != "bool",
            desc="float->int truncation toward zero")
    add("cast_float64_to_float32", S.Cast(d, dtype="float32", name="op"), {"data": (2, 3)}, dtype="float64")
    add("cast_int32_to_float32", S.cast(d, dtype="float32", name="op"), values={"data": A([-3, 0, 7], "int32")},
        backward=False)
    add("cast_float16_to_float32", S.Cast(d, dtype="float32", name="op"), {"data": (2, 3)}, dtype="float16")
    add("cast_uint8_to_float32", S.Cast(d, dtype="float32", name="op"), values={"data": A([0, 255, 7], "uint8")},
        backward=False)
    add("cast_float32_to_uint8_wrap", S.Cast(d, dtype="uint8", name="op"),
        values={"data": A([-1., 256., 300.5, 255.9])}, backward=False, desc="out-of-range float->uint8")
    add("cast_float32_to_int32_backward", S.Cast(d, dtype="int32", name="op"), values={"data": A([1.5, -2.5])},
        desc="backward through an int cast")
    add("identity", S.identity(d, name="op"), {"data": (2, 3)})
    add("identity_float16", S.identity(d, name="op"), {"data": (2, 3)}, dtype="float16")
    add("zeros_like", S.zeros_like(d, name="op"), {"data": (2, 3)})
    add("zeros_like_no_head_grad", S.zeros_like(d, name="op"), {"data": (2, 3)}, head_grads=None)
    add("ones_like", S.ones_like(d, name="op"), {"data": (2, 3)})
    add("ones_like_int32", S.ones_like(d, name="op"), values={"data": A([1, 2], "int32")}, dtype="int32",
        backward=False)
    add("ones_like_plus_data", S.ones_like(d) + d, {"data": (2, 3)})

    # ---------------- dot / batch_dot
    for dt in FLOAT_TYPES:
        add("dot_2d_" + dt, S.dot(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (3, 4)}, dtype=dt)
    add("dot_transpose_a", S.dot(lhs, rhs, transpose_a=True, name="op"), {"lhs": (3, 2), "rhs": (3, 4)})
    add("dot_transpose_b", S.dot(lhs, rhs, transpose_b=True, name="op"), {"lhs": (2, 3), "rhs": (4, 3)})
    add("dot_transpose_ab", S.dot(lhs, rhs, transpose_a=True, transpose_b=True, name="op"),
        {"lhs": (3, 2), "rhs": (4, 3)})
    add("dot_3d_2d", S.dot(lhs, rhs, name="op"), {"lhs": (2, 3, 4), "rhs": (4, 5)})
    add("dot_2d_3d", S.dot(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (3, 4, 5)})
    add("dot_3d_2d_transpose_a", S.dot(lhs, rhs, transpose_a=True, name="op"), {"lhs": (2, 3, 4), "rhs": (2, 5)})
    add("dot_3d_3d_transpose_b", S.dot(lhs, rhs, transpose_b=True, name="op"), {"lhs": (2, 3), "rhs": (4, 5, 3)})
    add("dot_1d_1d", S.dot(lhs, rhs, name="op"), {"lhs": (3,), "rhs": (3,)}, desc="-> (1,)")
    add("dot_2d_1d", S.dot(lhs, rhs, name="op"), {"lhs": (2, 3), "rhs": (3,)})
    add("dot_1d_2d", S.dot(lhs, rhs, name="op"), {"lhs": (3,), "rhs": (3, 4)})
    add("dot_float64_3d", S.dot(lhs, rhs, name="op"), {"lhs": (2, 2, 3), "rhs": (3, 2)}, dtype="float64")
    try_error("dot inner dim mismatch", lambda: S.dot(lhs, rhs).infer_shape(lhs=(2, 3), rhs=(4, 5)))
    for dt in FLOAT_TYPES:
        add("batch_dot_" + dt, S.batch_dot(lhs, rhs, name="op"), {"lhs": (2, 3, 4), "rhs": (2, 4, 5)}, dtype=dt)
    add("batch_dot_transpose_a", S.batch_dot(lhs, rhs, transpose_a=True, name="op"),
        {"lhs": (2, 4, 3), "rhs": (2, 4, 5)})
    add("batch_dot_transpose_b", S.batch_dot(lhs, rhs, transpose_b=True, name="op"),
        {"lhs": (2, 3, 4), "rhs": (2, 5, 4)})
    add("batch_dot_transpose_ab", S.batch_dot(lhs, rhs, transpose_a=True, transpose_b=True, name="op"),
        {"lhs": (2, 4, 3), "rhs": (2, 5, 4)})
    add("batch_dot_4d", S.batch_dot(lhs, rhs, name="op"), {"lhs": (2, 2, 3, 4), "rhs": (2, 2, 4, 2)})
    try_error("batch_dot batch mismatch", lambda: S.batch_dot(lhs, rhs).infer_shape(lhs=(2, 3, 4), rhs=(3, 4, 5)))

    # ---------------- Convolution / Deconvolution
    w, b = V("weight"), V("bias")
    conv = lambda **kw: S.Convolution(d, w, b, name="conv", **kw)  # noqa: E731
    for dt in FLOAT_TYPES:
        add("conv2d_basic_" + dt, conv(kernel=(3, 3), num_filter=4), {"data": (2, 3, 5, 5)}, dtype=dt,
            rtol=None if dt != "float16" else 2e-2, atol=None if dt != "float16" else 5e-2)
    add("conv1d_basic", conv(kernel=(3,), num_filter=2), {"data": (2, 3, 9)})
    add("conv1d_stride_pad_dilate", conv(kernel=(3,), stride=(2,), pad=(1,), dilate=(2,), num_filter=4),
        {"data": (2, 3, 9)})
    add("conv1d_int_kernel", conv(kernel=3, num_filter=2), {"data": (2, 2, 6)}, desc="kernel=3 int")
    add("conv2d_stride2_pad1", conv(kernel=(3, 3), stride=(2, 2), pad=(1, 1), num_filter=4), {"data": (2, 3, 7, 7)})
    add("conv2d_dilate2", conv(kernel=(3, 3), dilate=(2, 2), num_filter=3), {"data": (2, 2, 7, 7)})
    add("conv2d_k3_s2_p1_d2", conv(kernel=(3, 3), stride=(2, 2), pad=(1, 1), dilate=(2, 2), num_filter=4),
        {"data": (2, 3, 9, 9)}, desc="-> (2,4,4,4)")
    add("conv2d_rect", conv(kernel=(2, 3), stride=(1, 2), pad=(1, 0), num_filter=3), {"data": (2, 2, 5, 6)})
    add("conv2d_groups", conv(kernel=(3, 3), num_filter=4, num_group=2), {"data": (2, 6, 5, 5)})
    add("conv2d_depthwise", conv(kernel=(3, 3), pad=(1, 1), num_filter=4, num_group=4), {"data": (2, 4, 5, 5)})
    add("conv2d_depthwise_mult2", conv(kernel=(3, 3), num_filter=6, num_group=3), {"data": (2, 3, 5, 5)},
        desc="channel multiplier 2")
    add("conv2d_no_bias", S.Convolution(d, w, kernel=(3, 3), num_filter=3, no_bias=True, name="conv"),
        {"data": (2, 3, 5, 5)})
    add("conv2d_auto_names", S.Convolution(d, kernel=(1, 1), num_filter=2, name="conv"), {"data": (2, 3, 4, 4)},
        desc="conv_weight/conv_bias auto-created; 1x1")
    add("conv2d_grad_add", conv(kernel=(3, 3), num_filter=2, pad=(1, 1)), {"data": (1, 2, 4, 4)}, grad_req="add")
    add("conv2d_groups_float64", conv(kernel=(3, 3), num_filter=4, num_group=2, stride=(2, 2)),
        {"data": (2, 4, 6, 6)}, dtype="float64")
    add("conv1d_groups", conv(kernel=(3,), num_filter=4, num_group=2, pad=(1,)), {"data": (2, 4, 7)})
    add("conv2d_no_bias_inference", S.Convolution(d, w, kernel=(3, 3), num_filter=3, no_bias=True, name="conv"),
        {"data": (2, 3, 5, 5)}, backward=False, is_train=False)
    try_error("Convolution kernel larger than padded input", lambda: S.Convolution(
        d, kernel=(5, 5), num_filter=2).infer_shape(data=(1, 1, 3, 3)))
    try_error("Convolution channels not divisible by num_group", lambda: S.Convolution(
        d, kernel=(3, 3), num_filter=4, num_group=2).infer_shape(data=(1, 3, 5, 5)))
    dec = lambda **kw: S.Deconvolution(d, w, name="deconv", **kw)  # noqa: E731
    for dt in FLOAT_TYPES:
        add("deconv2d_basic_" + dt, dec(kernel=(3, 3), num_filter=2), {"data": (2, 3, 4, 4)}, dtype=dt,
            rtol=None if dt != "float16" else 2e-2, atol=None if dt != "float16" else 5e-2,
            desc="no_bias defaults to True")
    add("deconv2d_stride2_pad1_adj1", dec(kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 1), num_filter=3),
        {"data": (2, 2, 3, 3)})
    add("deconv2d_with_bias", S.Deconvolution(d, w, b, kernel=(2, 2), stride=(2, 2), num_filter=2, no_bias=False,
                                              name="deconv"), {"data": (1, 3, 3, 3)})
    add("deconv2d_groups", dec(kernel=(3, 3), num_filter=4, num_group=2), {"data": (2, 4, 3, 3)})
    add("deconv2d_target_shape", dec(kernel=(4, 4), stride=(2, 2), num_filter=2, target_shape=(8, 8)),
        {"data": (1, 2, 4, 4)})
    add("deconv2d_target_shape_k3", dec(kernel=(3, 3), stride=(2, 2), num_filter=2, target_shape=(8, 8)),
        {"data": (1, 2, 4, 4)}, desc="target_shape picks pad/adj")
    add("deconv2d_target_shape_odd", dec(kernel=(3, 3), stride=(2, 2), num_filter=2, target_shape=(7, 7)),
        {"data": (1, 2, 4, 4)})
    add("deconv2d_target_shape_float64", dec(kernel=(4, 4), stride=(2, 2), num_filter=2, target_shape=(8, 8)),
        {"data": (1, 2, 4, 4)}, dtype="float64", desc="target_shape; float64 avoids the MKLDNN path")
    add("deconv2d_dilate", dec(kernel=(3, 3), dilate=(2, 2), num_filter=2), {"data": (1, 2, 3, 3)})
    add("deconv2d_auto_names", S.Deconvolution(d, kernel=(3, 3), num_filter=2, name="deconv"),
        {"data": (1, 2, 3, 3)}, desc="arg deconv_weight only (no_bias default True)")
    add("deconv1d", dec(kernel=(3,), stride=(2,), num_filter=2), {"data": (2, 3, 4)})

    # ---------------- Pooling
    pool = lambda **kw: S.Pooling(d, name="pool", **kw)  # noqa: E731
    for dt in FLOAT_TYPES:
        add("pool_max_2x2_" + dt, pool(kernel=(2, 2), stride=(2, 2), pool_type="max"), {"data": (2, 2, 4, 4)},
            dtype=dt)
        add("pool_avg_3x3_p1_" + dt, pool(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg"),
            {"data": (2, 2, 5, 5)}, dtype=dt)
    add("pool_max_3x3_s2_p1", pool(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max"),
        {"data": (2, 2, 5, 5)})
    add("pool_max_ties_ones", pool(kernel=(2, 2), stride=(2, 2), pool_type="max"),
        values={"data": np.ones((1, 1, 4, 4), "float32")}, desc="gradient to first max only")
    add("pool_max_ties_overlap", pool(kernel=(2, 2), stride=(1, 1), pool_type="max"),
        values={"data": A([[[[1., 2., 2.], [2., 1., 2.], [0., 2., 1.]]]])})
    add("pool_max_default_stride", pool(kernel=(2, 2), pool_type="max"), {"data": (1, 2, 4, 4)},
        desc="stride defaults to 1")
    add("pool_avg_count_include_pad_false", pool(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg",
                                                 count_include_pad=False), {"data": (1, 2, 4, 4)})
    add("pool_avg_count_include_pad_true", pool(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg",
                                                count_include_pad=True), {"data": (1, 2, 4, 4)})
    add("pool_avg_corner_ones", pool(kernel=(3, 3), stride=(1, 1), pad=(1, 1), pool_type="avg"),
        values={"data": np.arange(16, dtype="float32").reshape(1, 1, 4, 4)})
    add("pool_sum", pool(kernel=(2, 2), stride=(2, 2), pool_type="sum"), {"data": (2, 2, 4, 4)})
    add("pool_sum_pad", pool(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="sum"), {"data": (1, 2, 5, 5)})
    for pt in ("max", "avg", "sum"):
        add("pool_global_" + pt, pool(kernel=(1, 1), global_pool=True, pool_type=pt), {"data": (2, 3, 3, 4)})
        add("pool_full_" + pt, pool(kernel=(3, 3), stride=(2, 2), pool_type=pt, pooling_convention="full"),
            {"data": (1, 2, 4, 4)}, desc="full: ceil -> 2x2 (valid would give 1x1)")
        add("pool_valid_" + pt, pool(kernel=(3, 3), stride=(2, 2), pool_type=pt, pooling_convention="valid"),
            {"data": (1, 2, 4, 4)})
        add("pool1d_" + pt, pool(kernel=(2,), stride=(2,), pool_type=pt), {"data": (2, 3, 6)})
    add("pool_full_avg_edge", pool(kernel=(3, 3), stride=(2, 2), pool_type="avg", pooling_convention="full"),
        values={"data": np.arange(16, dtype="float32").reshape(1, 1, 4, 4)}, desc="clipped window at edge")
    add("pool_full_avg_pad_nocount", pool(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg",
                                          pooling_convention="full", count_include_pad=False),
        {"data": (1, 1, 6, 6)})
    add("pool_global_no_kernel", pool(global_pool=True, pool_type="avg"), {"data": (2, 3, 3, 4)},
        desc="global pool without kernel param")
    add("pool_global_max_ties", pool(kernel=(1, 1), global_pool=True, pool_type="max"),
        values={"data": A([[[[1., 3.], [3., 0.]]]])})
    add("pool_lp2", pool(kernel=(2, 2), stride=(2, 2), pool_type="lp", p_value=2), {"data": (1, 2, 4, 4)})
    add("pool_max_negative_pad", pool(kernel=(2, 2), stride=(2, 2), pad=(1, 1), pool_type="max"),
        values={"data": -np.ones((1, 1, 3, 3), "float32") - np.arange(9, dtype="float32").reshape(1, 1, 3, 3)},
        desc="all negative values: padding must be -inf, not 0")
    add("pool_max_inference", pool(kernel=(2, 2), stride=(2, 2), pool_type="max"), {"data": (2, 2, 4, 4)},
        is_train=False, backward=False)
    add("pool1d_same_convention", pool(kernel=(3,), stride=(2,), pool_type="max", pooling_convention="same"),
        {"data": (1, 2, 7)})
    try_error("Pooling kernel larger than input", lambda: S.Pooling(
        d, kernel=(5, 5), pool_type="max").infer_shape(data=(1, 1, 3, 3)))

    # ---------------- BatchNorm
    bnargs = lambda: (d, V("gamma"), V("beta"), V("moving_mean"), V("moving_var"))  # noqa: E731
    for fg in (True, False):
        for ugs in (False, True):
            for tr in (True, False):
                if ugs and tr is False and fg:
                    pass
                add("batchnorm_fg%d_ugs%d_train%d" % (fg, ugs, tr),
                    S.BatchNorm(*bnargs(), fix_gamma=fg, use_global_stats=ugs, name="bn"),
                    {"data": (2, 3, 2, 2)}, is_train=tr, backward=True,
                    values={"gamma": A([2.0, 0.5, -1.0])},
                    desc="fix_gamma=%s use_global_stats=%s is_train=%s; gamma preset != 1" % (fg, ugs, tr),
                    rtol=1e-3, atol=1e-4)
    add("batchnorm_auto_names", S.BatchNorm(d, name="bn"), {"data": (2, 3, 2, 2)}, rtol=1e-3, atol=1e-4,
        desc="bn_gamma, bn_beta, aux bn_moving_mean, bn_moving_var")
    add("batchnorm_2d_data", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (4, 3)},
        rtol=1e-3, atol=1e-4)
    add("batchnorm_3d_data", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (2, 3, 5)},
        rtol=1e-3, atol=1e-4)
    add("batchnorm_axis_last", S.BatchNorm(*bnargs(), fix_gamma=False, axis=-1, name="bn"), {"data": (2, 3, 4)},
        rtol=1e-3, atol=1e-4)
    add("batchnorm_axis2", S.BatchNorm(*bnargs(), fix_gamma=False, axis=2, name="bn"), {"data": (2, 3, 4, 2)},
        rtol=1e-3, atol=1e-4)
    add("batchnorm_axis0", S.BatchNorm(*bnargs(), fix_gamma=False, axis=0, name="bn"), {"data": (3, 4)},
        rtol=1e-3, atol=1e-4)
    add("batchnorm_output_mean_var", S.BatchNorm(*bnargs(), fix_gamma=False, output_mean_var=True, name="bn"),
        {"data": (2, 3, 2, 2)}, rtol=1e-3, atol=1e-4, desc="3 outputs; head grads for all 3")
    add("batchnorm_output_mean_var_inference", S.BatchNorm(*bnargs(), fix_gamma=False, output_mean_var=True,
                                                           name="bn"),
        {"data": (2, 3, 2, 2)}, is_train=False, backward=False, rtol=1e-3, atol=1e-4)
    add("batchnorm_eps_momentum", S.BatchNorm(*bnargs(), fix_gamma=False, eps=2e-5, momentum=0.8, name="bn"),
        {"data": (2, 3, 2, 2)}, rtol=1e-3, atol=1e-4)
    add("batchnorm_float64", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (2, 3, 2, 2)},
        dtype="float64")
    add("batchnorm_float16", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (2, 3, 2, 2)},
        dtype="float16", desc="float16 data, float32 gamma/beta/aux")
    add("batchnorm_grad_add", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (2, 3, 2, 2)},
        grad_req="add", rtol=1e-3, atol=1e-4)
    add("batchnorm_backward_twice", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"), {"data": (2, 3, 2, 2)},
        backward_twice=True, rtol=1e-3, atol=1e-4, desc="aux updated twice?")
    add("batchnorm_forward_only_train", S.BatchNorm(*bnargs(), fix_gamma=False, name="bn"),
        {"data": (2, 3, 2, 2)}, is_train=True, backward=False, rtol=1e-3, atol=1e-4,
        desc="forward(is_train=True) without backward: aux after forward")
    add("batchnorm_fix_gamma_forward_only", S.BatchNorm(*bnargs(), fix_gamma=True, name="bn"),
        {"data": (2, 3, 2, 2)}, values={"gamma": A([2.0, 2.0, 2.0])}, is_train=False, backward=False,
        desc="fix_gamma, forward(is_train=False) only: gamma treated as 1, array not overwritten")
    add("batchnorm_fix_gamma_train_forward_only", S.BatchNorm(*bnargs(), fix_gamma=True, name="bn"),
        {"data": (2, 3, 2, 2)}, values={"gamma": A([2.0, 2.0, 2.0])}, is_train=True, backward=False,
        rtol=1e-3, atol=1e-4, desc="fix_gamma, forward(is_train=True) only: is the gamma array overwritten?")

    # ---------------- LRN / Dropout
    for ns in (3, 5):
        add("lrn_nsize%d" % ns, S.LRN(d, nsize=ns, name="lrn"), {"data": (2, 4, 3, 3)}, rtol=1e-3, atol=1e-5)
    add("lrn_params", S.LRN(d, nsize=3, alpha=0.01, beta=0.5, knorm=1.0, name="lrn"), {"data": (2, 5, 2, 2)},
        rtol=1e-3, atol=1e-5)
    add("lrn_float64", S.LRN(d, nsize=3, alpha=0.01, beta=0.5, knorm=1.0, name="lrn"), {"data": (2, 5, 2, 2)},
        dtype="float64")
    add("lrn_inference", S.LRN(d, nsize=3, alpha=0.1, name="lrn"), {"data": (1, 3, 2, 2)}, is_train=False,
        backward=False)
    add("dropout_inference", S.Dropout(d, p=0.5, name="drop"), {"data": (2, 3)}, is_train=False,
        desc="identity in inference; backward after forward(is_train=False)")
    add("dropout_p0_train", S.Dropout(d, p=0.0, name="drop"), {"data": (2, 3)}, is_train=True)
    add("dropout_p0_always", S.Dropout(d, p=0.0, mode="always", name="drop"), {"data": (2, 3)}, is_train=False)
    add("dropout_axes_inference", S.Dropout(d, p=0.3, axes=(1,), name="drop"), {"data": (2, 3, 2)},
        is_train=False)
    add("dropout_inference_float64", S.Dropout(d, p=0.5, name="drop"), {"data": (2, 3)}, is_train=False,
        dtype="float64")

    # ---------------- LeakyReLU
    lx = A([[-2.0, -0.5, 0.0, 0.5], [1.0, 0.0, -1.0, 3.0]])
    for act, kw in (("leaky", {}), ("leaky", {"slope": 0.1}), ("elu", {}), ("elu", {"slope": 1.0}),
                    ("selu", {}), ("gelu", {})):
        tag = act + ("_slope" + str(kw["slope"]).replace(".", "p") if kw else "")
        for dt in FLOAT_TYPES:
            if dt != "float32" and kw:
                continue
            add("leakyrelu_%s_%s" % (tag, dt), S.LeakyReLU(d, act_type=act, name="lr", **kw),
                values={"data": lx.astype(dt)}, dtype=dt, desc="includes exact zeros")
        add("leakyrelu_%s_4d" % tag, S.LeakyReLU(d, act_type=act, name="lr", **kw), {"data": (2, 3, 2, 2)})
    add("leakyrelu_prelu", S.LeakyReLU(d, V("gamma"), act_type="prelu", name="lr"), {"data": (2, 3, 2)},
        values={"gamma": A([0.25, 0.1, -0.5])})
    add("leakyrelu_prelu_zeros", S.LeakyReLU(d, V("gamma"), act_type="prelu", name="lr"),
        values={"data": A([[-1., 0., 2.], [0., -3., 1.]]), "gamma": A([0.25, 0.1, 0.5])})
    add("leakyrelu_prelu_auto_gamma", S.LeakyReLU(d, act_type="prelu", name="pr"), {"data": (2, 2, 2, 2)},
        desc="gamma auto-created as pr_gamma")
    add("leakyrelu_prelu_float64", S.LeakyReLU(d, V("gamma"), act_type="prelu", name="lr"), {"data": (2, 3, 2)},
        dtype="float64")
    # rrelu is not recorded: its second (mask) output is uninitialised memory at inference in 1.9.1.

    # ---------------- SoftmaxActivation
    add("softmaxactivation_instance_2d", S.SoftmaxActivation(d, name="sa"), {"data": (3, 4)})
    add("softmaxactivation_instance_4d", S.SoftmaxActivation(d, name="sa"), {"data": (2, 3, 2, 2)},
        desc="instance mode on 4-D data")
    add("softmaxactivation_channel_4d", S.SoftmaxActivation(d, mode="channel", name="sa"), {"data": (2, 3, 2, 2)})
    add("softmaxactivation_channel_3d", S.SoftmaxActivation(d, mode="channel", name="sa"), {"data": (2, 3, 4)})
    add("softmaxactivation_float64", S.SoftmaxActivation(d, name="sa"), {"data": (3, 4)}, dtype="float64")


# ----------------------------------------------------------------------------------------------------------
# executor behaviour cases
# ----------------------------------------------------------------------------------------------------------
def exec_cases():
    a, b = V("a"), V("b")
    # doc example 1
    net = V("data")
    net = S.FullyConnected(net, name="fc", num_hidden=6)
    net = S.Activation(net, name="relu", act_type="relu")
    net = S.SoftmaxOutput(net, name="softmax")
    add("exec_doc_example_softmax", net,
        values={"data": np.ones((1, 4), "float32"), "fc_weight": np.ones((6, 4), "float32"),
                "fc_bias": A([1, 4, 4, 4, 5, 6]), "softmax_label": np.ones((1,), "float32")},
        args_grad=["fc_weight", "fc_bias"], head_grads=None, grad_req="write",
        desc="Executor.backward doc example 1: args_grad only for fc_weight, fc_bias; backward()")
    # doc example 2 (head grad = the output itself)
    c = 2 * a + b
    seed_for("exec_doc_example_2a_plus_b")
    add("exec_doc_example_2a_plus_b", c, values={"a": A([1, 2]), "b": A([2, 3])},
        head_grads=[A([4, 7])], desc="Executor.backward doc example 2: backward(out) with out=[4,7]")
    add("exec_grad_req_add_backward_twice", c, values={"a": A([1, 2]), "b": A([2, 3])}, grad_req="add",
        grad_init={"a": A([1, 1]), "b": A([1, 1])}, head_grads=[A([1, 1])], backward_twice=True,
        desc="grad init 1, ograd 1, add, backward twice: MXNet gives a [11,11] (math: [5,5]), b [3,3]",
        mxnet_bug="elemwise_add backward under grad_req add mixes buffers: a gets 5 after one backward, 11 after two")
    add("exec_grad_req_add_backward_once", c, values={"a": A([1, 2]), "b": A([2, 3])}, grad_req="add",
        grad_init={"a": A([1, 1]), "b": A([1, 1])}, head_grads=[A([1, 1])],
        desc="grad init 1, ograd 1, add, one backward: MXNet gives a [5,5] (math: [3,3]), b [2,2]",
        mxnet_bug="elemwise_add backward under grad_req add mixes buffers")
    cb = S.broadcast_add(2 * a, b, name="badd")
    add("exec_grad_req_add_backward_twice_broadcast", cb, values={"a": A([1, 2]), "b": A([2, 3])}, grad_req="add",
        grad_init={"a": A([1, 1]), "b": A([1, 1])}, head_grads=[A([1, 1])], backward_twice=True,
        desc="broadcast_add(2a, b): correct accumulation a [5,5], b [3,3]")
    add("exec_grad_req_add_fc_backward_twice", S.FullyConnected(V("data"), num_hidden=3, name="fc"),
        {"data": (2, 4)}, grad_req="add", backward_twice=True)
    add("exec_grad_req_dict_missing", c, values={"a": A([1, 2]), "b": A([2, 3])}, grad_req={"a": "write"},
        args_grad=["a", "b"], grad_init={"b": A([7, 7])}, head_grads=[A([1, 1])],
        desc="dict grad_req {'a': 'write'}; b has a buffer preset 7 and stays 7 (missing -> null)")
    add("exec_grad_req_dict_mixed", c * a, values={"a": A([1, 2]), "b": A([2, 3])},
        grad_req={"a": "add", "b": "write"}, grad_init={"a": A([10, 10])}, head_grads=[A([1, 2])])
    add("exec_grad_req_null_with_buffer", c, values={"a": A([1, 2]), "b": A([2, 3])}, grad_req="null",
        args_grad=["a", "b"], grad_init={"a": A([3, 3]), "b": A([4, 4])}, head_grads=[A([1, 1])],
        desc="grad_req null: provided buffers untouched")
    add("exec_bind_without_args_grad", c, values={"a": A([1, 2]), "b": A([2, 3])}, args_grad=None,
        head_grads=None, desc="bind without args_grad; backward() raises nothing")
    add("exec_bind_without_args_grad_fc", S.FullyConnected(V("data"), num_hidden=3, name="fc"), {"data": (2, 4)},
        args_grad=None, is_train=False, backward=False)
    add("exec_variable_head", S.Group([a, 2 * a]), values={"a": A([1, 2])}, head_grads=[A([3, 3]), A([1, 1])],
        desc="a variable as head receives its head gradient: a grad 5")
    add("exec_same_var_twice", a + a * a, values={"a": A([1, 2, 3])}, desc="one argument 'a'")
    # Group heads
    dd = V("data")
    fc = S.FullyConnected(dd, num_hidden=3, name="fc")
    sm = S.SoftmaxOutput(fc, name="softmax")
    add("exec_group_fc_softmax", S.Group([fc, sm]), {"data": (2, 4)}, values={"softmax_label": A([0, 2])},
        desc="Group([fc, softmax]); out_grads for both (softmax's ignored)")
    add("exec_group_softmax_fc", S.Group([sm, fc]), {"data": (2, 4)}, values={"softmax_label": A([0, 2])},
        desc="Group([softmax, fc]); out_grads positional")
    add("exec_group_fc_only_grad", S.Group([fc, sm]), {"data": (2, 4)}, values={"softmax_label": A([0, 2])},
        head_grads=[np.random.RandomState(1).normal(size=(2, 3)).astype("float32")],
        desc="Group([fc, softmax]).backward([g]) one out_grad only")
    relu = S.Activation(fc, act_type="relu", name="relu")
    add("exec_group_two_branches", S.Group([relu, S.exp(fc, name="e"), S.sum(fc, name="s")]), {"data": (2, 4)},
        desc="three heads sharing fc")
    add("exec_group_duplicate_head", S.Group([fc, fc]), {"data": (2, 4)}, desc="the same output twice")
    # get_internals heads
    net2 = S.FullyConnected(dd, num_hidden=4, name="fc1")
    net2 = S.Activation(net2, act_type="tanh", name="act1")
    net2 = S.FullyConnected(net2, num_hidden=3, name="fc2")
    internals = net2.get_internals()
    add("exec_internals_group", S.Group([internals["fc1_output"], internals["act1_output"], net2]),
        {"data": (2, 5)}, desc="heads from get_internals(): fc1_output, act1_output, fc2_output")
    add("exec_internals_full", internals, {"data": (2, 3)}, backward=False, is_train=False, no_subgraph=True,
        desc="whole get_internals() group bound (variables are outputs too); MXNET_SUBGRAPH_BACKEND=NONE")
    add("exec_internals_full_mkldnn_bug", internals, {"data": (2, 3)}, backward=False, is_train=False,
        desc="default MKLDNN subgraph backend", mxnet_bug="FC+tanh fused: act1_output shows fc1_output, "
                                                          "fc2_output computed from un-activated values")
    add("exec_internals_single", internals["act1_output"], {"data": (2, 5)}, no_grad=(),
        desc="truncated at act1 (fc2 args not arguments)")
    convnet = S.Activation(S.Convolution(dd, kernel=(3, 3), num_filter=2, name="conv"), act_type="relu",
                           name="relu")
    add("exec_internals_conv_relu_null", S.Group([convnet.get_internals()["conv_output"], convnet]),
        {"data": (1, 2, 4, 4)}, grad_req="null", backward=False, is_train=False, no_subgraph=True,
        desc="conv_output internal with grad_req null, MXNET_SUBGRAPH_BACKEND=NONE (correct values)")
    add("exec_internals_conv_relu_null_mkldnn_bug", S.Group([convnet.get_internals()["conv_output"], convnet]),
        {"data": (1, 2, 4, 4)}, grad_req="null", backward=False, is_train=False,
        desc="default MKLDNN subgraph backend",
        mxnet_bug="conv+relu fused: relu_output equals conv_output (negative values, relu not applied)")
    add("exec_internals_conv_relu_write", S.Group([convnet.get_internals()["conv_output"], convnet]),
        {"data": (1, 2, 4, 4)}, desc="same with grad_req write")
    add("exec_forward_is_train_false_backward", S.FullyConnected(dd, num_hidden=3, name="fc"), {"data": (2, 4)},
        is_train=False, backward=True, desc="backward after forward(is_train=False)")
    # errors from the executor
    try_error("backward() without head grad on non-loss head", lambda: _bw_no_head())
    try_error("Group([SoftmaxOutput, fc]).backward([g]) one grad", lambda: _bw_group_short())
    try_error("bind args list of wrong length", lambda: c.bind(mx.cpu(), [mx.nd.ones((2,))]))
    try_error("bind args dict missing key", lambda: c.bind(mx.cpu(), {"a": mx.nd.ones((2,))}))
    try_error("bind grad_req invalid string", lambda: c.bind(mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones(
        (2,))}, args_grad={"a": mx.nd.zeros((2,))}, grad_req="foo"))
    try_error("bind BatchNorm without aux_states", lambda: S.BatchNorm(dd, name="bn").bind(
        mx.cpu(), {"data": mx.nd.ones((2, 3)), "bn_gamma": mx.nd.ones((3,)), "bn_beta": mx.nd.ones((3,))}))
    try_error("grad_dict after bind without args_grad", lambda: c.bind(
        mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones((2,))}).grad_dict)
    try_error("forward with unknown kwarg", lambda: c.bind(
        mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones((2,))}).forward(zz=mx.nd.ones((2,))))
    try_error("forward with wrong shape kwarg", lambda: c.bind(
        mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones((2,))}).forward(a=mx.nd.ones((3,))))
    try_error("backward with numpy out_grads", lambda: _bw_numpy())
    try_error("bind float64 a with float32 b", lambda: c.bind(
        mx.cpu(), {"a": mx.nd.ones((2,), dtype="float64"), "b": mx.nd.ones((2,))}))
    try_error("simple_bind with inconsistent shapes", lambda: (a + b).simple_bind(mx.cpu(), a=(2, 3), b=(3, 3)))
    try_error("Group of non-symbols", lambda: S.Group([1, 2]))
    try_error("compose positional and keyword", lambda: S.FullyConnected(num_hidden=2, name="f")(
        V("x"), data=V("y")))


def _emb_bw():
    ex = S.Embedding(V("data"), input_dim=4, output_dim=3, name="emb").bind(
        mx.cpu(), {"data": mx.nd.array([0, 1]), "emb_weight": mx.nd.ones((4, 3))},
        args_grad={"data": mx.nd.zeros((2,)), "emb_weight": mx.nd.zeros((4, 3))})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones((2, 3)))


def _bw_no_head():
    a, b = V("a"), V("b")
    ex = (2 * a + b).bind(mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones((2,))},
                          args_grad={"a": mx.nd.zeros((2,)), "b": mx.nd.zeros((2,))})
    ex.forward(is_train=True)
    ex.backward()


def _bw_group_short():
    dd = V("data")
    fc = S.FullyConnected(dd, num_hidden=3, name="fc")
    g = S.Group([S.SoftmaxOutput(fc, name="softmax"), fc])
    ex = g.simple_bind(mx.cpu(), data=(2, 4))
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2, 3))])


def _bw_numpy():
    a, b = V("a"), V("b")
    ex = (2 * a + b).bind(mx.cpu(), {"a": mx.nd.ones((2,)), "b": mx.nd.ones((2,))},
                          args_grad={"a": mx.nd.zeros((2,)), "b": mx.nd.zeros((2,))})
    ex.forward(is_train=True)
    ex.backward([np.ones((2,), "float32")])


# ----------------------------------------------------------------------------------------------------------
# model cases (written the way example/image-classification/symbols writes them)
# ----------------------------------------------------------------------------------------------------------
def mlp_symbol(num_classes=10):
    data = S.Variable("data")
    data = S.Flatten(data=data)
    fc1 = S.FullyConnected(data=data, name="fc1", num_hidden=16)
    act1 = S.Activation(data=fc1, name="relu1", act_type="relu")
    fc2 = S.FullyConnected(data=act1, name="fc2", num_hidden=8)
    act2 = S.Activation(data=fc2, name="relu2", act_type="relu")
    fc3 = S.FullyConnected(data=act2, name="fc3", num_hidden=num_classes)
    return S.SoftmaxOutput(data=fc3, name="softmax")


def lenet_symbol(num_classes=10):
    data = S.Variable("data")
    conv1 = S.Convolution(data=data, kernel=(5, 5), num_filter=4)
    tanh1 = S.Activation(data=conv1, act_type="tanh")
    pool1 = S.Pooling(data=tanh1, pool_type="max", kernel=(2, 2), stride=(2, 2))
    conv2 = S.Convolution(data=pool1, kernel=(5, 5), num_filter=6)
    tanh2 = S.Activation(data=conv2, act_type="tanh")
    pool2 = S.Pooling(data=tanh2, pool_type="max", kernel=(2, 2), stride=(2, 2))
    flatten = S.flatten(data=pool2)
    fc1 = S.FullyConnected(data=flatten, num_hidden=20)
    tanh3 = S.Activation(data=fc1, act_type="tanh")
    fc2 = S.FullyConnected(data=tanh3, num_hidden=num_classes)
    return S.SoftmaxOutput(data=fc2, name="softmax")


def residual_unit(data, num_filter, stride, dim_match, name, bottle_neck=False, bn_mom=0.9):
    # basic block (bottle_neck False) as in resnet.py
    bn1 = S.BatchNorm(data=data, fix_gamma=False, momentum=bn_mom, eps=2e-5, name=name + "_bn1")
    act1 = S.Activation(data=bn1, act_type="relu", name=name + "_relu1")
    conv1 = S.Convolution(data=act1, num_filter=num_filter, kernel=(3, 3), stride=stride, pad=(1, 1),
                          no_bias=True, workspace=256, name=name + "_conv1")
    bn2 = S.BatchNorm(data=conv1, fix_gamma=False, momentum=bn_mom, eps=2e-5, name=name + "_bn2")
    act2 = S.Activation(data=bn2, act_type="relu", name=name + "_relu2")
    conv2 = S.Convolution(data=act2, num_filter=num_filter, kernel=(3, 3), stride=(1, 1), pad=(1, 1),
                          no_bias=True, workspace=256, name=name + "_conv2")
    if dim_match:
        shortcut = data
    else:
        shortcut = S.Convolution(data=act1, num_filter=num_filter, kernel=(1, 1), stride=stride, no_bias=True,
                                 workspace=256, name=name + "_sc")
    return conv2 + shortcut


def resnet18_symbol(num_classes=10, filter_list=(4, 4, 8, 8, 16), bn_mom=0.9):
    """ImageNet-style ResNet-18 (units [2,2,2,2], basic blocks) with narrow filters."""
    units = [2, 2, 2, 2]
    data = S.Variable(name="data")
    data = S.identity(data=data, name="id")
    data = S.BatchNorm(data=data, fix_gamma=True, eps=2e-5, momentum=bn_mom, name="bn_data")
    body = S.Convolution(data=data, num_filter=filter_list[0], kernel=(7, 7), stride=(2, 2), pad=(3, 3),
                         no_bias=True, name="conv0", workspace=256)
    body = S.BatchNorm(data=body, fix_gamma=False, eps=2e-5, momentum=bn_mom, name="bn0")
    body = S.Activation(data=body, act_type="relu", name="relu0")
    body = S.Pooling(data=body, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
    for i in range(4):
        body = residual_unit(body, filter_list[i + 1], (1 if i == 0 else 2, 1 if i == 0 else 2), False,
                             name="stage%d_unit%d" % (i + 1, 1), bn_mom=bn_mom)
        for j in range(units[i] - 1):
            body = residual_unit(body, filter_list[i + 1], (1, 1), True, name="stage%d_unit%d" % (i + 1, j + 2),
                                 bn_mom=bn_mom)
    bn1 = S.BatchNorm(data=body, fix_gamma=False, eps=2e-5, momentum=bn_mom, name="bn1")
    relu1 = S.Activation(data=bn1, act_type="relu", name="relu1")
    pool1 = S.Pooling(data=relu1, global_pool=True, kernel=(7, 7), pool_type="avg", name="pool1")
    flat = S.Flatten(data=pool1)
    fc1 = S.FullyConnected(data=flat, num_hidden=num_classes, name="fc1")
    return S.SoftmaxOutput(data=fc1, name="softmax")


def vgg11_symbol(num_classes=10, batch_norm=False, filters=(2, 4, 8, 8, 16), fc_hidden=16, dropout=0.5):
    """VGG-11 layout ([1,1,2,2,2] convs per stage) with narrow filters, as vgg.py builds it."""
    layers = [1, 1, 2, 2, 2]
    data = S.Variable(name="data")
    internel_layer = data
    for i, num in enumerate(layers):
        for j in range(num):
            internel_layer = S.Convolution(data=internel_layer, kernel=(3, 3), pad=(1, 1), num_filter=filters[i],
                                           name="conv%s_%s" % (i + 1, j + 1))
            if batch_norm:
                internel_layer = S.BatchNorm(data=internel_layer, name="bn%s_%s" % (i + 1, j + 1))
            internel_layer = S.Activation(data=internel_layer, act_type="relu", name="relu%s_%s" % (i + 1, j + 1))
        internel_layer = S.Pooling(data=internel_layer, pool_type="max", kernel=(2, 2), stride=(2, 2),
                                   name="pool%s" % (i + 1))
    flatten = S.flatten(data=internel_layer, name="flatten")
    fc6 = S.FullyConnected(data=flatten, num_hidden=fc_hidden, name="fc6")
    relu6 = S.Activation(data=fc6, act_type="relu", name="relu6")
    drop6 = S.Dropout(data=relu6, p=dropout, name="drop6")
    fc7 = S.FullyConnected(data=drop6, num_hidden=fc_hidden, name="fc7")
    relu7 = S.Activation(data=fc7, act_type="relu", name="relu7")
    drop7 = S.Dropout(data=relu7, p=dropout, name="drop7")
    fc8 = S.FullyConnected(data=drop7, num_hidden=num_classes, name="fc8")
    return S.SoftmaxOutput(data=fc8, name="softmax")


def model_values(s, shapes, seed_name):
    """Fixed random weights: He-style normal for weights, small biases, BN gamma ~ U(0.5,1.5)."""
    seed_for(seed_name)
    arg_shapes, _, aux_shapes = s.infer_shape(**shapes)
    vals = {}
    for n, shp in zip(s.list_arguments(), arg_shapes):
        if n in shapes:
            vals[n] = np.random.normal(size=shp).astype("float32")
        elif n.endswith("_label"):
            vals[n] = np.random.randint(0, 10, size=shp).astype("float32")
        elif n.endswith("_weight"):
            fan_in = int(np.prod(shp[1:])) if len(shp) > 1 else 1
            vals[n] = (np.random.normal(size=shp) * np.sqrt(2.0 / fan_in)).astype("float32")
        elif n.endswith("_gamma"):
            vals[n] = np.random.uniform(0.5, 1.5, size=shp).astype("float32")
        else:
            vals[n] = (np.random.normal(size=shp) * 0.1).astype("float32")
    for n, shp in zip(s.list_auxiliary_states(), aux_shapes):
        if n.endswith("moving_var"):
            vals[n] = np.random.uniform(0.5, 1.5, size=shp).astype("float32")
        else:
            vals[n] = np.random.uniform(-0.2, 0.2, size=shp).astype("float32")
    return vals


def model_cases():
    # (name, train symbol, inference symbol, shapes). VGG's Dropout would draw random masks in training, so its
    # training variant is built with p=0 (the inference variant keeps p=0.5, an identity at inference).
    models = [("mlp", mlp_symbol(), None, {"data": (4, 1, 4, 4)}),
              ("lenet", lenet_symbol(), None, {"data": (2, 1, 28, 28)}),
              ("resnet18", resnet18_symbol(), None, {"data": (2, 3, 32, 32)}),
              ("vgg11", vgg11_symbol(dropout=0.0), vgg11_symbol(), {"data": (2, 3, 32, 32)}),
              ("vgg11_bn", vgg11_symbol(batch_norm=True, dropout=0.0), vgg11_symbol(batch_norm=True),
               {"data": (2, 3, 32, 32)})]
    for name, s, s_inf, shapes in models:
        vals = model_values(s, shapes, "model_" + name)
        add("model_%s_train" % name, s, values=vals, is_train=True, backward=True, head_grads=None,
            rtol=1e-3, atol=1e-4, desc="%s, forward(is_train=True) + backward(); fixed random weights" % name)
        add("model_%s_inference" % name, s if s_inf is None else s_inf, values=vals, is_train=False, backward=False, rtol=1e-3,
            atol=1e-4, desc="%s, forward(is_train=False)" % name)


# ----------------------------------------------------------------------------------------------------------
# symbol JSON
# ----------------------------------------------------------------------------------------------------------
def sym_meta(s, shapes=None, types=None):
    meta = {"list_arguments": s.list_arguments(), "list_outputs": s.list_outputs(),
            "list_auxiliary_states": s.list_auxiliary_states(), "list_inputs": s.list_inputs(),
            "attr_dict": s.attr_dict(), "list_attr": s.list_attr(), "name": s.name}
    if shapes is not None:
        meta["infer_shape_input"] = {k: list(v) for k, v in shapes.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                a, o, x = s.infer_shape(**shapes)
            except Exception as e:  # noqa: BLE001
                a = None
                meta["infer_shape_error"] = {"type": type(e).__name__, "message": errmsg(e)}
        meta["infer_shape"] = None if a is None else {"arg_shapes": [list(t) for t in a],
                                                      "out_shapes": [list(t) for t in o],
                                                      "aux_shapes": [list(t) for t in x]}
        a, o, x = s.infer_shape_partial(**shapes)
        meta["infer_shape_partial"] = {"arg_shapes": [list(t) for t in a], "out_shapes": [list(t) for t in o],
                                       "aux_shapes": [list(t) for t in x]}
    if types is not None:
        meta["infer_type_input"] = {k: np.dtype(v).name for k, v in types.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, o, x = s.infer_type(**types)
        meta["infer_type"] = None if a is None else {"arg_types": [np.dtype(t).name for t in a],
                                                     "out_types": [np.dtype(t).name for t in o],
                                                     "aux_types": [np.dtype(t).name for t in x]}
    return meta


def json_fixtures():
    os.makedirs(JSON_DIR, exist_ok=True)
    items = []

    def reg(name, build, shapes=None, types=None):
        # fresh auto-name counters for every symbol
        with mx.name.NameManager():
            s = build()
        items.append((name, s, shapes, types))

    def mlp_auto():
        data = V("data")
        fc1 = S.FullyConnected(data, num_hidden=8)
        act = S.Activation(fc1, act_type="relu")
        fc2 = S.FullyConnected(act, num_hidden=3)
        return S.SoftmaxOutput(fc2)
    reg("mlp_auto_names", mlp_auto, {"data": (2, 5)}, {"data": np.float32})
    reg("mlp_named", mlp_symbol, {"data": (4, 1, 4, 4)}, {"data": np.float32})
    reg("variable_attrs", lambda: V("x", shape=(3, 4), dtype="float16", lr_mult=2.0, wd_mult=0.5,
                                    init=mx.init.Xavier(magnitude=2.0)) * 2, {})
    reg("variable_init_constant", lambda: S.FullyConnected(V("data"), V("w", init=mx.init.Constant(0.5)),
                                                          num_hidden=2, no_bias=True, name="fc"), {"data": (2, 3)})
    reg("variable_attr_dict", lambda: V("x", attr={"mood": "happy", "__foo__": "bar"}) + V("y", shape=(2,)))

    def attrscope():
        with mx.AttrScope(ctx_group="dev1", __mood__="4"):
            x = V("x")
            y = S.FullyConnected(x, num_hidden=2, name="fc")
        with mx.AttrScope(__lr_mult__="0.1"):
            z = S.Activation(y, act_type="relu", name="relu")
        return z
    reg("attrscope", attrscope, {"x": (2, 3)})

    def nested_attrscope():
        with mx.AttrScope(__a__="1"):
            with mx.AttrScope(__b__="2"):
                x = V("x")
            y = S.exp(x, name="e")
        return y
    reg("attrscope_nested", nested_attrscope, {"x": (2,)})
    reg("group", lambda: S.Group([S.FullyConnected(V("data"), num_hidden=3, name="fc1"),
                                  S.Activation(V("data"), act_type="tanh", name="t")]), {"data": (2, 4)})
    reg("batchnorm", lambda: S.BatchNorm(S.Convolution(V("data"), kernel=(3, 3), num_filter=4, name="conv"),
                                         name="bn"), {"data": (1, 2, 5, 5)}, {"data": np.float16})
    reg("batchnorm_output_mean_var", lambda: S.BatchNorm(V("data"), fix_gamma=False, output_mean_var=True,
                                                         eps=2e-5, name="bn"), {"data": (2, 3)})
    reg("batchnorm_auto", lambda: S.BatchNorm(V("data")), {"data": (2, 3)})
    reg("concat_auto_args", lambda: S.Concat(num_args=3, dim=1, name="cc"), {"cc_arg0": (2, 1), "cc_arg1": (2, 2),
                                                                             "cc_arg2": (2, 3)})
    reg("concat_inputs", lambda: S.Concat(V("a"), V("b"), name="cc"), {"a": (2, 1), "b": (2, 2)})
    reg("add_n_auto_args", lambda: S.add_n(num_args=2, name="s"), {"s_arg0": (3,)})
    reg("add_n_inputs", lambda: S.add_n(V("a"), V("b"), V("c")), {"a": (3,)})
    reg("elementwisesum", lambda: S.ElementWiseSum(V("a"), V("b")), {"a": (3,)})
    reg("stack_auto", lambda: S.stack(V("a"), V("b"), axis=1), {"a": (2, 3), "b": (2, 3)})

    def scalar_ops():
        a = V("a")
        return S.Group([a + 1, 1 + a, a - 2, 2 - a, a * 3, a / 4, 4 / a, a ** 2, 2 ** a, a % 3, 3 % a, -a,
                        a == 1, a != 1, a > 1, a >= 1, a < 1, a <= 1, S.pow(2, a), S.maximum(a, 1),
                        S.minimum(1, a), abs(a), a + 0.1, a * 1e-7])
    reg("scalar_ops", scalar_ops, {"a": (2,)})

    def binary_ops():
        a, b = V("a"), V("b")
        return S.Group([a + b, a - b, a * b, a / b, a ** b, a % b, a == b, a != b, a > b, a >= b, a < b, a <= b,
                        S.maximum(a, b), S.minimum(a, b), S.broadcast_plus(a, b), S.stop_gradient(a),
                        S.identity(a), S.split(a, num_outputs=2), S.swapaxes(a), S.flatten(a), S.reshape(a, shape=(-1,)),
                        S.cast(a, dtype="float16"), S.sum_axis(a, axis=0), S.Softmax(a), S.crop(a, begin=(0, 0), end=(1, 1)),
                        S.Pad(S.reshape(a, shape=(1, 1, 2, 2)), mode="constant", pad_width=(0, 0, 0, 0, 1, 1, 1, 1)),
                        S.concat(a, b), S.broadcast_minus(a, b), S.BlockGrad(b), S.make_loss(a), S.MakeLoss(b)])
    reg("binary_ops_and_aliases", binary_ops, {"a": (2, 2), "b": (2, 2)})

    def internals():
        x = V("x")
        fc = S.FullyConnected(x, num_hidden=3, name="fc")
        return S.Activation(fc, act_type="relu", name="relu").get_internals()
    reg("get_internals", internals, {"x": (2, 4)})

    def internals_pick():
        x = V("x")
        fc = S.FullyConnected(x, num_hidden=3, name="fc")
        r = S.Activation(fc, act_type="relu", name="relu")
        return r.get_internals()["fc_output"]
    reg("get_internals_pick", internals_pick, {"x": (2, 4)})

    def prefix():
        with mx.name.Prefix("mynet_"):
            x = V("data")
            y = S.FullyConnected(x, num_hidden=2, name="fc1")
            y = S.FullyConnected(y, num_hidden=2)
        return y
    reg("name_prefix", prefix, {"data": (2, 3)})
    reg("slicechannel", lambda: S.SliceChannel(V("data"), num_outputs=3, name="sc"), {"data": (2, 6)})
    reg("slicechannel_index", lambda: S.SliceChannel(V("data"), num_outputs=3, name="sc")[1] * 2,
        {"data": (2, 6)})
    reg("dropout_lrn_pool", lambda: S.Pooling(S.LRN(S.Dropout(V("data"), p=0.2), nsize=3), kernel=(2, 2),
                                              pool_type="max"), {"data": (1, 3, 4, 4)})
    reg("hidden_keys", lambda: S.FullyConnected(V("data", lr_mult=2, wd_mult=0), num_hidden=2,
                                                attr={"lr_mult": "3", "ctx_group": "g", "__x__": "y"}, name="fc"),
        {"data": (2, 3)})
    reg("prelu_auto_gamma", lambda: S.LeakyReLU(V("data"), act_type="prelu", name="pr"), {"data": (2, 3)})
    reg("embedding", lambda: S.Embedding(V("data"), input_dim=5, output_dim=3, name="emb"), {"data": (2, 4)})
    reg("resnet18_small", resnet18_symbol, {"data": (2, 3, 32, 32)})
    reg("lenet_auto_names", lenet_symbol, {"data": (2, 1, 28, 28)})
    reg("params_string_forms", lambda: S.Convolution(V("data"), kernel="(3,3)", stride="[1, 1]", num_filter="2",
                                                     no_bias="true", name="conv"), {"data": (1, 1, 4, 4)})
    reg("softmax_label_auto", lambda: S.SoftmaxOutput(V("data"), multi_output=True, name="so"), {"data": (2, 3, 4)})
    reg("infer_shape_partial_fc_weight", lambda: S.FullyConnected(V("data"), name="fc", num_hidden=4),
        {"fc_weight": (4, 6)})
    reg("where_infer_type", lambda: S.where(V("c"), V("x"), V("y")), {"c": (2,), "x": (2,)},
        {"c": np.int32, "x": np.float64})

    for name, s, shapes, types in items:
        text = s.tojson()
        with open(os.path.join(JSON_DIR, name + ".json"), "w") as f:
            f.write(text)
        meta = sym_meta(s, shapes, types)
        rt = S.load_json(text)
        meta["roundtrip_equal"] = rt.tojson() == text
        write_json(os.path.join(JSON_DIR, name + ".meta.json"), meta)

    # old-format files (hand-written v0.8-style json with "param"/"attr" and 2-element inputs)
    old1 = {
        "nodes": [
            {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "fc1_weight", "inputs": [], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "fc1_bias", "inputs": [], "backward_source_id": -1},
            {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "8"}, "name": "fc1",
             "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1},
            {"op": "Activation", "param": {"act_type": "relu"}, "name": "relu1", "inputs": [[3, 0]],
             "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "fc2_weight", "inputs": [], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "fc2_bias", "inputs": [], "backward_source_id": -1},
            {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "3"}, "name": "fc2",
             "inputs": [[4, 0], [5, 0], [6, 0]], "backward_source_id": -1},
            {"op": "null", "param": {}, "name": "softmax_label", "inputs": [], "backward_source_id": -1},
            {"op": "SoftmaxOutput", "param": {"grad_scale": "1", "multi_output": "False"}, "name": "softmax",
             "inputs": [[7, 0], [8, 0]], "backward_source_id": -1}],
        "arg_nodes": [0, 1, 2, 5, 6, 8],
        "heads": [[9, 0]]}
    old2 = {
        "nodes": [
            {"op": "null", "name": "data", "inputs": []},
            {"op": "null", "name": "conv_weight", "attr": {"__lr_mult__": "2"}, "inputs": []},
            {"op": "null", "name": "conv_bias", "inputs": []},
            {"op": "Convolution", "name": "conv", "attr": {"kernel": "(3, 3)", "num_filter": "4", "pad": "(1, 1)"},
             "inputs": [[0, 0], [1, 0], [2, 0]]},
            {"op": "null", "name": "bn_gamma", "inputs": []},
            {"op": "null", "name": "bn_beta", "inputs": []},
            {"op": "null", "name": "bn_moving_mean", "inputs": []},
            {"op": "null", "name": "bn_moving_var", "inputs": []},
            {"op": "BatchNorm", "name": "bn", "attr": {"fix_gamma": "False", "eps": "2e-05"},
             "inputs": [[3, 0], [4, 0], [5, 0], [6, 0], [7, 0]]},
            {"op": "Activation", "name": "relu", "attr": {"act_type": "relu"}, "inputs": [[8, 0]]},
            {"op": "Pooling", "name": "pool", "attr": {"kernel": "(2, 2)", "stride": "(2, 2)", "pool_type": "max"},
             "inputs": [[9, 0]]},
            {"op": "Flatten", "name": "flat", "inputs": [[10, 0]]}],
        "arg_nodes": [0, 1, 2, 4, 5, 6, 7],
        "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14],
        "heads": [[11, 0]],
        "attrs": {"mxnet_version": ["int", 10300]}}
    for name, obj, shapes in (("old_v08_mlp", old1, {"data": (2, 5)}),
                              ("old_v13_conv_bn", old2, {"data": (1, 2, 4, 4)})):
        text = json.dumps(obj, indent=2)
        with open(os.path.join(JSON_DIR, name + ".json"), "w") as f:
            f.write(text + "\n")
        try:
            s = S.load_json(text)
            meta = sym_meta(s, shapes)
            meta["upgraded_tojson"] = s.tojson()
            write_json(os.path.join(JSON_DIR, name + ".meta.json"), meta)
        except Exception as e:  # noqa: BLE001
            record_error("load old json " + name, e)
    try_error("load_json of non-json text", lambda: S.load_json("{not json"))
    try_error("load_json with non-str", lambda: S.load_json(123))
    try_error("Variable with non-str name", lambda: V(1))
    try_error("AttrScope with non-str value", lambda: mx.AttrScope(x=1))
    try_error("op with unknown param", lambda: S.FullyConnected(V("d"), num_hidden=2, foo=1))
    try_error("infer_shape unknown kwarg name", lambda: S.exp(V("a")).infer_shape(zz=(2,)))
    try_error("infer_shape non-tuple value", lambda: S.exp(V("a")).infer_shape(a=[2, 3]))
    try_error("symbol index out of range", lambda: S.exp(V("a"))[1])
    try_error("symbol index unknown name", lambda: S.exp(V("a"), name="e")["zz"])
    try_error("Group empty list", lambda: S.Group([]))


# ----------------------------------------------------------------------------------------------------------
# .params files
# ----------------------------------------------------------------------------------------------------------
def params_fixtures():
    os.makedirs(PARAMS_DIR, exist_ok=True)
    expected = {}
    seed_for("params")
    w = np.arange(1, 7, dtype="float32").reshape(2, 3)
    b = np.array([1.5], dtype="float64")
    mx.nd.save(os.path.join(PARAMS_DIR, "dict_w_b.params"), {"w": mx.nd.array(w), "b": mx.nd.array(b, dtype=b.dtype)})
    expected["dict_w_b.params"] = {"w": w, "b": b}
    lst = [np.random.normal(size=(2, 3)).astype("float32"), np.arange(5, dtype="float32"),
           np.random.normal(size=(1, 2, 2, 2)).astype("float32")]
    mx.nd.save(os.path.join(PARAMS_DIR, "list3.params"), [mx.nd.array(x) for x in lst])
    expected["list3.params"] = {str(i): x for i, x in enumerate(lst)}
    mx.nd.save(os.path.join(PARAMS_DIR, "single.params"), mx.nd.array(w))
    expected["single.params"] = {"0": w}
    mx.nd.save(os.path.join(PARAMS_DIR, "empty_dict.params"), {})
    expected["empty_dict.params"] = {}
    mx.nd.save(os.path.join(PARAMS_DIR, "empty_list.params"), [])
    expected["empty_list.params"] = {}
    per = {"float16": np.random.normal(size=(2, 3)).astype("float16"),
           "float32": np.random.normal(size=(3, 2)).astype("float32"),
           "float64": np.random.normal(size=(4,)).astype("float64"),
           "uint8": np.array([[0, 1, 255], [7, 128, 3]], dtype="uint8"),
           "int8": np.array([-128, -1, 0, 1, 127], dtype="int8"),
           "int32": np.array([[-2147483648, 0], [1, 2147483647]], dtype="int32"),
           "int64": np.array([-(2 ** 62), -1, 0, 2 ** 40], dtype="int64"),
           "bool": np.array([[True, False, True]], dtype="bool")}
    for dt, arr in per.items():
        fn = "dtype_%s.params" % dt
        try:
            mx.nd.save(os.path.join(PARAMS_DIR, fn), {"x_" + dt: mx.nd.array(arr, dtype=arr.dtype),
                                                       "scalar_like": mx.nd.array(arr.reshape(-1)[:1],
                                                                                  dtype=arr.dtype)})
            back = mx.nd.load(os.path.join(PARAMS_DIR, fn))
            assert np.array_equal(back["x_" + dt].asnumpy(), arr)
            expected[fn] = {"x_" + dt: arr, "scalar_like": arr.reshape(-1)[:1]}
        except Exception as e:  # noqa: BLE001
            record_error("nd.save dtype " + dt, e)
    mixed = {"a_f16": per["float16"], "b_i32": per["int32"], "c_f64": per["float64"], "d_u8": per["uint8"]}
    mx.nd.save(os.path.join(PARAMS_DIR, "mixed_dtypes.params"),
               {k: mx.nd.array(v, dtype=v.dtype) for k, v in mixed.items()})
    expected["mixed_dtypes.params"] = mixed
    mx.nd.save(os.path.join(PARAMS_DIR, "list_dtypes.params"),
               [mx.nd.array(v, dtype=v.dtype) for v in per.values()])
    expected["list_dtypes.params"] = {str(i): v for i, v in enumerate(per.values())}
    uni = {"naïve_ключ": np.ones((1,), "float32"), "arg:fc1_weight": np.ones((2, 2), "float32")}
    mx.nd.save(os.path.join(PARAMS_DIR, "unicode_keys.params"), {k: mx.nd.array(v) for k, v in uni.items()})
    expected["unicode_keys.params"] = uni
    try_error("nd.save of a non-NDArray value", lambda: mx.nd.save("/tmp/_x.params", {"a": np.ones(2)}))
    try_error("nd.save of int", lambda: mx.nd.save("/tmp/_x.params", 3))
    try_error("nd.load missing file", lambda: mx.nd.load("/tmp/_definitely_missing_file.params"))

    # checkpoints
    ck = {}
    for prefix, s, shapes in (("mlp", mlp_symbol(), {"data": (2, 1, 4, 4)}),
                              ("bnnet", _bn_net(), {"data": (2, 3, 6, 6)})):
        vals = model_values(s, shapes, "ckpt_" + prefix)
        arg_params = {k: mx.nd.array(v) for k, v in vals.items() if k in s.list_arguments()
                      and k not in shapes and not k.endswith("_label")}
        aux_params = {k: mx.nd.array(v) for k, v in vals.items() if k in s.list_auxiliary_states()}
        mx.model.save_checkpoint(os.path.join(PARAMS_DIR, prefix), 3, s, arg_params, aux_params)
        sym2, argp, auxp = mx.model.load_checkpoint(os.path.join(PARAMS_DIR, prefix), 3)
        x = vals["data"]
        args = dict(argp)
        args["data"] = mx.nd.array(x)
        args["softmax_label"] = mx.nd.zeros((x.shape[0],))
        exe = sym2.bind(mx.cpu(), args, aux_states=dict(auxp))
        out = exe.forward(is_train=False)[0].asnumpy()
        arrs = {"input:data": x, "output:0": out}
        for k, v in argp.items():
            arrs["arg:" + k] = v.asnumpy()
        for k, v in auxp.items():
            arrs["aux:" + k] = v.asnumpy()
        save_npz(os.path.join(PARAMS_DIR, prefix + "-0003.expected.npz"), arrs)
        ck[prefix] = {"symbol_file": prefix + "-symbol.json", "params_file": prefix + "-0003.params",
                      "epoch": 3, "arg_names": sorted(argp), "aux_names": sorted(auxp),
                      "saved_keys": list(mx.nd.load(os.path.join(PARAMS_DIR, prefix + "-0003.params")).keys())}
    for fn, d_ in expected.items():
        save_npz(os.path.join(PARAMS_DIR, fn.replace(".params", ".expected.npz")),
                 {k.replace("/", "_"): v for k, v in d_.items()})
    index = {fn: {"keys": list(d_.keys()), "loads_as": "list" if fn.startswith(("list", "single", "empty")) else "dict",
                  "dtypes": {k: np.dtype(v.dtype).name for k, v in d_.items()},
                  "shapes": {k: list(v.shape) for k, v in d_.items()}}
             for fn, d_ in expected.items()}
    for fn in index:
        loaded = mx.nd.load(os.path.join(PARAMS_DIR, fn))
        index[fn]["mx_load_type"] = type(loaded).__name__
    write_json(os.path.join(PARAMS_DIR, "index.json"), {"files": index, "checkpoints": ck})


def _bn_net():
    data = V("data")
    c = S.Convolution(data, kernel=(3, 3), num_filter=4, name="conv1")
    c = S.BatchNorm(c, fix_gamma=False, name="bn1")
    c = S.Activation(c, act_type="relu", name="relu1")
    c = S.Pooling(c, global_pool=True, kernel=(1, 1), pool_type="avg", name="gpool")
    c = S.Flatten(c, name="flat")
    c = S.FullyConnected(c, num_hidden=3, name="fc")
    return S.SoftmaxOutput(c, name="softmax")


# ----------------------------------------------------------------------------------------------------------
# test_utils messages
# ----------------------------------------------------------------------------------------------------------
def test_utils_fixtures():
    tu = mx.test_utils
    out = {"numpy_version": np.__version__, "assert_almost_equal": [], "check_symbolic_forward": [],
           "check_symbolic_backward": [], "get_tols": [], "defaults": {}}
    old_opts = np.get_printoptions()

    def catch(fn):
        """-> {"exception": type name or None, "message": str(exc), "stdout": printed text}"""
        import contextlib
        np.set_printoptions(**old_opts)
        buf = io.StringIO()
        res = {"exception": None, "message": None}
        try:
            with contextlib.redirect_stdout(buf):
                fn()
        except Exception as e:  # noqa: BLE001  (AssertionError expected; others recorded too)
            res = {"exception": type(e).__name__, "message": str(e)}
        finally:
            np.set_printoptions(**old_opts)
        res["stdout"] = buf.getvalue()
        return res

    seed_for("test_utils")
    aae = [
        ("simple_2x2", A([[5, 12], [21, 32]]), A([[5, 12], [21, 33]]), {}),
        ("names", A([1., 2., 3.]), A([1., 2.5, 3.]), {"names": ("EXPECTED_x", "FORWARD_x")}),
        ("rtol_atol", A([1., 2., 3., 4.]), A([1.1, 2., 3.3, 4.]), {"rtol": 1e-2, "atol": 1e-3}),
        ("float64_default", A([1., 2.], "float64"), A([1., 2.0001], "float64"), {}),
        ("float16_default", A([1., 2.], "float16"), A([1., 2.5], "float16"), {}),
        ("many_mismatches", np.arange(20, dtype="float32").reshape(4, 5),
         np.arange(20, dtype="float32").reshape(4, 5) * 1.1, {}),
        ("mismatches_param", np.arange(20, dtype="float32"), np.arange(20, dtype="float32") + 1.0,
         {"mismatches": (3, 5)}),
        ("nan", A([1., np.nan]), A([1., 2.]), {}),
        ("nan_equal_nan", A([1., np.nan, 3.]), A([1., np.nan, 4.]), {"equal_nan": True}),
        ("inf", A([np.inf, 1.]), A([np.inf, 2.]), {}),
        ("large_3d", np.random.normal(size=(3, 4, 5)).astype("float32"),
         np.random.normal(size=(3, 4, 5)).astype("float32"), {}),
        ("broadcast_shapes", A([[1., 2.], [3., 4.]]), A([1., 3.]), {}),
    ]
    for name, a, b, kw in aae:
        for kind in ("numpy", "ndarray"):
            if kind == "ndarray" and a.dtype == np.float16 and False:
                continue
            av, bv = (a, b) if kind == "numpy" else (mx.nd.array(a, dtype=a.dtype), mx.nd.array(b, dtype=b.dtype))
            msg = catch(lambda: tu.assert_almost_equal(av, bv, **kw))
            kwj = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
            out["assert_almost_equal"].append({"name": name, "kind": kind, "a": a.tolist(), "b": b.tolist(),
                                               "dtype_a": a.dtype.name, "dtype_b": b.dtype.name, "kwargs": kwj,
                                               **msg})
    # almost_equal results
    out["almost_equal"] = []
    for a, b, kw in ((A([1.]), A([1 + 1e-4]), {}), (A([1.]), A([1 + 1e-6]), {}), (A([1.]), A([1.0005]), {"rtol": 1e-3}),
                     (A([np.nan]), A([np.nan]), {}), (A([np.nan]), A([np.nan]), {"equal_nan": True})):
        out["almost_equal"].append({"a": a.tolist(), "b": b.tolist(), "kwargs": kw,
                                    "result": bool(tu.almost_equal(a, b, **kw))})
    # check_symbolic_forward / backward
    x, y = V("x"), V("y")
    s = x * y
    loc = {"x": A([[1., 2.], [3., 4.]]), "y": A([[5., 6.], [7., 8.]])}
    msg = catch(lambda: tu.check_symbolic_forward(s, loc, [A([[5., 12.], [21., 33.]])]))
    out["check_symbolic_forward"].append({"symbol": s.tojson(), "location": {k: v.tolist() for k, v in loc.items()},
                                          "expected": [[[5., 12.], [21., 33.]]], "kwargs": {}, **msg})
    s2 = S.FullyConnected(x, num_hidden=2, no_bias=True, name="fc")
    loc2 = {"x": A([[1., 2.]]), "fc_weight": A([[1., 0.], [0., 1.]])}
    msg = catch(lambda: tu.check_symbolic_forward(s2, loc2, {"fc_output": A([[1., 2.5]])}, rtol=1e-3, atol=1e-5))
    out["check_symbolic_forward"].append({"symbol": s2.tojson(), "location": {k: v.tolist() for k, v in loc2.items()},
                                          "expected": {"fc_output": [[1., 2.5]]},
                                          "kwargs": {"rtol": 1e-3, "atol": 1e-5}, **msg})
    msg = catch(lambda: tu.check_symbolic_forward(s, loc, [A([[5., 12.], [21., 33.]])], dtype=np.float64))
    out["check_symbolic_forward"].append({"symbol": s.tojson(), "location": {k: v.tolist() for k, v in loc.items()},
                                          "expected": [[[5., 12.], [21., 33.]]], "kwargs": {"dtype": "float64"},
                                          **msg})
    np.random.seed(0)
    msg = catch(lambda: tu.check_symbolic_backward(s, loc, [A([[1., 1.], [1., 1.]])],
                                                   [A([[5., 6.], [7., 9.]]), A([[1., 2.], [3., 4.]])]))
    out["check_symbolic_backward"].append({"symbol": s.tojson(), "location": {k: v.tolist() for k, v in loc.items()},
                                           "out_grads": [[[1., 1.], [1., 1.]]],
                                           "expected": [[[5., 6.], [7., 9.]], [[1., 2.], [3., 4.]]],
                                           "kwargs": {}, "np_seed_before": 0, **msg})
    np.random.seed(0)
    msg = catch(lambda: tu.check_symbolic_backward(s, loc, [A([[1., 1.], [1., 1.]])],
                                                   {"y": A([[1., 2.], [3., 5.]])}, grad_req="add"))
    out["check_symbolic_backward"].append({"symbol": s.tojson(), "location": {k: v.tolist() for k, v in loc.items()},
                                           "out_grads": [[[1., 1.], [1., 1.]]], "expected": {"y": [[1., 2.], [3., 5.]]},
                                           "kwargs": {"grad_req": "add"}, "np_seed_before": 0, **msg})
    # tolerances
    samples = {"float16_nd": mx.nd.ones((1,), dtype="float16"), "float32_nd": mx.nd.ones((1,)),
               "float64_nd": mx.nd.ones((1,), dtype="float64"), "float16_np": np.ones(1, "float16"),
               "float32_np": np.ones(1, "float32"), "float64_np": np.ones(1, "float64"),
               "int32_np": np.ones(1, "int32"), "int64_np": np.ones(1, "int64"), "uint8_np": np.ones(1, "uint8"),
               "int8_np": np.ones(1, "int8"), "bool_np": np.ones(1, "bool"), "python_float": 1.0, "python_int": 1}
    names = list(samples)
    for i, na in enumerate(names):
        for nb in names[i:]:
            try:
                r = tu.get_tols(samples[na], samples[nb], None, None)
                res = [float(r[0]), float(r[1])]
            except Exception as e:  # noqa: BLE001
                res = {"error": type(e).__name__, "message": errmsg(e)}
            out["get_tols"].append({"x": na, "y": nb, "rtol": None, "atol": None, "result": res})
    out["get_tols"].append({"x": "float16_np", "y": "float32_np", "rtol": 0.5, "atol": None,
                            "result": [float(t) for t in tu.get_tols(samples["float16_np"], samples["float32_np"],
                                                                     0.5, None)]})
    try:
        out["defaults"]["default_rtols"] = {np.dtype(k).name: v for k, v in tu.default_rtols().items()}
        out["defaults"]["default_atols"] = {np.dtype(k).name: v for k, v in tu.default_atols().items()}
    except Exception as e:  # noqa: BLE001
        out["defaults"]["default_rtols_error"] = {"type": type(e).__name__, "message": errmsg(e)}
    try:
        out["defaults"]["default_numeric_eps"] = {np.dtype(k).name: v for k, v in tu.default_numeric_eps().items()}
    except Exception as e:  # noqa: BLE001
        out["defaults"]["default_numeric_eps_error"] = {"type": type(e).__name__, "message": errmsg(e)}
    out["defaults"]["get_atol_none"] = tu.get_atol()
    out["defaults"]["get_rtol_none"] = tu.get_rtol()
    out["defaults"]["default_dtype"] = np.dtype(tu.default_dtype()).name
    write_json(os.path.join(HERE, "test_utils_messages.json"), out)


# ----------------------------------------------------------------------------------------------------------
def main(argv):
    os.makedirs(CASES_DIR, exist_ok=True)
    sections = argv or ["ops", "exec", "models", "json", "params", "test_utils"]
    logging_level = os.environ.get("GOLDEN_VERBOSE")
    if not logging_level:
        import logging
        logging.getLogger().setLevel(logging.ERROR)
    errors_path = os.path.join(HERE, "errors.json")
    if os.path.exists(errors_path) and set(sections) != {"ops", "exec", "models", "json", "params", "test_utils"}:
        with open(errors_path) as f:
            ERRORS.update(json.load(f))
    if set(("ops", "exec", "models")) <= set(sections):  # full case regeneration: drop stale files
        for fn in os.listdir(CASES_DIR):
            os.remove(os.path.join(CASES_DIR, fn))
    for sec in sections:
        print("==", sec)
        {"ops": op_cases, "exec": exec_cases, "models": model_cases, "json": json_fixtures,
         "params": params_fixtures, "test_utils": test_utils_fixtures}[sec]()
    write_json(errors_path, dict(sorted(ERRORS.items())))
    print("cases written:", len(CASE_IDS), "errors:", len(ERRORS))


if __name__ == "__main__":
    main(sys.argv[1:])
