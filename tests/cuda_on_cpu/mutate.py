#!/usr/bin/env python3
"""Mutation check: known-bad edits to kernels/*, each of which the test suite must catch.

For every mutation the kernel directory is copied, one exact text edit is applied, and the
gpu-marked kernel tests run on the emulated device with ``CUDA_ON_CPU_KERNELS_DIR`` pointing at
the copy (tests/emulated_gpu/cupy/_raw.py then compiles the mutated sources through the
harness). A mutation is caught when some test fails; the check fails if any mutation survives or
an edit no longer applies (the kernels changed: update the list). Run from anywhere:

    python tests/cuda_on_cpu/mutate.py [-j N] [-k NAME]

Each run stops at the first failing test (-x) and selects the tests of the mutated kernel family,
so a caught mutation costs a compile and a few seconds.
"""
import argparse
import concurrent.futures
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
KERNELS = ROOT / "kernels"

# The tests that exercise what each mutation breaks (pytest arguments).
_K = "tests/test_gpu_kernels.py"
ROWS = [_K, "-k", "last_axis"]                       # warp and block paths, every row length
BLOCK_ROWS = [_K, "-k", "many_rows and 66x"]          # block per row, blocks looping over rows
AXIS = [_K, "-k", "middle_axis"]
LENGTH = [_K, "-k", "temperature_and_length"]
ALIGN = [_K, "-k", "misaligned"]
NONFINITE = [_K, "-k", "nonfinite or nan_first"]
NEG_T = [_K, "-k", "negative_temperature"]
OUTPUT = [_K, "-k", "softmax_output"]
FC = [_K, "-k", "fc_backward"]

# (name, file, text, replacement, tests). ``text`` must occur exactly once in the file.
SOFTMAX = ROWS
MUTATIONS = [
    ("drop the barrier before reading the warp partials (group_ms)", "common.cuh",
     "      smem[32 + (threadIdx.x >> 5)] = st.s;\n    }\n    __syncthreads();\n",
     "      smem[32 + (threadIdx.x >> 5)] = st.s;\n    }\n", BLOCK_ROWS),
    ("drop the barrier that protects the previous row's partials (group_ms)", "common.cuh",
     "    __syncthreads();\n    if (lane == 0) {\n      smem[threadIdx.x >> 5] = st.m;",
     "    if (lane == 0) {\n      smem[threadIdx.x >> 5] = st.m;", BLOCK_ROWS),
    ("drop the barrier before reading the warp sums (group_sum)", "common.cuh",
     "    if (lane == 0) smem[threadIdx.x >> 5] = v;\n    __syncthreads();\n",
     "    if (lane == 0) smem[threadIdx.x >> 5] = v;\n", BLOCK_ROWS),
    ("drop the barrier in the FullyConnected bias reduction", "fully_connected.cu",
     "  smem[threadIdx.y][threadIdx.x] = acc;\n  __syncthreads();\n",
     "  smem[threadIdx.y][threadIdx.x] = acc;\n", FC),
    ("warp_sum stops one shuffle early", "common.cuh",
     "  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync",
     "  for (int off = 16; off > 1; off >>= 1) v += __shfl_xor_sync", SOFTMAX),
    ("warp_ms starts at the wrong shuffle offset", "common.cuh",
     "  for (int off = 16; off > 0; off >>= 1) {\n    MaxSum<A> o;",
     "  for (int off = 8; off > 0; off >>= 1) {\n    MaxSum<A> o;", SOFTMAX),
    ("warp_ms shuffles the sum from the wrong lane", "common.cuh",
     "    o.s = __shfl_xor_sync(0xffffffffu, st.s, off);",
     "    o.s = __shfl_down_sync(0xffffffffu, st.s, off);", SOFTMAX),
    ("group_sum reads one warp partial too many", "common.cuh",
     "    v = warp_sum(lane < nwarps ? smem[lane] : A(0));",
     "    v = warp_sum(lane <= nwarps ? smem[lane] : A(0));", BLOCK_ROWS),
    ("off-by-one in the streamed tail of the row forward", "softmax_impl.cuh",
     "  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC < len; c += G) {\n"
     "    const V v = xv[c];",
     "  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC <= len; c += G) {\n"
     "    const V v = xv[c];",
     SOFTMAX),
    ("off-by-one in the streamed tail of the axis forward", "softmax_impl.cuh",
     "    for (i64 k = CACHE; k < len; ++k) ms_add(",
     "    for (i64 k = CACHE; k <= len; ++k) ms_add(", AXIS),
    ("the row backward skips the last element of the tail", "softmax_impl.cuh",
     "  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC < len; c += G) {\n"
     "    const V a = yv[c];",
     "  for (i64 c = (i64)(CACHE / VEC) * G + tid; c * VEC + 1 < len; c += G) {\n"
     "    const V a = yv[c];", SOFTMAX),
    ("vector loads without the alignment check", "softmax_impl.cuh",
     "  const bool vec = cols % VW == 0 && is_aligned(x, 16) && is_aligned(y, 16);",
     "  const bool vec = cols % VW == 0;", ALIGN),
    ("lengths not clamped to the axis", "softmax_impl.cuh",
     "  return len < 0 ? 0 : (len > n ? n : len);", "  return len < 0 ? 0 : len;", LENGTH),
    ("NaN dropped again when it is a partial's first value", "common.cuh",
     "  return s == A(0) ? A(0) : s * acc_exp(",
     "  return m_from == neg_inf<A>() ? A(0) : s * acc_exp(",
     NONFINITE),
    ("+inf maximum counted as exp(0)", "common.cuh",
     "    st.s = rescale(st.s, st.m, x, inv_t) + (x - x + A(1));",
     "    st.s = rescale(st.s, st.m, x, inv_t) + A(1);", NONFINITE),
    ("negative temperature not folded into the sign", "softmax_impl.cuh",
     "  const A inv_t = A(1) / A(temperature < 0 ? -temperature : temperature);\n"
     "  const A sign = (negate ? A(-1) : A(1)) * (temperature < 0 ? A(-1) : A(1));\n"
     "  const bool vec",
     "  const A inv_t = A(1) / A(temperature);\n  const A sign = negate ? A(-1) : A(1);\n"
     "  const bool vec", NEG_T),
    ("softmin backward not negated", "softmax_impl.cuh",
     "  const A scale = (negate ? A(-1) : A(1)) / A(temperature);\n  const bool vec",
     "  const A scale = A(1) / A(temperature);\n  const bool vec", SOFTMAX),
    ("labels rounded instead of truncated", "common.cuh",
     "  return v != v ? (-2147483647 - 1) : __float2int_rz(v);",
     "  return v != v ? (-2147483647 - 1) : __float2int_rn(v);", OUTPUT),
    ("the 'valid' count strides by one warp", "softmax_output.cu",
     "  for (i64 i = threadIdx.x; i < nlabel; i += blockDim.x) {",
     "  for (i64 i = threadIdx.x; i < nlabel; i += 32) {", OUTPUT),
    ("label smoothing divides by K instead of K - 1", "softmax_output.cu",
     "alpha / (float)(k - 1)", "alpha / (float)k", OUTPUT),
    ("ignored labels not zeroed", "softmax_output.cu",
     "    if (use_ignore && lab == ignore) {", "    if (use_ignore && lab == ignore + 1) {",
     OUTPUT),
    ("the bias-gradient finalize drops the last chunk", "fully_connected.cu",
     "    for (i64 k = 0; k < nchunks; ++k) s += partial[k * cols + c];",
     "    for (i64 k = 0; k + 1 < nchunks; ++k) s += partial[k * cols + c];", FC),
    ("the bias-gradient tile misses its last row lane", "fully_connected.cu",
     "    for (int l = 1; l < kFcLanes; ++l) s += smem[l][threadIdx.x];",
     "    for (int l = 1; l < kFcLanes - 1; ++l) s += smem[l][threadIdx.x];", FC),
]


def apply(directory, filename, text, replacement):
    path = directory / filename
    source = path.read_text()
    count = source.count(text)
    if count != 1:
        raise ValueError(f"{filename}: the text to mutate occurs {count} times (expected once)")
    path.write_text(source.replace(text, replacement))


def run_one(mutation, timeout):
    name, filename, text, replacement, tests = mutation
    with tempfile.TemporaryDirectory(prefix="mutant.") as tmp:
        directory = pathlib.Path(tmp) / "kernels"
        shutil.copytree(KERNELS, directory)
        try:
            apply(directory, filename, text, replacement)
        except ValueError as exc:
            return name, "stale", str(exc), 0.0
        env = dict(os.environ, CUDA_ON_CPU_KERNELS_DIR=str(directory),
                   PYTHONPATH=os.pathsep.join(filter(None, [
                       str(ROOT / "tests" / "emulated_gpu"), os.environ.get("PYTHONPATH")])))
        cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "gpu",
               "--no-header", "-W", "ignore", *tests]
        start = time.monotonic()
        try:
            out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                                 timeout=timeout)
        except subprocess.TimeoutExpired:
            return name, "caught", "timed out (a hang counts as caught)", timeout
        elapsed = time.monotonic() - start
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
        if out.returncode == 1:
            return name, "caught", lines[0] if lines else "tests failed", elapsed
        if out.returncode == 0:
            return name, "survived", out.stdout.strip().splitlines()[-1], elapsed
        return name, "error", (out.stdout + out.stderr)[-2000:], elapsed


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-j", type=int, default=os.cpu_count() or 1, help="parallel runs")
    parser.add_argument("-k", default="", help="only mutations whose name contains this")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutation")
    args = parser.parse_args(argv)
    mutations = [m for m in MUTATIONS if args.k in m[0]]
    start = time.monotonic()
    bad = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        for name, status, detail, elapsed in pool.map(lambda m: run_one(m, args.timeout),
                                                      mutations):
            print(f"{status:8s} {elapsed:5.1f}s  {name}\n           {detail}", flush=True)
            bad += status != "caught"
    print(f"mutate: {len(mutations) - bad} of {len(mutations)} mutations caught in "
          f"{time.monotonic() - start:.0f}s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
