"""Train LeNet (convolutions + pooling written with mx.sym) on the UCI digits with Module, then
reload the checkpoint and predict with it.

The digits are 8x8 images, so the LeNet layers are scaled down (3x3 and 2x2 kernels). Training
uses ``Module.fit``; prediction builds a fresh Module from the files with ``mx.mod.Module.load``
and binds it for inference, as one would in a separate serving process.

    python examples/train_lenet.py [--epochs 10] [--batch-size 64] [--ctx cpu|gpu]
                                   [--prefix out/lenet]
"""
import argparse
import logging
import os

import numpy as np

import mxlite as mx
from train_mlp import default_context, split_digits


def lenet(num_classes=10):
    """conv -> tanh -> max-pool, twice, then FC -> tanh -> FC -> SoftmaxOutput."""
    data = mx.sym.Variable("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=20, name="conv1")
    net = mx.sym.Activation(net, act_type="tanh", name="tanh1")
    net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool1")
    net = mx.sym.Convolution(net, kernel=(2, 2), num_filter=50, name="conv2")
    net = mx.sym.Activation(net, act_type="tanh", name="tanh2")
    net = mx.sym.Pooling(net, pool_type="max", kernel=(2, 2), stride=(2, 2), name="pool2")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=128, name="fc1")
    net = mx.sym.Activation(net, act_type="tanh", name="tanh3")
    net = mx.sym.FullyConnected(net, num_hidden=num_classes, name="fc2")
    return mx.sym.SoftmaxOutput(net, name="softmax")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--ctx", choices=("cpu", "gpu"), default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prefix", default=os.path.join("out", "lenet"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    ctx = default_context() if args.ctx is None else mx.gpu(0) if args.ctx == "gpu" else mx.cpu()
    x_train, y_train, x_val, y_val = split_digits(args.seed)
    x_train, x_val = x_train.reshape(-1, 1, 8, 8), x_val.reshape(-1, 1, 8, 8)
    np.random.seed(args.seed)
    mx.random.seed(args.seed)
    batch = args.batch_size
    train_iter = mx.io.NDArrayIter(x_train, y_train, batch, shuffle=True)
    val_iter = mx.io.NDArrayIter(x_val, y_val, batch)

    net = lenet()
    mx.viz.print_summary(net, shape={"data": (batch, 1, 8, 8)})
    mod = mx.mod.Module(net, context=ctx)
    os.makedirs(os.path.dirname(os.path.abspath(args.prefix)), exist_ok=True)
    mod.fit(train_iter, eval_data=val_iter, optimizer="sgd",
            optimizer_params={"learning_rate": args.lr, "momentum": 0.9},
            initializer=mx.init.Xavier(), num_epoch=args.epochs,
            batch_end_callback=mx.callback.Speedometer(batch, frequent=10),
            epoch_end_callback=mx.callback.module_checkpoint(mod, args.prefix, args.epochs))

    # a fresh module from the checkpoint files, bound for inference only
    served = mx.mod.Module.load(args.prefix, args.epochs, context=ctx)
    served.bind(data_shapes=val_iter.provide_data, label_shapes=val_iter.provide_label,
                for_training=False)
    probs = served.predict(val_iter).asnumpy()
    predicted = probs.argmax(axis=1)
    accuracy = float((predicted == y_val.astype(int)).mean())
    print(f"reloaded {args.prefix}-{args.epochs:04d}.params: validation accuracy {accuracy:.4f}")
    print("first predictions:", predicted[:10].tolist(), "labels:",
          y_val[:10].astype(int).tolist())
    return accuracy


if __name__ == "__main__":
    main()
