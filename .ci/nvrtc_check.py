#!/usr/bin/env python3
"""Compile every kernels/*.cu with NVRTC for sm_80 and sm_90; fail on any error or warning.

Needs CuPy and the NVRTC library (``pip install cupy-cuda13x nvidia-cuda-nvrtc``), not a GPU. The
options are the ones ``cupy.RawModule`` uses at run time (``mxlite.ops.cuda.nvrtc_options``). Prints
one line per file and architecture, the compiler log under a failure, and exits 1 if anything
failed (2 if CuPy or NVRTC is missing).

    python .ci/nvrtc_check.py [--arch 80 90 ...]
"""
import argparse
import importlib
import pathlib
import sys
import types

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_cuda_module():
    """Import mxlite.ops.cuda without running mxlite/__init__.py, so the kernel check does not
    depend on the rest of the package importing cleanly."""
    for name, path in (("mxlite", ROOT / "mxlite"), ("mxlite.ops", ROOT / "mxlite" / "ops")):
        if name not in sys.modules:
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
    return importlib.import_module("mxlite.ops.cuda")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=["80", "90"],
                        help="compute capabilities without the dot (default: 80 90)")
    args = parser.parse_args(argv)
    cuda = load_cuda_module()
    try:
        from cupy.cuda import nvrtc
        version = nvrtc.getVersion()
    except Exception as exc:  # ImportError, or the NVRTC shared library failing to load
        print(f"nvrtc_check: CuPy with NVRTC is required: {exc}", file=sys.stderr)
        return 2
    print(f"NVRTC {version[0]}.{version[1]}, kernels in {cuda.kernels_dir()}")
    failed = 0
    for arch in args.arch:
        print(f"options sm_{arch}: {' '.join(cuda.nvrtc_options(arch))}")
        for filename, ok, log in cuda.compile_all_sources_with_nvrtc(arch):
            print(f"{'ok  ' if ok else 'FAIL'} {filename} sm_{arch}")
            if log:
                print("     " + log.replace("\n", "\n     "))
            failed += not ok
    if failed:
        print(f"nvrtc_check: {failed} compilation(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
