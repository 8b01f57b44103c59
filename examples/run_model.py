"""Smoke-run a network from examples/symbols: a few SGD steps on one random batch, with timings.

Builds the symbol, simple_binds it on the default context (gpu(0) when a GPU and CuPy are
present, else cpu()), initialises it with mx.init.Xavier as MXNet's image-classification scripts
do, then runs forward / backward / momentum-SGD steps on one fixed random batch and prints the loss
and the time of each step. The loss should fall: the network is fitting a single batch.

    python examples/run_model.py --network resnet --num-layers 18 --image-shape 3,32,32 \\
        --batch-size 8 --steps 5 [--ctx cpu|gpu] [--dtype float32|float16]

Builder arguments without a flag go through ``--symbol-arg KEY=VALUE`` (repeatable), e.g.
``--symbol-arg filter_list=4,4,8,8,16`` for a narrow ResNet or ``--symbol-arg alpha=0.25``.
"""
import argparse
import ast
import os
import sys
import time

import numpy as np

import mxlite as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import symbols  # noqa: E402  (lives beside this script, like MXNet's example/image-classification)

# image shapes a network is usually run at when --image-shape is not given
DEFAULT_IMAGE_SHAPE = {"mlp": "1,28,28", "lenet": "1,28,28", "inception_bn": "3,28,28"}
DEFAULT_NUM_LAYERS = {"resnet": 18, "vgg": 11}
LABEL = "softmax_label"


def parse_args(argv=None):
    """The command line as an argparse Namespace (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", required=True,
                        help=f"one of {', '.join(symbols.NETWORKS)} ('inception-bn' works too)")
    parser.add_argument("--num-layers", type=int, default=None,
                        help="depth (resnet: 18, 34, 50, ...; vgg: 11, 13, 16, 19)")
    parser.add_argument("--image-shape", default=None, help="channels,height,width")
    parser.add_argument("--num-classes", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--ctx", choices=("cpu", "gpu"), default=None,
                        help="default: gpu(0) when available, else cpu")
    parser.add_argument("--dtype", choices=("float32", "float16"), default="float32")
    parser.add_argument("--batch-norm", action="store_true", help="vgg: batch-normalised variant")
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--wd", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--symbol-arg", action="append", default=[], metavar="KEY=VALUE",
                        help="extra get_symbol argument; VALUE is a Python literal or a string")
    return parser.parse_args(argv)


def _literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def symbol_kwargs(args):
    """The get_symbol arguments the command line asks for."""
    network = args.network.replace("-", "_")
    kwargs = {"num_classes": args.num_classes, "dtype": args.dtype,
              "image_shape": args.image_shape or DEFAULT_IMAGE_SHAPE.get(network, "3,32,32")}
    num_layers = args.num_layers or DEFAULT_NUM_LAYERS.get(network)
    if num_layers is not None:
        kwargs["num_layers"] = num_layers
    if args.batch_norm:
        kwargs["batch_norm"] = True
    for item in args.symbol_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--symbol-arg expects KEY=VALUE, got {item!r}")
        kwargs[key.replace("-", "_")] = _literal(value)
    return kwargs


def choose_context(name=None):
    """``mx.gpu(0)`` or ``mx.cpu()``: the one asked for, else a GPU when one is usable."""
    if name == "gpu" or (name is None and mx.num_gpus() > 0):
        if mx.num_gpus() == 0:
            raise SystemExit("--ctx gpu: no GPU found (needs CUDA and CuPy)")
        return mx.gpu(0)
    return mx.cpu()


def initialize(net, executor, seed):
    """Xavier (gaussian, fan-in, magnitude 2) for weights, MXNet's defaults for the rest.

    Each array gets an InitDesc carrying its variable's attributes, so BatchNorm's moving
    statistics reach their own ``__init__`` (zeros / ones) as they do in MXNet's Module.
    """
    mx.random.seed(seed)
    init = mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2)
    attrs = net.attr_dict()
    for name in net.list_arguments():
        if name not in ("data", LABEL):
            init(mx.init.InitDesc(name, attrs.get(name, {})), executor.arg_dict[name])
    for name in net.list_auxiliary_states():
        init(mx.init.InitDesc(name, attrs.get(name, {})), executor.aux_dict[name])


def cross_entropy(prob, label):
    """Mean negative log-likelihood of ``label`` under the softmax output ``prob``."""
    prob = np.asarray(prob, dtype=np.float64)
    picked = prob[np.arange(len(label)), label.astype(np.int64)]
    return float(-np.mean(np.log(np.maximum(picked, 1e-30))))


def sgd_step(executor, params, velocity, master, lr, momentum, wd, rescale):
    """Momentum SGD on every parameter, in place: v = m v - lr (rescale g + wd w); w += v.

    Parameters in ``master`` (the float16 ones) are updated in their float32 master copy, which is
    then rounded into the bound array, as MXNet's SGD does with ``multi_precision=True``: small
    steps would otherwise vanish in float16 rounding.
    """
    for name in params:
        weight, grad, vel = executor.arg_dict[name], executor.grad_dict[name], velocity[name]
        if name in master:
            target, grad = master[name], grad.astype("float32")
        else:
            target = weight
        vel[:] = vel * momentum - (grad * rescale + target * wd) * lr
        target += vel
        if name in master:
            weight[:] = target.astype(weight.dtype)


def main(argv=None):
    """Run the smoke test; returns a dict with the losses and per-step timings (seconds).

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    dict
        ``network``, ``ctx``, ``num_params``, ``losses``, ``step_s`` (per step), and
        ``forward_s`` / ``backward_s`` / ``update_s`` (per step).
    """
    args = parse_args(argv)
    kwargs = symbol_kwargs(args)
    ctx = choose_context(args.ctx)
    net = symbols.get_symbol(args.network, **kwargs)
    channels, height, width = symbols.common.parse_image_shape(kwargs["image_shape"])
    data_shape = (args.batch_size, channels, height, width)
    params = [n for n in net.list_arguments() if n not in ("data", LABEL)]
    grad_req = {n: "write" if n in params else "null" for n in net.list_arguments()}
    executor = net.simple_bind(ctx, grad_req=grad_req, data=data_shape)
    initialize(net, executor, args.seed)
    num_params = sum(int(np.prod(executor.arg_dict[n].shape)) for n in params)

    rng = np.random.default_rng(args.seed)
    label = rng.integers(0, args.num_classes, size=args.batch_size)
    executor.arg_dict["data"][:] = rng.standard_normal(data_shape).astype(np.float32)
    executor.arg_dict[LABEL][:] = label.astype(np.float32)
    master = {n: executor.arg_dict[n].astype("float32") for n in params
              if executor.arg_dict[n].dtype == np.float16}
    velocity = {n: mx.nd.zeros(executor.arg_dict[n].shape, ctx=ctx, dtype=np.float32)
                for n in params}
    print(f"{args.network} {kwargs} on {ctx}: {num_params:,} parameters, data {data_shape}")

    result = {"network": args.network, "ctx": str(ctx), "num_params": num_params, "losses": [],
              "step_s": [], "forward_s": [], "backward_s": [], "update_s": []}
    for step in range(1, args.steps + 1):
        start = time.perf_counter()
        outputs = executor.forward(is_train=True)
        mx.nd.waitall()
        after_forward = time.perf_counter()
        executor.backward()
        mx.nd.waitall()
        after_backward = time.perf_counter()
        # the loss of the batch as the forward pass saw it (read before the weights move);
        # SoftmaxOutput's gradient is a sum over the batch, hence the 1/batch rescale
        loss = cross_entropy(outputs[0].asnumpy(), label)
        sgd_step(executor, params, velocity, master, args.lr, args.momentum, args.wd,
                 1.0 / args.batch_size)
        mx.nd.waitall()
        end = time.perf_counter()
        for key, value in (("losses", loss), ("step_s", end - start),
                           ("forward_s", after_forward - start),
                           ("backward_s", after_backward - after_forward),
                           ("update_s", end - after_backward)):
            result[key].append(value)
        print(f"step {step}: loss {loss:.4f}  {1e3 * (end - start):8.1f} ms "
              f"(forward {1e3 * result['forward_s'][-1]:.1f}, backward "
              f"{1e3 * result['backward_s'][-1]:.1f}, update {1e3 * result['update_s'][-1]:.1f})")
        if not np.isfinite(loss):
            print("loss is not finite: stopping")
            break
    # the first step pays for one-time work (GPU kernel compilation, allocator warm-up)
    steady = result["step_s"][1:] or result["step_s"]
    median = float(np.median(steady))
    print(f"median step {1e3 * median:.1f} ms over {len(steady)} step(s), "
          f"{args.batch_size / median:.1f} samples/s")
    return result


if __name__ == "__main__":
    main()
