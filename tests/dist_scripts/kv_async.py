"""A worker of the distributed tests: 'dist_async' pushes, barrier, optimizer states.

    kv_async.py OUT_DIR

Every worker pushes ones three times with momentum SGD; after the barrier all pushes are applied,
so every worker pulls the same weights and saves the same states (fetched from rank 0's server).
"""
import json
import os
import sys

import mxlite as mx


def main():
    out_dir = sys.argv[1]
    kv = mx.kv.create("dist_async")
    kv.init("w", mx.nd.ones((3,)))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    for _ in range(3):
        kv.push("w", mx.nd.ones((3,)))
    kv.barrier()
    fname = os.path.join(out_dir, f"states{kv.rank}")
    kv.save_optimizer_states(fname)
    out = mx.nd.zeros((3,))
    kv.pull("w", out)
    with open(os.path.join(out_dir, f"rank{kv.rank}.json"), "w") as f:
        json.dump({"w": out.asnumpy().tolist(), "num_workers": kv.num_workers}, f)


if __name__ == "__main__":
    main()
