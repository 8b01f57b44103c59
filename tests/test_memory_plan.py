"""The memory plan (mxlite/memory.py), backward fusions (mxlite/passes.py) and the executor's
workspace: values die when the ops' ``backward_reads`` say so, gradients die once consumed, the
planned peak matches what a step really allocates, and a second backward still works."""
import tracemalloc

import numpy as np
import pytest

import mxlite as mx
from mxlite.memory import MemoryPlan, ShapeOnly, Workspace, nbytes, resize_array
from mxlite.ops import registry
from mxlite.ops.registry import READS_SHAPES, BackwardReads


def _conv_net():
    data = mx.sym.Variable("data")
    x = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=8, name="conv")
    x = mx.sym.BatchNorm(x, name="bn")
    x = mx.sym.Activation(x, act_type="relu", name="relu")
    x = mx.sym.Pooling(x, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    x = mx.sym.FullyConnected(mx.sym.Flatten(x), num_hidden=10, name="fc")
    return mx.sym.SoftmaxOutput(x, name="softmax")


def _bind(sym, grad_req="write", batch=4):
    ex = sym.simple_bind(mx.cpu(), data=(batch, 3, 16, 16), grad_req=grad_req)
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        if name == "softmax_label":
            arr[:] = rng.integers(0, 10, arr.shape)
        else:
            arr[:] = rng.standard_normal(arr.shape).astype(np.float32)
    return ex


def _slot(ex, node_name, index=0):
    plan = ex._plan
    node = next(n for n in plan.order if n.name == node_name)
    return plan.slot_of[(id(node), index)]


def test_training_forward_drops_values_backward_does_not_read():
    ex = _bind(_conv_net())
    ex.forward(is_train=True)
    vals = ex._vals
    # relu's backward reads its output, so BatchNorm's output (relu's input) is dropped ...
    assert vals[_slot(ex, "bn")] is None
    # ... while the convolution's output (BatchNorm's input) and relu's output (pooling's input)
    # are kept for backward
    assert vals[_slot(ex, "conv")] is not None
    assert vals[_slot(ex, "relu")] is not None


def test_inference_forward_keeps_only_outputs():
    ex = _bind(_conv_net(), grad_req="null")
    ex.forward(is_train=False)
    kept = [s for s, v in enumerate(ex._vals) if v is not None]
    bound = set(ex._plan.arg_slots) | set(ex._plan.aux_slots) | set(ex._plan.head_slots)
    assert set(kept) <= bound


def test_backward_twice_after_one_forward_accumulates():
    sym = _conv_net()
    ex1, ex2 = _bind(sym, "write"), _bind(sym, "add")
    for ex in (ex1, ex2):
        for g in ex.grad_arrays:
            g[:] = 0
        ex.forward(is_train=True)
        ex.backward()
    ex2.backward()
    for name in ("conv_weight", "fc_weight", "bn_gamma"):
        np.testing.assert_allclose(ex2.grad_dict[name].asnumpy(),
                                   2 * ex1.grad_dict[name].asnumpy(), rtol=1e-4, atol=1e-5)


def test_debug_str_reports_the_plan():
    text = _bind(_conv_net()).debug_str()
    assert "Planned peak" in text and "kept from forward for backward" in text
    assert "Total" in text and "MB allocated" in text


def test_planned_peak_is_below_keeping_everything_and_storage_covers_it():
    ex = _bind(_conv_net(), batch=16)
    memory, plan = ex._memory, ex._plan
    size = [nbytes(ex._slot_shapes[s], ex._slot_dtypes[s]) for s in range(plan.n_slots)]
    everything = sum(size[s] for s in range(plan.n_slots)
                     if s not in plan.arg_slots and s not in plan.aux_slots)
    # keeping every value and every gradient of one would need twice that
    assert 0 < memory.peak_bytes < 2 * everything
    # shared blocks never hold less than the peak of what is alive at once
    assert memory.storage_bytes >= memory.peak_bytes


def test_measured_step_allocations_follow_the_plan():
    ex = _bind(_conv_net(), batch=32)
    ex.forward(is_train=True)
    ex.backward()  # warm: the workspace is allocated
    tracemalloc.start()
    ex.forward(is_train=True)
    ex.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    planned = ex._memory.peak_bytes
    # temporaries inside ops (centred copies, masks) come on top of the plan; they stay within a
    # few activation sizes, far from keeping every value and gradient
    largest = max(nbytes(s, np.float32) for s in ex._slot_shapes.values())
    assert peak <= planned + 4 * largest, (peak, planned, largest)


def test_backward_gets_only_what_it_declared():
    seen = {}

    def forward(sc, p, ins):
        return [ins[0] * 2]

    def backward(sc, p, ograds, ins, outs):
        seen["ins"], seen["outs"] = ins, outs
        return [ograds[0] * 2, None]

    op = registry.register(registry.OpDef(
        name="_test_declared_reads", inputs=("data", "other"), forward=forward,
        backward=backward, infer_shape=lambda p, s: ([s[0], s[1]], [s[0]]),
        backward_reads=BackwardReads(inputs=(), input_shapes=(1,), outputs=())))
    try:
        x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
        from mxlite.symbol.register import create
        sym = create(registry.get("_test_declared_reads"), "t", [x, y], {}, {})
        ex = sym.simple_bind(mx.cpu(), x=(2, 3), y=(4,))
        ex.forward(is_train=True)
        ex.backward(mx.nd.ones((2, 3)))
        assert seen["ins"][0] is None and seen["outs"] == [None]
        assert isinstance(seen["ins"][1], ShapeOnly)
        assert seen["ins"][1].shape == (4,) and seen["ins"][1].ndim == 1
        np.testing.assert_array_equal(ex.grad_dict["x"].asnumpy(), np.full((2, 3), 2.0))
    finally:
        registry._REGISTRY.pop(op.name)  # a test-only op: leave the registry as it was
        registry._CANONICAL.remove(op)


def test_reads_defaults_and_shapes():
    op = registry.get("Convolution")
    p = op.parse({"kernel": "(3,3)", "num_filter": "4"})
    assert op.reads(p, 3, 1) == BackwardReads(inputs=(0, 1), input_shapes=(2,))
    undeclared = registry.get("Pooling")
    assert undeclared.backward_reads is None
    assert undeclared.reads({}, 1, 2) == BackwardReads((0,), (), (0, 1))
    assert registry.get("Flatten").backward_reads == READS_SHAPES


def test_fusion_is_only_applied_on_its_device():
    data = mx.sym.Variable("data")
    net = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=5, name="fc"),
                            act_type="relu", name="act")
    ex = net.simple_bind(mx.cpu(), data=(3, 4))
    assert [u.name for u in ex._units] == ["_backward_Activation(act)",
                                          "_backward_FullyConnected(fc)"]


@pytest.mark.gpu
def test_fusion_applied_on_gpu():
    data = mx.sym.Variable("data")
    net = mx.sym.Activation(mx.sym.FullyConnected(data, num_hidden=5, name="fc"),
                            act_type="tanh", name="act")
    ex = net.simple_bind(mx.gpu(0), data=(3, 4))
    assert [u.name for u in ex._units] == ["_backward_FullyConnected+Activation(fc,act)"]
    # an activation that is not the FC output's only reader keeps the units apart
    both = mx.sym.Group([net, mx.sym.FullyConnected(data, num_hidden=5, name="fc") * 2])
    assert len(both.simple_bind(mx.gpu(0), data=(3, 4))._units) > 1


def test_workspace_tags_say_when_a_border_must_be_refilled():
    ws = Workspace()
    a, fresh = ws.get(np, "pad", (2, 3), np.float32, tag=("pad", 1))
    assert fresh
    a.fill(7)
    b, fresh = ws.get(np, "pad", (2, 3), np.float32, tag=("pad", 1))
    assert not fresh and b[0, 0] == 7
    _, fresh = ws.get(np, "pad", (3, 2), np.float32, tag=("pad", 1))  # same size, other shape
    assert fresh
    _, fresh = ws.get(np, "pad", (2, 3), np.float32, tag=("pad", 2))
    assert fresh
    big, fresh = ws.get(np, "huge", (Workspace.KEEP_BYTES // 4 + 1,), np.float32)
    assert fresh and "huge" not in ws._buffers


def test_resize_array_shares_or_refuses():
    old = np.arange(12.0).reshape(3, 4)
    assert resize_array(old, (3, 4), "x", False, None) is old
    view = resize_array(old, (2, 4), "x", False, None)
    assert np.shares_memory(view, old)
    with pytest.raises(mx.base.MXNetError, match="x is larger than original"):
        resize_array(old, (4, 4), "x", False, None)
    new = resize_array(old, (4, 4), "x", True, lambda s, d: np.zeros(s, d))
    assert new.shape == (4, 4) and not np.shares_memory(new, old)


def test_memory_plan_without_backward():
    ex = _bind(_conv_net(), grad_req="null")
    plan = MemoryPlan(ex._plan, ex._slot_shapes, ex._slot_dtypes)
    assert plan.kept_bytes == 0 and plan.grad_release == []
