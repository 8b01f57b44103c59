"""A worker of the distributed tests: the KVStore API on 'dist_sync' / 'dist_async'.

    kv_api.py OUT_DIR GOLDEN_JSON

Writes OUT_DIR/rank<r>.json with what it saw; the test compares with the expected values.
"""
import json
import os
import sys


import mxlite as mx


def main():
    out_dir, golden = sys.argv[1:3]
    seen = {}
    kv = mx.kv.create("dist_sync")
    r, n = kv.rank, kv.num_workers
    seen["rank"], seen["num_workers"], seen["type"] = r, n, kv.type
    # init takes rank 0's value; list keys; str and int keys
    kv.init(["a", "b"], [mx.nd.full((2, 3), r + 1), mx.nd.full((4,), 10 * (r + 1))])
    kv.init(5, mx.nd.zeros((3,)))
    out = [mx.nd.zeros((2, 3)), mx.nd.zeros((2, 3))]
    kv.pull("a", out=out)
    seen["init_pull"] = [o.asnumpy().tolist() for o in out]
    # push of two devices' values, summed over devices and workers
    kv.push("a", [mx.nd.full((2, 3), r), mx.nd.full((2, 3), 1)])
    kv.pull("a", out=out[0])
    seen["push_sum"] = out[0].asnumpy().tolist()
    # pushpull in place, and into out
    v = mx.nd.full((4,), r + 1)
    kv.pushpull("b", v)
    seen["pushpull"] = v.asnumpy().tolist()
    # broadcast: rank 0's value everywhere
    dst = mx.nd.zeros((3,))
    kv.broadcast("c", mx.nd.full((3,), 7 + r), out=dst)
    seen["broadcast"] = dst.asnumpy().tolist()
    # optimizer on the store; states saved and loaded
    kv.set_optimizer(mx.optimizer.create("sgd", learning_rate=0.1, momentum=0.9,
                                         rescale_grad=1.0 / n))
    w = mx.nd.zeros((3,))
    for step in range(3):
        kv.push(5, mx.nd.full((3,), float(r + step)))
        kv.pull(5, out=w)
    seen["sgd"] = w.asnumpy().tolist()
    fname = os.path.join(out_dir, f"states{r}")
    kv.save_optimizer_states(fname)
    kv.load_optimizer_states(fname)
    kv.push(5, mx.nd.ones((3,)))
    kv.pull(5, out=w)
    seen["sgd_after_reload"] = w.asnumpy().tolist()
    kv.barrier()
    # 2-bit compression: each worker is one 'device' of MXNet's two-device golden case
    case = json.load(open(golden))["cases"]["two_devices"]
    kvc = mx.kv.create("dist_sync")
    kvc.set_gradient_compression({"type": "2bit", "threshold": case["threshold"]})
    kvc.init(7, mx.nd.array(case["init"]))
    pulled = []
    for step in case["pushes"]:
        kvc.push(7, mx.nd.array(step[r]))
        o = mx.nd.zeros((len(case["init"]),))
        kvc.pull(7, out=o)
        pulled.append(o.asnumpy().tolist())
    seen["compressed"] = pulled
    # metrics reduced over the workers
    metric = mx.metric.Accuracy()
    metric.update([mx.nd.array([0, 1])], [mx.nd.array([[1, 0], [1, 0]]) if r else
                                          mx.nd.array([[1, 0], [0, 1]])])
    from mxlite.kvstore.dist import reduce_metric
    seen["metric"] = reduce_metric(metric, kv).get()[1]
    with open(os.path.join(out_dir, f"rank{r}.json"), "w") as f:
        json.dump(seen, f)


if __name__ == "__main__":
    main()
