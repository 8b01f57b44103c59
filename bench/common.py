"""Shared helpers for the benchmark scripts: timing, machine description, result files."""
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def median_time(fn, repeat=200, warmup=20, min_time=0.0):
    """Median seconds of ``fn()`` over ``repeat`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat or time.perf_counter() - start < min_time:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def step_times(step, n):
    """Seconds of each of ``n`` calls of ``step``."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return times


def time_summary(times):
    """Median, quartiles and minimum of ``times`` (seconds) in milliseconds."""
    import numpy as np
    ms = np.asarray(times) * 1e3
    return {"median_ms": round(float(np.median(ms)), 3),
            "p25_ms": round(float(np.percentile(ms, 25)), 3),
            "p75_ms": round(float(np.percentile(ms, 75)), 3),
            "min_ms": round(float(ms.min()), 3), "runs": len(ms)}


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
    except OSError:
        return ""
    return names[0] if names else ""


def machine():
    import numpy
    info = {"python": platform.python_version(), "numpy": numpy.__version__,
            "machine": platform.machine(), "processor": platform.processor() or "unknown",
            "cpus": os.cpu_count(), "date": datetime.date.today().isoformat(),
            "platform": platform.platform(), "cpu": _cpu_model()}
    try:
        import torch
        info["torch"] = torch.__version__
    except ImportError:
        pass
    return info


def write_results(name, device, payload):
    """Write ``payload`` to bench/results/<date>-<device>-<name>.json and return the path."""
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, f"{datetime.date.today().isoformat()}-{device}-{name}.json")
    with open(path, "w") as f:
        json.dump(payload, f, indent=1, sort_keys=True)
        f.write("\n")
    return path


def mxnet_python():
    """A Python with the real MXNet 1.9.1 installed: env MXNET_PYTHON, else a ``mxnet-venv`` beside
    the repository (``python3 -m venv ../mxnet-venv && ../mxnet-venv/bin/pip install mxnet==1.9.1
    numpy==1.23.5``); None when neither exists."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    default = os.path.join(os.path.dirname(repo), "mxnet-venv", "bin", "python")
    for cand in (os.environ.get("MXNET_PYTHON"), default):
        if cand and os.path.exists(cand):
            return cand
    return None


def run_with_mxnet(script, args):
    """Run ``script --impl mxnet`` under the MXNet Python; return its JSON stdout or None."""
    py = mxnet_python()
    if py is None:
        return None
    proc = subprocess.run([py, script, "--impl", "mxnet", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(f"MXNet baseline failed: {proc.stderr[-2000:]}\n")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])
