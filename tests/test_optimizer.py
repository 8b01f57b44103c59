"""Update ops, optimizers, the Updater and learning-rate schedulers against MXNet 1.9.1."""
import base64
import pickle

import numpy as np
import pytest

import mxlite as mx
from training_golden import dec, load, nd, tol

UPDATE = load("update_ops")
OPTIM = load("optimizers")
SCHED = load("schedulers")
NEEDS_T = {"ftml_update", "lamb_update_phase1"}
PARAMS = [("fc1_weight", (3, 4)), ("fc1_bias", (3,)), ("bn_gamma", (3,)), ("fc2_weight", (2, 3))]


def _single_cases():
    return sorted(k for k, c in UPDATE.items() if "steps" in c)


@pytest.mark.parametrize("case_id", _single_cases())
def test_update_op_matches_mxnet(case_id):
    case = UPDATE[case_id]
    op, names = case["op"], case["inputs"]
    arrays = {n: nd(r) for n, r in case["init"].items()}
    fn = getattr(mx.nd, op)
    for step, (g, want) in enumerate(zip(case["grads"], case["steps"]), 1):
        gname = "g" if "g" in names and "grad" not in names else "grad"
        arrays[gname] = nd(g)
        p = dict(case["params"], t=step) if op in NEEDS_T else case["params"]
        args = [arrays[n] for n in names]
        if op == "lamb_update_phase1":
            out = fn(*args, **p)
        else:
            out = fn(*args, out=arrays["weight"], **p)
        for n, rec in want.items():
            got = out if n == "out" else arrays[n]
            np.testing.assert_allclose(got.asnumpy().astype(np.float64), dec(rec),
                                       err_msg=f"{case_id} step {step} {n}", **tol(rec["dtype"]))


@pytest.mark.parametrize("op", [p + m for p in ("", "preloaded_")
                                for m in ("multi_sgd_update", "multi_sgd_mom_update",
                                          "multi_mp_sgd_update", "multi_mp_sgd_mom_update")])
def test_multi_update_op_matches_mxnet(op):
    case = UPDATE[op]
    ins = [nd(r) for r in case["init"]]
    group = case["group"]
    if op.startswith("preloaded_"):
        extra = [mx.nd.array(case["lrs"]), mx.nd.array(case["wds"])]
        getattr(mx.nd, op)(*(ins + extra), out=[ins[0], ins[group]], **case["params"])
        for i, (a, rec) in enumerate(zip(ins, case["after"])):
            np.testing.assert_allclose(a.asnumpy().astype(np.float64), dec(rec),
                                       err_msg=f"{op} input {i}", **tol(rec["dtype"]))
        return
    getattr(mx.nd, op)(*ins, out=[ins[0], ins[group]], **case["params"])
    for i, (a, rec) in enumerate(zip(ins, case["after"])):
        np.testing.assert_allclose(a.asnumpy().astype(np.float64), dec(rec),
                                   err_msg=f"{op} input {i}", **tol(rec["dtype"]))


def test_update_op_without_out_leaves_weight():
    w = mx.nd.ones((3,))
    g = mx.nd.ones((3,))
    new = mx.nd.sgd_update(w, g, lr=0.5)
    np.testing.assert_allclose(new.asnumpy(), 0.5)
    np.testing.assert_allclose(w.asnumpy(), 1.0)


def test_update_op_bad_input():
    with pytest.raises(mx.MXNetError, match="sgd_mom_update.*mom"):
        mx.nd.sgd_mom_update(mx.nd.ones((3,)), mx.nd.ones((3,)), mx.nd.ones((4,)), lr=0.1)
    with pytest.raises((mx.MXNetError, ValueError, TypeError), match="lr"):
        mx.nd.sgd_update(mx.nd.ones((3,)), mx.nd.ones((3,)))
    with pytest.raises(mx.MXNetError, match="num_weights"):
        mx.nd.multi_sgd_update(mx.nd.ones((3,)), mx.nd.ones((3,)), lrs=(0.1,), wds=(0.,),
                               num_weights=2)


@pytest.mark.parametrize("case_id", sorted(OPTIM))
def test_optimizer_through_updater_matches_mxnet(case_id):
    case = OPTIM[case_id]
    idx2name = {i: n for i, (n, _) in enumerate(PARAMS)}
    opt = mx.optimizer.create(case["name"], param_idx2name=idx2name, sym=_mult_symbol(),
                              **case["kwargs"])
    opt.set_lr_mult({"fc2_weight": 0.5})
    opt.set_wd_mult({"bn_gamma": 2.0})
    upd = mx.optimizer.get_updater(opt)
    weights = [nd(r) for r in case["init"]]
    for step, (grads, want) in enumerate(zip(case["grads"], case["steps"]), 1):
        grads = [nd(g) for g in grads]
        upd([0, 1], grads[:2], weights[:2])
        for i in range(2, len(PARAMS)):
            upd(i, grads[i], weights[i])
        for i, (w, rec) in enumerate(zip(weights, want)):
            np.testing.assert_allclose(w.asnumpy().astype(np.float64), dec(rec),
                                       err_msg=f"{case_id} step {step} param {PARAMS[i][0]}",
                                       **tol(case["dtype"]))
    assert opt.num_update == case["num_update"]


def _mult_symbol():
    w1 = mx.sym.Variable("fc1_weight", lr_mult=2.0)
    b1 = mx.sym.Variable("fc1_bias", wd_mult=3.0)
    net = mx.sym.FullyConnected(mx.sym.Variable("data"), weight=w1, bias=b1, num_hidden=3,
                                name="fc1")
    return mx.sym.FullyConnected(net, num_hidden=2, name="fc2")


@pytest.mark.parametrize("case_id", sorted(OPTIM))
def test_mxnet_states_file_loads(case_id):
    """States pickled by MXNet load into an Updater; ours round-trip and keep the layout."""
    case = OPTIM[case_id]
    raw = base64.b64decode(case["states"])
    opt = mx.optimizer.create(case["name"], **case["kwargs"])
    upd = mx.optimizer.get_updater(opt)
    upd.set_states(raw)
    assert sorted(upd.states) == [0, 1, 2, 3]
    again = mx.optimizer.get_updater(opt)
    again.set_states(upd.get_states())
    flat = _flatten(upd.states)
    if any(a is not None for a in flat):
        # MXNet's NDArray.__setstate__ needs the raw bytes in a (writable) bytearray
        assert b"mxnet.ndarray.ndarray" in upd.get_states()
        assert b"bytearray" in upd.get_states()
    flat = _flatten(upd.states)
    for a, b in zip(flat, _flatten(again.states)):
        if a is None:
            assert b is None
        else:
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def _flatten(states):
    out = []
    for k in sorted(states):
        s = states[k]
        stack = [s]
        while stack:
            x = stack.pop(0)
            if isinstance(x, (tuple, list)):
                stack = list(x) + stack
            else:
                out.append(x)
    return out


def test_states_of_another_model_refused():
    opt = mx.optimizer.SGD(momentum=0.9)
    upd = mx.optimizer.get_updater(opt)
    upd(0, mx.nd.ones((3,)), mx.nd.ones((3,)))
    other = mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))
    other(0, mx.nd.ones((5,)), mx.nd.ones((5,)))
    before = upd.states[0].asnumpy()
    with pytest.raises(mx.MXNetError, match="another model"):
        upd.set_states(other.get_states())
    np.testing.assert_array_equal(upd.states[0].asnumpy(), before)
    with pytest.raises(mx.MXNetError, match="optimizer states"):
        upd.set_states(b"not a pickle")


def test_dump_optimizer_round_trip():
    opt = mx.optimizer.Adam(learning_rate=0.02, lr_scheduler=mx.lr_scheduler.FactorScheduler(2))
    upd = mx.optimizer.get_updater(opt)
    upd(0, mx.nd.ones((2,)), mx.nd.ones((2,)))
    other = mx.optimizer.get_updater(mx.optimizer.SGD())
    other.set_states(upd.get_states(dump_optimizer=True))
    assert isinstance(other.optimizer, mx.optimizer.Adam)
    assert isinstance(other.optimizer.lr_scheduler, mx.lr_scheduler.FactorScheduler)
    assert pickle.loads(pickle.dumps(opt)).beta1 == opt.beta1


def test_unknown_optimizer_lists_known():
    with pytest.raises(ValueError, match="Cannot find optimizer nosuch.*adam.*sgd"):
        mx.optimizer.create("nosuch")


def test_register_custom_optimizer():
    @mx.optimizer.register
    class MyHalf(mx.optimizer.Optimizer):
        def update(self, index, weight, grad, state):
            weight[:] = weight * 0.5

    opt = mx.optimizer.create("myhalf")
    w = mx.nd.ones((2,))
    mx.optimizer.get_updater(opt)(0, mx.nd.ones((2,)), w)
    np.testing.assert_allclose(w.asnumpy(), 0.5)


def test_fp16_without_multi_precision_warns():
    with pytest.warns(UserWarning, match="multi_precision"):
        mx.optimizer.get_updater(mx.optimizer.SGD(momentum=0.9))(
            0, mx.nd.ones((2,), dtype="float16"), mx.nd.ones((2,), dtype="float16"))


@pytest.mark.parametrize("case_id", sorted(k for k in SCHED if "lrs" in SCHED[k]))
def test_scheduler_matches_mxnet(case_id):
    case = SCHED[case_id]
    sched = getattr(mx.lr_scheduler, case["name"])(**case["kwargs"])
    got = [sched(n) for n in range(len(case["lrs"]))]
    np.testing.assert_allclose(got, case["lrs"], rtol=1e-12)


def test_optimizer_with_scheduler_matches_mxnet():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=0.4)
    upd = mx.optimizer.get_updater(mx.optimizer.SGD(lr_scheduler=sched))
    w = mx.nd.ones((2,))
    for want in SCHED["sgd-with-factor"]["weights"]:
        upd(0, mx.nd.ones((2,)), w)
        np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-6)


def test_scheduler_bad_arguments():
    with pytest.raises(ValueError, match="increasing"):
        mx.lr_scheduler.MultiFactorScheduler(step=[3, 2])
    with pytest.raises(ValueError, match="warmup"):
        mx.lr_scheduler.FactorScheduler(step=2, warmup_mode="cubic")


def test_inplace_path_errors():
    from mxlite.optimizer.inplace import update_inplace
    w, g = mx.nd.ones((3,)), mx.nd.ones((3,))
    with pytest.raises(mx.MXNetError, match="unknown parameter.*'lr_rate'"):
        update_inplace("sgd_update", [w, g], lr=0.1, lr_rate=1)
    with pytest.raises(mx.MXNetError, match="required parameter lr"):
        update_inplace("sgd_update", [w, g])
    with pytest.raises(mx.MXNetError, match="input grad has shape \\(4,\\)"):
        update_inplace("sgd_update", [w, mx.nd.ones((4,))], lr=0.1)
    with pytest.raises(mx.MXNetError, match="Cannot find update operator.*sgd_update"):
        update_inplace("sgd_updat", [w, g], lr=0.1)
    np.testing.assert_array_equal(w.asnumpy(), 1.0)
    update_inplace("sgd_update", [w, g], lr=0.5)
    np.testing.assert_allclose(w.asnumpy(), 0.5)
