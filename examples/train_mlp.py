"""Train an MLP written with mx.sym on the UCI handwritten digits with ``mx.mod.Module.fit``.

What an MXNet 1.x user writes: an ``NDArrayIter`` over the data, a ``Module`` around the
symbol, ``fit`` with an optimizer by name, a metric and callbacks. Progress shows as a tqdm bar on
a terminal (plain log lines otherwise); at the end the script prints the validation accuracy,
saves a checkpoint (``<prefix>-symbol.json`` / ``<prefix>-%04d.params``) and, with ``--plot`` and
matplotlib (the ``plot`` extra), a PNG of loss and accuracy per epoch. Runs on gpu(0) when a GPU
and CuPy are present, else on cpu().

    python examples/train_mlp.py [--epochs 20] [--batch-size 64] [--lr 0.1] [--ctx cpu|gpu]
                                 [--prefix out/mlp] [--plot out/mlp.png]
"""
import argparse
import gzip
import logging
import os

import numpy as np

import mxlite as mx

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")


def load_digits(path=DATA):
    """(images (N, 64) float32 in [0, 1], labels (N,) float32) from the shipped CSV."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1] / 16.0, table[:, -1]


def split_digits(seed=0, n_train=1500):
    """A seeded shuffle of the digits split into (x_train, y_train, x_val, y_val)."""
    x, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


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


class History:
    """Epoch-end and eval-end callbacks recording the metrics of every epoch."""

    def __init__(self, train_metric):
        self.train_metric = train_metric
        self.rows = []

    def on_epoch(self, epoch, symbol, arg_params, aux_params):
        self.rows.append({"epoch": epoch + 1, **{f"train-{n}": v for n, v in
                                                 self.train_metric.get_global_name_value()}})

    def on_validation(self, param):
        self.rows[-1].update({f"val-{n}": v for n, v in param.eval_metric.get_name_value()})


def save_plot(rows, path):
    """Loss and accuracy per epoch as a PNG (needs matplotlib: pip install "mxlite[plot]")."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print('--plot needs matplotlib: pip install "mxlite[plot]"')
        return
    epochs = [r["epoch"] for r in rows]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [r["train-cross-entropy"] for r in rows], label="train")
    ax_loss.plot(epochs, [r["val-cross-entropy"] for r in rows], label="validation")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy")
    ax_acc.plot(epochs, [r["train-accuracy"] for r in rows], label="train")
    ax_acc.plot(epochs, [r["val-accuracy"] for r in rows], label="validation")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved {path}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--ctx", choices=("cpu", "gpu"), default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default=os.path.join("out", "mlp"),
                        help="checkpoint prefix (default: out/mlp)")
    parser.add_argument("--plot", default=None, help="write a PNG of the curves here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    ctx = default_context() if args.ctx is None else mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    x_train, y_train, x_val, y_val = split_digits(args.seed)
    np.random.seed(args.seed)  # NDArrayIter shuffles with NumPy's global generator, as MXNet
    mx.random.seed(args.seed)
    batch = args.batch_size
    train_iter = mx.io.NDArrayIter(x_train, y_train, batch, shuffle=True)
    val_iter = mx.io.NDArrayIter(x_val, y_val, batch)
    print(f"mxlite {mx.__version__} on {ctx}: {len(x_train)} training and {len(x_val)} "
          f"validation digits, batch {batch}")

    mod = mx.mod.Module(mlp(), context=ctx)
    train_metric = mx.metric.create(["acc", "ce"])
    history = History(train_metric)
    batches = -(-len(x_train) // batch)
    os.makedirs(os.path.dirname(os.path.abspath(args.prefix)), exist_ok=True)
    mod.fit(train_iter, eval_data=val_iter, eval_metric=train_metric,
            validation_metric=mx.metric.create(["acc", "ce"]),
            optimizer="sgd",
            optimizer_params={"learning_rate": args.lr, "momentum": args.momentum, "wd": 1e-4},
            initializer=mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2),
            num_epoch=args.epochs,
            batch_end_callback=mx.callback.TrainingProgress(total=batches, frequent=10),
            epoch_end_callback=[history.on_epoch,
                                mx.callback.do_checkpoint(args.prefix, period=args.epochs)],
            eval_end_callback=history.on_validation)
    accuracy = dict(mod.score(val_iter, "acc"))["accuracy"]
    print(f"final validation accuracy: {accuracy:.4f}")
    print(f"checkpoint: {args.prefix}-symbol.json, {args.prefix}-{args.epochs:04d}.params")
    if args.plot:
        save_plot(history.rows, args.plot)
    return accuracy


if __name__ == "__main__":
    main()
