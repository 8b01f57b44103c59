"""Record MXNet 1.9.1's 2-bit gradient compression on a 'device' kvstore (CPU contexts).

    ../mxnet-venv/bin/python tests/golden/kvstore/make_compression_golden.py

Writes compression.json beside this script: for each case the pushed values (one list per step,
one vector per device), the threshold, whether an SGD optimizer runs on the store, and what a pull
returned after every push. Also the messages of the two errors (unknown type, 'local' store).
"""
import json
import os

import mxnet as mx
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def run(case):
    kv = mx.kv.create("device")
    kv.set_gradient_compression({"type": "2bit", "threshold": case["threshold"]})
    n = len(case["init"])
    kv.init(7, mx.nd.array(case["init"]))
    if case.get("sgd"):
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=case["sgd"], rescale_grad=1.0))
    pulled = []
    for step in case["pushes"]:
        vals = [mx.nd.array(v, ctx=mx.cpu(i)) for i, v in enumerate(step)]
        kv.push(7, vals if len(vals) > 1 else vals[0])
        out = mx.nd.zeros((n,))
        kv.pull(7, out)
        pulled.append(out.asnumpy().tolist())
    return pulled


def main():
    rng = np.random.RandomState(15)
    g = [0.3, 0.6, -0.7, -0.2, 1.4]
    cases = {
        "one_device": {"threshold": 0.5, "init": [0.0] * 5, "pushes": [[g]] * 4},
        "two_devices": {"threshold": 0.5, "init": [0.0] * 5,
                        "pushes": [[g, [-x for x in g]], [g, g], [[0.45] * 5, [0.05] * 5]]},
        "sgd_on_store": {"threshold": 0.25, "sgd": 0.1, "init": [1.0] * 5,
                         "pushes": [[g]] * 3},
        "random_37": {"threshold": 0.3, "init": [0.0] * 37,
                      "pushes": [[rng.uniform(-0.6, 0.6, 37).astype(np.float32).tolist(),
                                  rng.uniform(-0.6, 0.6, 37).astype(np.float32).tolist()]
                                 for _ in range(3)]},
    }
    for case in cases.values():
        case["pulled"] = run(case)
    errors = {}
    try:
        mx.kv.create("device").set_gradient_compression({"type": "1bit", "threshold": 0.5})
    except Exception as e:  # noqa: BLE001
        errors["1bit"] = str(e).strip().splitlines()[-1]
    try:
        mx.kv.create("local").set_gradient_compression({"type": "2bit", "threshold": 0.5})
    except Exception as e:  # noqa: BLE001
        errors["local"] = str(e)
    with open(os.path.join(HERE, "compression.json"), "w") as f:
        json.dump({"mxnet": mx.__version__, "cases": cases, "errors": errors}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
