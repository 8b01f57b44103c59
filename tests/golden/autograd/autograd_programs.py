"""Small autograd and NumPy-shape programs, run once by the real MXNet 1.9.1 (to record the
golden values, ``make_autograd_golden.py``) and once by mxlite (``tests/test_autograd_golden.py``).

Each program takes the framework module ``mx`` and returns a dict of NumPy arrays (or scalars);
a program that must fail raises, and the fixture records the exception class. Inputs come from
NumPy with fixed seeds, never from the framework's random generator.
"""
import json

import numpy as np


def _arr(mx, shape, seed, low=-1.0, high=1.0):
    rs = np.random.RandomState(seed)
    return mx.nd.array(rs.uniform(low, high, size=shape).astype(np.float32))


def _var(mx, shape, seed, grad_req="write", low=-1.0, high=1.0):
    x = _arr(mx, shape, seed, low, high)
    x.attach_grad(grad_req=grad_req)
    return x


def several_ops(mx):
    x, w, b = _var(mx, (2, 3), 1), _var(mx, (4, 3), 2), _var(mx, (4,), 3)
    with mx.autograd.record():
        h = mx.nd.FullyConnected(x, w, b, num_hidden=4)
        y = mx.nd.tanh(h) * mx.nd.sigmoid(h) + mx.nd.exp(h * 0.5)
        z = mx.nd.sum(mx.nd.square(y - 0.25)) / 3.0
    z.backward()
    return {"z": z.asnumpy(), "dx": x.grad.asnumpy(), "dw": w.grad.asnumpy(),
            "db": b.grad.asnumpy()}


def branches(mx):
    x = _var(mx, (5,), 4)
    out = {}
    for k, scale in enumerate((1.0, -1.0)):
        with mx.autograd.record():
            y = x * scale
            if y.sum().asscalar() > 0:
                z = mx.nd.exp(y).sum()
            else:
                z = (mx.nd.relu(y) + mx.nd.abs(y) * 2).sum()
        z.backward()
        out[f"dx{k}"] = x.grad.asnumpy()
    return out


def inplace_on_plain_array(mx):
    x = _var(mx, (3,), 5)
    c = mx.nd.ones((3,))
    with mx.autograd.record():
        c += 1                      # c has no history: allowed
        c *= 2
        y = x * c
        z = mx.nd.sin(y)
    z.backward()
    return {"c": c.asnumpy(), "dx": x.grad.asnumpy()}


def inplace_on_recorded_array(mx):
    x = _var(mx, (3,), 6)
    with mx.autograd.record():
        a = x * 2
        b = mx.nd.exp(a)
        a += 1                      # a is on the tape: MXNet refuses
        c = b * a
    c.backward()
    return {"dx": x.grad.asnumpy()}


def setitem_on_variable_in_record(mx):
    x = _var(mx, (3,), 7)
    with mx.autograd.record():
        x[:] = 2
    return {"x": x.asnumpy()}


def out_into_recorded_array(mx):
    x = _var(mx, (3,), 8)
    with mx.autograd.record():
        a = x * 2
        mx.nd.exp(x, out=a)
    return {"a": a.asnumpy()}


def copy_into_fresh_array(mx):
    x = _var(mx, (2, 2), 9)
    c = mx.nd.zeros((2, 2))
    with mx.autograd.record():
        y = x * 3
        c[:] = y
        z = (c * c).sum()
    z.backward()
    return {"dx": x.grad.asnumpy()}


def reused_variable(mx):
    x = _var(mx, (4,), 10)
    with mx.autograd.record():
        y = x * x * x + x * 2 + mx.nd.elemwise_mul(x, x)
    y.backward()
    return {"y": y.asnumpy(), "dx": x.grad.asnumpy()}


def retain_graph_twice(mx):
    x = _var(mx, (3,), 11, grad_req="add")
    with mx.autograd.record():
        y = mx.nd.exp(x) * x
    y.backward(retain_graph=True)
    g1 = x.grad.asnumpy().copy()
    y.backward(mx.nd.array([1.0, 2.0, 3.0]), retain_graph=True)
    g2 = x.grad.asnumpy().copy()
    y.backward()
    return {"g1": g1, "g2": g2, "g3": x.grad.asnumpy()}


def backward_twice_without_retain(mx):
    x = _var(mx, (3,), 12)
    with mx.autograd.record():
        y = x * 2
    y.backward()
    y.backward()
    return {}


def grad_with_head_grads(mx):
    x, w = _var(mx, (2, 3), 13), _var(mx, (2, 3), 14)
    with mx.autograd.record():
        y1 = x * w
        y2 = mx.nd.log(mx.nd.abs(x) + 1) + w
    hg = _arr(mx, (2, 3), 15)
    dx, dw = mx.autograd.grad([y1, y2], [x, w], head_grads=[hg, None])
    return {"dx": dx.asnumpy(), "dw": dw.asnumpy(), "x_grad_untouched": x.grad.asnumpy()}


def split_head_grads(mx):
    x = mx.nd.ones((3, 5))
    dx = mx.nd.zeros_like(x)
    mx.autograd.mark_variables([x], [dx])
    with mx.autograd.record():
        a, b, c = mx.nd.split(x, axis=0, num_outputs=3, squeeze_axis=True)
        mx.autograd.backward([a, b, c], [None, mx.nd.array([1, 2, 3, 4, 5]),
                                         mx.nd.array([5, 4, 3, 2, 1])])
    return {"dx": dx.asnumpy()}


def grad_req_write_add_null(mx):
    a, b, c = _var(mx, (3,), 16, "write"), _var(mx, (3,), 17, "add"), _var(mx, (3,), 18, "null")
    for _ in range(2):
        with mx.autograd.record():
            y = a * b + b * c + mx.nd.exp(c)
        y.backward()
    # a 'null' variable is cleared with the graph: its .grad is None after backward
    return {"da": a.grad.asnumpy(), "db": b.grad.asnumpy(), "dc_is_none": np.array(c.grad is None)}


def mark_variables_buffers(mx):
    x, w = _arr(mx, (2, 2), 19), _arr(mx, (2, 2), 20)
    gx, gw = mx.nd.ones((2, 2)), mx.nd.ones((2, 2))
    mx.autograd.mark_variables([x, w], [gx, gw], grad_reqs=["write", "add"])
    with mx.autograd.record():
        y = mx.nd.dot(x, w)
    y.backward()
    return {"gx": gx.asnumpy(), "gw": gw.asnumpy()}


def detach_and_blockgrad(mx):
    x = _var(mx, (3,), 21)
    with mx.autograd.record():
        y = x * 2
        z = y.detach() * 3 + y + mx.nd.BlockGrad(x * 5) * x
    z.backward()
    return {"z": z.asnumpy(), "dx": x.grad.asnumpy()}


def softmax_output_loss(mx):
    x, w = _var(mx, (4, 3), 22), _var(mx, (5, 3), 23)
    label = mx.nd.array([0, 1, 4, 2])
    with mx.autograd.record():
        h = mx.nd.FullyConnected(x, w, no_bias=True, num_hidden=5)
        p = mx.nd.SoftmaxOutput(mx.nd.relu(h), label, normalization="batch")
    p.backward()
    return {"p": p.asnumpy(), "dx": x.grad.asnumpy(), "dw": w.grad.asnumpy()}


def reshape_index_transpose(mx):
    x = _var(mx, (2, 3), 24)
    with mx.autograd.record():
        y = x.reshape((3, 2)).T * 2
        z = (y[1] * y[0]).sum() + x[:, 1:].sum() * 3
    z.backward()
    return {"dx": x.grad.asnumpy()}


def _second(mx, fn, seed, low=0.2, high=1.5):
    x = _var(mx, (4,), seed, low=low, high=high)
    with mx.autograd.record():
        y = fn(x)
        dx = mx.autograd.grad(y, [x], create_graph=True, retain_graph=True)[0]
    dx.backward()
    return {"dx": dx.asnumpy(), "d2x": x.grad.asnumpy()}


def second_order_tanh(mx):
    return _second(mx, mx.nd.tanh, 30)


def second_order_sin(mx):
    return _second(mx, mx.nd.sin, 31)


def second_order_exp(mx):
    return _second(mx, mx.nd.exp, 32)


def second_order_log(mx):
    return _second(mx, mx.nd.log, 33)


def second_order_chain(mx):
    return _second(mx, lambda x: mx.nd.log(mx.nd.exp(mx.nd.sin(mx.nd.tanh(x))) + 1.0), 34)


def second_order_sum_of_unaries(mx):
    return _second(mx, lambda x: mx.nd.elemwise_add(mx.nd.sigmoid(x), mx.nd.sqrt(x)) + 3.0, 35)


def _third(mx, fn, seed):
    x = _var(mx, (3,), seed, low=0.3, high=1.2)
    with mx.autograd.record():
        y = fn(x)
        d1 = mx.autograd.grad(y, [x], create_graph=True, retain_graph=True)[0]
        d2 = mx.autograd.grad(d1, [x], create_graph=True, retain_graph=True)[0]
    d2.backward()
    return {"d1": d1.asnumpy(), "d2": d2.asnumpy(), "d3": x.grad.asnumpy()}


def third_order_sin(mx):
    return _third(mx, mx.nd.sin, 60)


def third_order_tanh(mx):
    return _third(mx, mx.nd.tanh, 61)


def third_order_log(mx):
    return _third(mx, mx.nd.log, 62)


def second_order_with_head_grads(mx):
    x = _var(mx, (2, 3), 63, low=0.3, high=1.2)
    hg1, hg2 = _arr(mx, (2, 3), 64), _arr(mx, (2, 3), 65)
    with mx.autograd.record():
        y = mx.nd.sigmoid(mx.nd.sqrt(x))
        d1 = mx.autograd.grad(y, [x], head_grads=hg1, create_graph=True, retain_graph=True)[0]
        d2 = mx.autograd.grad(d1, [x], head_grads=hg2, create_graph=True, retain_graph=True)[0]
    return {"d1": d1.asnumpy(), "d2": d2.asnumpy()}


def second_order_outside_record(mx):
    x = _var(mx, (3,), 36, low=0.2, high=1.0)
    with mx.autograd.record():
        y = mx.nd.tanh(x)
    dx = mx.autograd.grad(y, [x], create_graph=True)[0]
    dx.backward()
    return {"dx": dx.asnumpy(), "d2x": x.grad.asnumpy()}


def second_order_through_mul(mx):
    return _second(mx, lambda x: x * x, 37)


def second_order_through_softmax(mx):
    return _second(mx, lambda x: mx.nd.softmax(x), 38)


def dropout_modes(mx):
    x = mx.nd.ones((20, 20))
    x.attach_grad()
    out = {}
    with mx.autograd.record(train_mode=True):
        y = mx.nd.Dropout(x, p=0.5)
    y.backward()
    yt = y.asnumpy()
    out["train_values"] = np.unique(yt)
    out["train_grad_is_mask"] = np.array(bool((x.grad.asnumpy() == yt).all()))
    with mx.autograd.record(train_mode=False):
        y = mx.nd.Dropout(x, p=0.5)
    y.backward(train_mode=False)
    out["predict_out"] = y.asnumpy()[:2, :2]
    out["predict_grad"] = x.grad.asnumpy()[:2, :2]
    with mx.autograd.train_mode():
        y = mx.nd.Dropout(x, p=0.5)
    out["train_mode_only_values"] = np.unique(y.asnumpy())
    return out


def _batchnorm(mx, train):
    x = _var(mx, (4, 3, 2, 2), 40)
    gamma, beta = _var(mx, (3,), 41, low=0.5, high=1.5), _var(mx, (3,), 42)
    mean, var = _arr(mx, (3,), 43), _arr(mx, (3,), 44, low=0.5, high=1.5)
    hg = _arr(mx, (4, 3, 2, 2), 45)
    with mx.autograd.record(train_mode=train):
        y = mx.nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, momentum=0.8)
    after_forward = (mean.asnumpy().copy(), var.asnumpy().copy())
    y.backward(hg, train_mode=train)
    return {"y": y.asnumpy(), "dx": x.grad.asnumpy(), "dgamma": gamma.grad.asnumpy(),
            "dbeta": beta.grad.asnumpy(), "mean_after_forward": after_forward[0],
            "var_after_forward": after_forward[1], "mean": mean.asnumpy(),
            "var": var.asnumpy()}


def batchnorm_train(mx):
    return _batchnorm(mx, True)


def batchnorm_predict(mx):
    return _batchnorm(mx, False)


def custom_function(mx):
    class Scale(mx.autograd.Function):
        def forward(self, x, y):
            self.save_for_backward(x, y)
            return x * y, x / y

        def backward(self, dm, dn):
            x, y = self.saved_tensors
            return dm * y + dn / y, dm * x - dn * x / y / y

    x, y = _var(mx, (3,), 46), _var(mx, (3,), 47, low=0.5, high=1.5)
    with mx.autograd.record():
        m, n = Scale()(x, y)
        z = (mx.nd.exp(m) + n).sum()
    z.backward()
    return {"dx": x.grad.asnumpy(), "dy": y.grad.asnumpy()}


def backward_not_recorded(mx):
    x = _var(mx, (3,), 48)
    y = x * 2
    y.backward()
    return {}


def grad_without_attach_grad(mx):
    x = _arr(mx, (3,), 49)
    w = _var(mx, (3,), 50)
    with mx.autograd.record():
        y = x * w
    return {"g": mx.autograd.grad(y, [x])[0].asnumpy()}


def grad_of_unreachable_variable(mx):
    x, w = _var(mx, (3,), 51), _var(mx, (3,), 52)
    with mx.autograd.record():
        y = x * 2
    return {"g": mx.autograd.grad(y, [w])[0].asnumpy()}


def no_variable_requires_grad(mx):
    x = _var(mx, (3,), 53, grad_req="null")
    with mx.autograd.record():
        y = x * 2
    y.backward()
    return {}


def get_symbol_arguments(mx):
    x, z = _var(mx, (1,), 54), _var(mx, (1,), 55)
    with mx.autograd.record():
        y1 = x * x + 2 * x - 1
        y2 = x * x + 2 * z - 1
    s1, s2 = mx.autograd.get_symbol(y1), mx.autograd.get_symbol(y2)
    ops = sorted(n["op"] for n in json.loads(s2.tojson())["nodes"])
    return {"n1": np.array(len(s1.list_arguments())), "n2": np.array(len(s2.list_arguments())),
            "ops": np.array(ops)}


# ----- NumPy-shape mode ---------------------------------------------------------------------

def _shape_of(fn):
    return np.array(fn().shape, dtype=np.int64)


def np_shape_scalars(mx):
    with mx.np_shape(True):
        s = mx.nd.ones(())
        f = mx.nd.full((), 5.0)
        return {"ones": _shape_of(lambda: s), "full": f.asnumpy(),
                "index": _shape_of(lambda: mx.nd.array([1, 2, 3])[1]),
                "sin": _shape_of(lambda: mx.nd.sin(s)),
                "add_bcast": _shape_of(lambda: s + mx.nd.ones((2,))),
                "mul_scalar": _shape_of(lambda: s * 3),
                "asscalar": np.array(s.asscalar()),
                "size_ndim": np.array([s.size, s.ndim]),
                "reshape": _shape_of(lambda: mx.nd.ones((1,)).reshape(())),
                "is_np_shape": np.array(mx.is_np_shape())}


def np_shape_zero_size(mx):
    with mx.np_shape(True):
        z = mx.nd.zeros((0, 3))
        return {"zeros": _shape_of(lambda: z), "exp": _shape_of(lambda: mx.nd.exp(z)),
                "sum0": mx.nd.sum(z, axis=0).asnumpy(),
                "sum1": _shape_of(lambda: mx.nd.sum(z, axis=1)),
                "concat": _shape_of(lambda: mx.nd.concat(z, mx.nd.ones((2, 3)), dim=0)),
                "tile_empty": _shape_of(lambda: mx.nd.tile(z, reps=(2, 2))),
                "one_hot_empty": _shape_of(lambda: mx.nd.one_hot(mx.nd.zeros((0,)), depth=3)),
                "one_hot_scalar": _shape_of(lambda: mx.nd.one_hot(mx.nd.ones(()), depth=3)),
                "split": _shape_of(lambda: mx.nd.split(mx.nd.ones((0, 4)), num_outputs=2,
                                                       axis=1)[1]),
                "stack_scalars": _shape_of(lambda: mx.nd.stack(mx.nd.ones(()), mx.nd.ones(()))),
                "empty": _shape_of(lambda: mx.nd.empty((0,))),
                "slice": _shape_of(lambda: mx.nd.ones((3,))[3:])}


def np_shape_zero_batch_fully_connected(mx):
    with mx.np_shape(True):
        y = mx.nd.FullyConnected(mx.nd.ones((0, 4)), mx.nd.ones((3, 4)), mx.nd.ones((3,)),
                                 num_hidden=3)
        return {"shape": np.array(y.shape, dtype=np.int64)}


def np_shape_tile_zero_reps(mx):
    with mx.np_shape(True):
        return {"shape": _shape_of(lambda: mx.nd.tile(mx.nd.ones((2, 3)), reps=(0, 2)))}


def np_shape_random_scalar(mx):
    with mx.np_shape(True):
        return {"shape": _shape_of(lambda: mx.nd.random.uniform(shape=()))}


def _saved_bytes(mx, arrays):
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "a.nd")
        mx.nd.save(fname, arrays)
        with open(fname, "rb") as f:
            raw = f.read()
        loaded = mx.nd.load(fname)
    return raw, loaded


def np_shape_save_load(mx):
    with mx.np_shape(True):
        arrays = {"s": mx.nd.full((), 2.5), "z": mx.nd.zeros((0, 3)),
                  "m": mx.nd.array([[1, 2], [3, 4]], dtype="int32")}
        raw, loaded = _saved_bytes(mx, arrays)
        return {"bytes": np.frombuffer(raw, np.uint8),
                "shapes": np.array([str(loaded[k].shape) for k in sorted(loaded)]),
                "s": loaded["s"].asnumpy(), "m": loaded["m"].asnumpy()}


def np_shape_file_loaded_in_legacy_mode(mx):
    with mx.np_shape(True):
        arrays = [mx.nd.ones((2,))]
        import os
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            fname = os.path.join(tmp, "a.nd")
            mx.nd.save(fname, arrays)
            with mx.np_shape(False):
                mx.nd.load(fname)
    return {}


def legacy_file_loaded_in_np_shape_mode(mx):
    import os
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "a.nd")
        mx.nd.save(fname, [mx.nd.ones((2,))])
        with mx.np_shape(True):
            mx.nd.load(fname)
    return {}


def np_shape_off_rejects_scalar(mx):
    with mx.np_shape(False):
        mx.nd.ones(())
    return {}


def np_shape_off_rejects_zero_dim(mx):
    mx.nd.zeros((0, 3))
    return {}


def np_shape_scope_restores(mx):
    before = mx.is_np_shape()
    with mx.np_shape(True):
        inside = mx.is_np_shape()
        with mx.np_shape(False):
            nested = mx.is_np_shape()
    prev = mx.set_np_shape(True)
    now = mx.is_np_shape()
    mx.set_np_shape(prev)

    @mx.use_np_shape
    def scalar():
        return mx.nd.ones(()).shape

    return {"flags": np.array([before, inside, nested, prev, now, mx.is_np_shape()]),
            "decorated": np.array(scalar(), dtype=np.int64)}


def np_shape_autograd_scalar(mx):
    with mx.np_shape(True):
        x = mx.nd.array([0.5, 1.5, 2.0])
        x.attach_grad()
        with mx.autograd.record():
            y = (mx.nd.exp(x) * x).sum()
            s = mx.nd.ones(()) * 2
            z = y * s
        z.backward()
        return {"dx": x.grad.asnumpy(), "z_shape": np.array(z.shape, dtype=np.int64)}


PROGRAMS = [v for k, v in sorted(globals().items()) if callable(v) and not k.startswith("_")
            and getattr(v, "__module__", None) == __name__]
