"""Train an MLP written with mx.sym on the UCI handwritten digits, on the default context.

The network is MXNet 1.x symbolic code (FullyConnected / Activation / SoftmaxOutput); the update is
plain SGD with momentum written with NDArray arithmetic on ``executor.grad_dict``, as MXNet users
did before Module/Gluon. Runs on gpu(0) when a GPU and CuPy are present, else on cpu().

    python examples/train_mlp.py [--epochs 20] [--batch-size 64] [--lr 0.1] [--ctx cpu|gpu]
"""
import argparse
import gzip
import os
import sys
import time

import numpy as np

import mxlite as mx

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def load_digits(path=DATA):
    """(images (N, 64) float32 in [0, 1], labels (N,) float32) from the shipped CSV."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1] / 16.0, table[:, -1]


def mlp(num_classes=10, hidden=(128, 64)):
    """The classic mx.sym MLP: FC -> relu -> FC -> relu -> FC -> SoftmaxOutput."""
    net = mx.sym.Variable("data")
    for i, width in enumerate(hidden):
        net = mx.sym.FullyConnected(net, num_hidden=width, name=f"fc{i + 1}")
        net = mx.sym.Activation(net, act_type="relu", name=f"relu{i + 1}")
    net = mx.sym.FullyConnected(net, num_hidden=num_classes, name=f"fc{len(hidden) + 1}")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def default_context():
    return mx.gpu(0) if mx.context.num_gpus() > 0 else mx.cpu()


def progress(done, total, width=30, extra=""):
    filled = int(width * done / total)
    sys.stdout.write(f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {extra}")
    sys.stdout.flush()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--ctx", choices=("cpu", "gpu"), default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    ctx = default_context() if args.ctx is None else mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    x, y = load_digits()
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    n_train = 1500
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    batch = args.batch_size
    print(f"mxlite {mx.__version__} on {ctx}: {n_train} training and {len(x_test)} test digits, "
          f"batch {batch}")

    net = mlp()
    ex = net.simple_bind(ctx, data=(batch, 64), grad_req="write")
    params = [n for n in net.list_arguments() if n not in ("data", "softmax_label")]
    for name in params:
        arr = ex.arg_dict[name]
        fan_in = arr.shape[1] if arr.ndim == 2 else 1
        scale = np.sqrt(2.0 / fan_in) if name.endswith("weight") else 0.0
        arr[:] = rng.standard_normal(arr.shape).astype(np.float32) * scale
    velocity = {n: mx.nd.zeros(ex.arg_dict[n].shape, ctx=ctx) for n in params}
    # SoftmaxOutput does not divide its gradient by the batch size (MXNet default): scale the step
    lr = args.lr / batch

    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        perm = rng.permutation(n_train)
        steps = n_train // batch
        loss_sum, correct = 0.0, 0
        for step in range(steps):
            idx = perm[step * batch:(step + 1) * batch]
            prob = ex.forward(is_train=True, data=x_train[idx], softmax_label=y_train[idx])[0]
            ex.backward()
            for name in params:
                v = velocity[name]
                v[:] = args.momentum * v - lr * ex.grad_dict[name]
                ex.arg_dict[name][:] = ex.arg_dict[name] + v
            p = prob.asnumpy()
            labels = y_train[idx].astype(int)
            loss_sum += -np.log(np.maximum(p[np.arange(batch), labels], 1e-12)).sum()
            correct += int((p.argmax(axis=1) == labels).sum())
            progress(step + 1, steps, extra=f"loss {loss_sum / ((step + 1) * batch):.4f}")
        test_acc = evaluate(net, ex, x_test, y_test, batch, ctx)
        print(f"\repoch {epoch:3d}  loss {loss_sum / (steps * batch):.4f}  "
              f"train acc {correct / (steps * batch):.4f}  test acc {test_acc:.4f}  "
              f"({time.perf_counter() - start:.2f}s)" + " " * 20)
    return test_acc


def evaluate(net, train_ex, x, y, batch, ctx):
    """Accuracy on (x, y) with an inference executor sharing the trained weights."""
    ex = train_ex.reshape(data=(len(x), 64), softmax_label=(len(x),), allow_up_sizing=True)
    prob = ex.forward(is_train=False, data=x)[0].asnumpy()
    return float((prob.argmax(axis=1) == y.astype(int)).mean())


if __name__ == "__main__":
    main()
