"""The network builders of examples/symbols and the examples/run_model.py smoke run.

Three claims are checked:

1. The builders write MXNet's graphs. For each model case of tests/golden (recorded with MXNet 1.9.1
   from the builders in tests/golden/make_golden.py), the builder called with the same arguments
   produces the recorded ``tojson()`` text; and for the standard configurations of MXNet's own
   example/image-classification/symbols scripts (tag 1.9.1), ``tojson()`` has the SHA-256 of the
   text those scripts produce under MXNet 1.9.1 (``EXAMPLE_SCRIPT_JSON``). Both comparisons are
   exact, ``node_row_ptr`` included (max Pooling's hidden workspace output of MXNet's MKLDNN build
   counts there).
2. Bound with the recorded arguments, the builder's graph reproduces MXNet's outputs, gradients and
   aux states (tests/test_golden.py runs the recorded graph; this runs the builder's).
3. ``run_model.main`` trains every network for a few steps at tiny sizes: the loss stays finite and
   falls on its single random batch.
"""
import glob
import hashlib
import json
import os
import sys

import numpy as np
import pytest

import mxlite as mx

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")
sys.path.insert(0, EXAMPLES)
import run_model  # noqa: E402
from symbols import inception_bn, lenet, mlp, mobilenet, resnet, vgg  # noqa: E402

GOLDEN_CASES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "cases")


def _first_difference(mine, golden):
    for i, (a, b) in enumerate(zip(mine.splitlines(), golden.splitlines())):
        if a != b:
            return f"line {i + 1}: mxlite {a.strip()!r}, MXNet {b.strip()!r}"
    return f"lengths differ: mxlite {len(mine)}, MXNet {len(golden)} characters"


# ---------------------------------------------------------------------------------------------
# 1 + 2: the golden model cases, rebuilt by the builders
# ---------------------------------------------------------------------------------------------
NARROW_VGG = dict(num_layers=11, filters=(2, 4, 8, 8, 16), fc_hidden=16)
# make_golden.py's model_cases() builds these in this order; the training VGG variants use
# Dropout p=0 so that no random mask is involved
GOLDEN_BUILDS = [
    (("model_mlp_train", "model_mlp_inference"), lambda: mlp.get_symbol(10, num_hidden=(16, 8))),
    (("model_lenet_train", "model_lenet_inference"),
     lambda: lenet.get_symbol(10, num_filter=(4, 6), num_hidden=20)),
    (("model_resnet18_train", "model_resnet18_inference"),
     lambda: resnet.get_symbol(10, 18, "3,32,32", filter_list=(4, 4, 8, 8, 16), small_stem=False)),
    (("model_vgg11_train",), lambda: vgg.get_symbol(10, dropout=0.0, **NARROW_VGG)),
    (("model_vgg11_inference",), lambda: vgg.get_symbol(10, **NARROW_VGG)),
    (("model_vgg11_bn_train",),
     lambda: vgg.get_symbol(10, batch_norm=True, dropout=0.0, **NARROW_VGG)),
    (("model_vgg11_bn_inference",), lambda: vgg.get_symbol(10, batch_norm=True, **NARROW_VGG)),
]
# make_golden.py builds its models after the op and executor sections in one process; their
# unnamed ops moved MXNet's name counters to these values (lenet's first convolution is
# "convolution2", resnet's first shortcut sum "_plus7"). Other hints start at 0.
GOLDEN_NAME_COUNTERS = {"convolution": 2, "pooling": 1, "_plus": 7}


@pytest.fixture(scope="module")
def golden_symbols():
    """case id -> the builder's Symbol, built in make_golden.py's order and naming state."""
    built = {}
    with mx.name.NameManager() as names:
        for hint, count in GOLDEN_NAME_COUNTERS.items():
            for _ in range(count):
                names.get(None, hint)
        for case_ids, build in GOLDEN_BUILDS:
            sym = build()
            built.update((case_id, sym) for case_id in case_ids)
    return built


def _load_case(case_id):
    with open(os.path.join(GOLDEN_CASES, case_id + ".json")) as f:
        meta = json.load(f)
    with np.load(os.path.join(GOLDEN_CASES, case_id + ".npz")) as npz:
        return meta, dict(npz)


GOLDEN_IDS = [case_id for case_ids, _ in GOLDEN_BUILDS for case_id in case_ids]


def test_golden_builds_cover_every_model_case():
    recorded = {os.path.basename(p)[:-5]
                for p in glob.glob(os.path.join(GOLDEN_CASES, "model_*.json"))}
    assert recorded == set(GOLDEN_IDS)


@pytest.mark.parametrize("case_id", GOLDEN_IDS)
def test_builder_json(case_id, golden_symbols):
    meta, _ = _load_case(case_id)
    golden = meta["symbol"]
    mine = golden_symbols[case_id].tojson()
    assert mine == golden, f"{case_id}: {_first_difference(mine, golden)}"


def _compare(actual, expected, meta, what):
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape}, MXNet {expected.shape}"
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64),
                               rtol=meta["rtol"], atol=meta["atol"], err_msg=what)


@pytest.mark.parametrize("case_id", GOLDEN_IDS)
def test_builder_values(case_id, golden_symbols):
    """Bound like make_golden.py bound the case: same arrays, grad_req and grad buffers."""
    meta, data = _load_case(case_id)
    sym, ctx = golden_symbols[case_id], mx.cpu()
    args = {n: mx.nd.array(data[f"arg:{n}"], ctx=ctx, dtype=data[f"arg:{n}"].dtype)
            for n in sym.list_arguments()}
    aux = {n: mx.nd.array(data[f"aux:{n}"], ctx=ctx) for n in sym.list_auxiliary_states()}
    grads = {n: mx.nd.array(data.get(f"grad_init:{n}", np.zeros(args[n].shape, np.float32)),
                            ctx=ctx) for n in meta["args_grad"] or []}
    executor = sym.bind(ctx, args=args, args_grad=grads, grad_req=meta["grad_req"],
                        aux_states=aux)
    outputs = executor.forward(is_train=meta["is_train"])
    for i, out in enumerate(outputs):
        _compare(out.asnumpy(), data[f"out:{i}"], meta, f"{case_id} output {i}")
    if meta["backward"]:
        executor.backward()
        for n in grads:
            _compare(grads[n].asnumpy(), data[f"grad:{n}"], meta, f"{case_id} grad {n}")
    for n in aux:
        _compare(aux[n].asnumpy(), data[f"aux_after:{n}"], meta, f"{case_id} aux {n}")
    for n in args:
        if f"arg_after:{n}" in data:
            _compare(args[n].asnumpy(), data[f"arg_after:{n}"], meta, f"{case_id} arg {n} after")


# ---------------------------------------------------------------------------------------------
# 1: the standard configurations of MXNet's own example scripts
# ---------------------------------------------------------------------------------------------
# (case, builder module, get_symbol arguments, SHA-256 of MXNet's tojson() text). Recorded with
# MXNet 1.9.1 (PyPI wheel) running example/image-classification/symbols/<module>.py of the 1.9.1
# tag, each call in a fresh mx.name.NameManager. To re-record: same procedure, then
# hashlib.sha256(text.encode()).hexdigest().
EXAMPLE_SCRIPT_JSON = [
    ("mlp", "mlp", {"num_classes": 10},
     "f31da42eb404654e070b40913c4730ae845f5e485f48a2f3095cc75da4db4816"),
    ("lenet", "lenet", {"num_classes": 10},
     "807f076a01d30947a9c1b07044f0fae3c7457f378b76ad495af0a9d2a3ff3b45"),
    ("resnet18_224", "resnet", {"num_classes": 1000, "num_layers": 18, "image_shape": "3,224,224"},
     "0a40640af9ab4c82ba390b414d0fb8d7ed6d824136348ec6ba4181c8b269434f"),
    ("resnet50_224", "resnet", {"num_classes": 1000, "num_layers": 50, "image_shape": "3,224,224"},
     "7d962358c81992a5e33b6bafdeafccdf63670dd8bfbedf8a8990b762d5fb6e3d"),
    ("resnet34_32", "resnet", {"num_classes": 10, "num_layers": 34, "image_shape": "3,32,32"},
     "8aa6d61905d06976611c58c7ec41ddff01a149cd02b1e90edc91f447c8bc7fc3"),
    ("resnet20_28", "resnet", {"num_classes": 10, "num_layers": 20, "image_shape": "3,28,28"},
     "0a8c72035f298107335a685841da2cf974b095a958d88c09429b2bde4fcbbdbd"),
    ("resnet164_28", "resnet", {"num_classes": 10, "num_layers": 164, "image_shape": "3,28,28"},
     "38f30b296ef357391b1a785fa278a8c8a03436fc8230594cf92405b8495eb612"),
    ("resnet50_fp16", "resnet",
     {"num_classes": 1000, "num_layers": 50, "image_shape": "3,224,224", "dtype": "float16"},
     "e540f3d42f1faf86e044d1c000d8a32ee0908a89409620ef045ada5009f6529f"),
    ("vgg16", "vgg", {"num_classes": 1000, "num_layers": 16},
     "2f07d30fe4dc772eb696ef49d9d2983a8375a90fad5df9ce47846fd95f55c81a"),
    ("vgg19_bn_fp16", "vgg",
     {"num_classes": 1000, "num_layers": 19, "batch_norm": True, "dtype": "float16"},
     "f8d32ac8ccd1c7f4d9f632458a5612c7edd461b4e74040fb97a5a4e8c7d865ca"),
    ("vgg11", "vgg", {"num_classes": 1000, "num_layers": 11},
     "c52af260238a3b49b0083851a8d2927624ab5c943ca0ae50fff1bff9d2c1934f"),
    ("mobilenet", "mobilenet", {"num_classes": 1000},
     "41f4834b885890766432f4336c7287a3c8b1361bf7e08e7d097066448f097d6c"),
    ("mobilenet_050_160", "mobilenet", {"num_classes": 100, "alpha": 0.5, "resolution": 160},
     "1b2305eeca3388eb9f7cfb75171d7ef3015ad0136301f934aa603d1a20252453"),
    ("inception_bn_224", "inception_bn", {"num_classes": 1000, "image_shape": "3,224,224"},
     "d25a18e627c8c88c2fa3cbd3116998f0d293d1d378b4c5ead65b2cc0e905aa74"),
    ("inception_bn_28", "inception_bn", {"num_classes": 10, "image_shape": "3,28,28"},
     "fc7d5ccb801cb86dc118856b4bcc1ce857563400e135a4bc4653b87dfd7c2450"),
]
MODULES = {"mlp": mlp, "lenet": lenet, "resnet": resnet, "vgg": vgg, "mobilenet": mobilenet,
           "inception_bn": inception_bn}


def _sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("case,module,kwargs,sha", EXAMPLE_SCRIPT_JSON,
                         ids=[c[0] for c in EXAMPLE_SCRIPT_JSON])
def test_matches_mxnet_example_script(case, module, kwargs, sha):
    text = MODULES[module].get_symbol(**kwargs).tojson()   # fresh names: conftest's NameManager
    assert _sha(text) == sha, case


# ---------------------------------------------------------------------------------------------
# builder arguments and errors
# ---------------------------------------------------------------------------------------------
def test_narrow_variants_shapes():
    cases = [(resnet.get_symbol(10, 50, "3,32,32", filter_list=(4, 8, 8, 16, 16),
                                units=(1, 1, 1, 1)), (2, 3, 32, 32)),
             (inception_bn.get_symbol(10, "3,28,28", width=0.25), (2, 3, 28, 28)),
             (mobilenet.get_symbol(10, alpha=0.25, image_shape="3,64,64"), (2, 3, 64, 64))]
    for sym, shape in cases:
        _, out_shapes, _ = sym.infer_shape(data=shape)
        assert out_shapes == [(2, 10)]


def test_width_one_is_the_standard_network():
    with mx.name.NameManager():
        standard = inception_bn.get_symbol(10, "3,28,28").tojson()
    with mx.name.NameManager():
        assert inception_bn.get_symbol(10, "3,28,28", width=1.0).tojson() == standard


def test_memonger_matches_mxnet_example_script():
    """resnet() with memonger=True (MXNet's get_symbol never passes it): same SHA-256 as MXNet's
    resnet.resnet(units=[3, 3, 3], num_stages=3, filter_list=[16, 16, 32, 64], num_classes=10,
    image_shape=(3, 28, 28), bottle_neck=False, memonger=True), recorded as above."""
    sym = resnet.resnet(units=[3, 3, 3], num_stages=3, filter_list=[16, 16, 32, 64],
                        num_classes=10, image_shape=(3, 28, 28), bottle_neck=False, memonger=True)
    assert _sha(sym.tojson()) == "ba107262a53d66191cf9a0f84325bbc3dfaa4a02af09cf62050737090bc12560"
    # MXNet marks the shortcut: the projection, or the previous unit's sum when dims match
    marked = {k for k, v in sym.attr_dict().items() if v.get("mirror_stage") == "True"}
    assert "stage2_unit1_sc" in marked and "_plus0" in marked


def test_lenet_localisation_net():
    loc = lenet.localisation_net(mx.sym.Variable("data"))
    assert loc.infer_shape(data=(2, 1, 28, 28))[1] == [(2, 6)]
    assert loc.attr_dict()["stn_loc"]["lr_mult"] == "0.01"


@pytest.mark.parametrize("call,message", [
    (lambda: resnet.get_symbol(10, 19, "3,224,224"), "num_layers"),
    (lambda: resnet.get_symbol(10, 21, "3,28,28"), "6n\\+2"),
    (lambda: resnet.get_symbol(10, 18, "3,32,32", filter_list=(4, 4)), "filter counts"),
    (lambda: resnet.get_symbol(10, 18, "3,32,32", layout="tiny"), "layout"),
    (lambda: vgg.get_symbol(10, num_layers=12), "num_layers"),
    (lambda: vgg.get_symbol(10, dtype="float64"), "dtype"),
    (lambda: mobilenet.get_symbol(10, resolution=100), "multiple of 32"),
    (lambda: mlp.get_symbol(10, image_shape="3,32"), None),
], ids=["resnet-depth", "resnet-cifar-depth", "resnet-filters", "resnet-layout", "vgg-depth",
        "dtype", "mobilenet-resolution", "mlp-ignores-extra"])
def test_builder_argument_errors(call, message):
    if message is None:
        call()     # unknown arguments are ignored, as MXNet's builders do
        return
    with pytest.raises(ValueError, match=message):
        call()


def test_lenet_stn_needs_spatial_transformer():
    if hasattr(mx.sym, "SpatialTransformer"):
        pytest.skip("SpatialTransformer exists now: test_models should run lenet add_stn=True")
    with pytest.raises(NotImplementedError, match="SpatialTransformer"):
        lenet.get_symbol(10, add_stn=True)


# ---------------------------------------------------------------------------------------------
# 3: run_model smoke runs at tiny sizes
# ---------------------------------------------------------------------------------------------
SMOKE = {
    "mlp": ["--network", "mlp", "--image-shape", "1,8,8", "--symbol-arg", "num_hidden=(16,)"],
    "lenet": ["--network", "lenet", "--symbol-arg", "num_filter=(4,6)",
              "--symbol-arg", "num_hidden=20"],
    "resnet18": ["--network", "resnet", "--num-layers", "18", "--image-shape", "3,32,32",
                 "--symbol-arg", "filter_list=4,4,8,8,16"],
    "resnet50-bottleneck": ["--network", "resnet", "--num-layers", "50", "--image-shape",
                            "3,32,32", "--symbol-arg", "filter_list=4,8,8,16,16",
                            "--symbol-arg", "units=1,1,1,1"],
    "resnet8-cifar": ["--network", "resnet", "--num-layers", "8", "--image-shape", "3,28,28",
                      "--symbol-arg", "filter_list=4,4,8,8"],
    "vgg11-bn": ["--network", "vgg", "--batch-norm", "--image-shape", "3,32,32",
                 "--symbol-arg", "filters=2,4,8,8,16", "--symbol-arg", "fc_hidden=16"],
    "mobilenet": ["--network", "mobilenet", "--image-shape", "3,32,32",
                  "--symbol-arg", "alpha=0.25"],
    "inception-bn": ["--network", "inception-bn", "--image-shape", "3,28,28",
                     "--symbol-arg", "width=0.25"],
    "resnet18-float16": ["--network", "resnet", "--num-layers", "18", "--image-shape",
                         "3,32,32", "--symbol-arg", "filter_list=4,4,8,8,16",
                         "--dtype", "float16"],
}
SMOKE_STEPS = 3


def _smoke(argv, ctx):
    result = run_model.main(argv + ["--batch-size", "2", "--steps", str(SMOKE_STEPS),
                                    "--ctx", ctx])
    losses = result["losses"]
    assert len(losses) == SMOKE_STEPS and np.all(np.isfinite(losses)), losses
    # one fixed batch: SGD must fit it better at some step (momentum may overshoot on the way,
    # e.g. MobileNet's BatchNorm over 2 samples at 1x1 resolution)
    assert min(losses[1:]) < losses[0], losses
    assert len(result["step_s"]) == SMOKE_STEPS and result["num_params"] > 0
    return result


@pytest.mark.parametrize("name", list(SMOKE))
def test_run_model_smoke_cpu(name, capsys):
    result = _smoke(SMOKE[name], "cpu")
    assert result["ctx"] == "cpu(0)"
    printed = capsys.readouterr().out
    assert f"step {SMOKE_STEPS}: loss" in printed and "median step" in printed


@pytest.mark.gpu
@pytest.mark.parametrize("name", ["resnet18", "resnet18-float16", "mobilenet", "inception-bn"])
def test_run_model_smoke_gpu(name):
    assert _smoke(SMOKE[name], "gpu")["ctx"] == "gpu(0)"


def test_run_model_symbol_args():
    args = run_model.parse_args(["--network", "vgg", "--symbol-arg", "filters=2,4,8,8,16",
                                 "--symbol-arg", "layout=cifar", "--batch-norm"])
    kwargs = run_model.symbol_kwargs(args)
    assert kwargs["filters"] == (2, 4, 8, 8, 16) and kwargs["layout"] == "cifar"
    assert kwargs["batch_norm"] is True and kwargs["num_layers"] == 11
    with pytest.raises(SystemExit):
        run_model.symbol_kwargs(run_model.parse_args(["--network", "vgg", "--symbol-arg", "x"]))
