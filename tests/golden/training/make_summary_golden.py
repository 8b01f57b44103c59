"""Record MXNet 1.9.1's ``mx.viz.print_summary`` table (print_summary.txt beside this file).

    ../mxnet-venv/bin/python tests/golden/training/make_summary_golden.py mx \
        > tests/golden/training/print_summary.txt

With the argument ``lite`` it prints mxlite's table instead (for a diff).
"""
import sys
if sys.argv[1] == 'mx':
    import mxnet as mx
else:
    import mxlite as mx
data = mx.sym.Variable("data")
net = mx.sym.Convolution(data, kernel=(3, 3), num_filter=3, name="conv1")
net = mx.sym.BatchNorm(net, name="bn1")
net = mx.sym.Activation(net, act_type="relu", name="relu1")
net = mx.sym.Pooling(net, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool1")
net = mx.sym.FullyConnected(mx.sym.Flatten(net, name="flat"), num_hidden=3, name="fc")
net2 = mx.sym.FullyConnected(data, num_hidden=3, name="fc_b", no_bias=True)
net = mx.sym.SoftmaxOutput(net + net2, name="softmax")
mx.viz.print_summary(net, shape={"data": (1, 1, 6, 6)})
mx.viz.print_summary(net)
