"""mx.profiler: per-step timings as a Chrome trace and an aggregate table."""
import json

import numpy as np
import pytest

import mxlite as mx


def _train_steps(n=3):
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=4, name="fc1")
    net = mx.sym.SoftmaxOutput(mx.sym.Activation(net, act_type="relu"), name="softmax")
    ex = net.simple_bind(mx.cpu(), data=(2, 3))
    for _ in range(n):
        ex.forward(is_train=True, data=np.ones((2, 3), "float32"))
        ex.backward()
    return ex


def test_trace_and_table(tmp_path):
    fname = str(tmp_path / "profile.json")
    mx.profiler.set_config(profile_all=True, filename=fname, aggregate_stats=True)
    mx.profiler.set_state("run")
    _train_steps(3)
    mx.profiler.pause()
    _train_steps(5)  # not recorded
    mx.profiler.resume()
    table = mx.profiler.dumps(sort_by="count")
    mx.profiler.set_state("stop")
    mx.profiler.dump()
    with open(fname) as f:
        trace = json.load(f)
    events = [e for e in trace["traceEvents"] if e.get("ph") == "X"]
    names = [e["name"] for e in events]
    assert names.count("FullyConnected") == 3 and names.count("_backward_FullyConnected") == 3
    assert names.count("forward") == 3 and names.count("backward") == 3
    assert all(e["dur"] >= 0 and "ts" in e for e in events)
    assert "FullyConnected" in table and "Total Count" in table and "operator" in table
    # stopped: nothing more is recorded
    _train_steps(1)
    assert "FullyConnected" not in mx.profiler.dumps()


def test_annotations_and_bad_options(tmp_path):
    mx.profiler.set_config(filename=str(tmp_path / "p.json"))
    mx.profiler.set_state("run")
    dom = mx.profiler.Domain("train")
    with dom.new_task("step"):
        pass
    counter = dom.new_counter("samples", 0)
    counter += 5
    dom.new_marker("here").mark()
    stats = json.loads(mx.profiler.dumps(format="json", reset=True))
    assert "step" in stats["Time"]["train:task"]
    mx.profiler.set_state("stop")
    with pytest.raises(mx.MXNetError, match="unknown option.*profile_everything"):
        mx.profiler.set_config(profile_everything=True)
    with pytest.raises(ValueError, match="sort_by"):
        mx.profiler.dumps(sort_by="median")


def test_imperative_ops_are_timed(tmp_path):
    mx.profiler.set_config(profile_imperative=True, filename=str(tmp_path / "i.json"))
    mx.profiler.set_state("run")
    a = mx.nd.ones((3, 3))
    mx.nd.dot(a, a)
    table = mx.profiler.dumps(reset=True)
    mx.profiler.set_state("stop")
    mx.profiler.set_config(profile_imperative=False)
    assert "imperative" in table and "dot" in table
