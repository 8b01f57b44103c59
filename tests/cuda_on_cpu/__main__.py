"""Command line: build (and cache) the harness libraries ahead of the tests, in parallel.

    PYTHONPATH=tests python -m cuda_on_cpu build [FILE.cu ...]

Without files: every kernels/*.cu, with the exact source text mxlite hands to ``RawModule``
(so the emulated device then finds them in the cache), and the self-test kernels.
"""
import argparse
import concurrent.futures
import os
import pathlib
import sys
import time

from . import build

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _mxlite_source(path):
    """The text mxlite compiles for ``path`` (its ``.cu`` plus a header digest), if importable."""
    sys.path.insert(0, str(ROOT))
    try:
        from mxlite.ops import cuda
        return cuda._source(path.name)
    except Exception:  # noqa: BLE001  (an older or restructured mxlite: build the file as is)
        return path.read_text()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cuda_on_cpu")
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("build", help="compile sources into the cache")
    cmd.add_argument("files", nargs="*", type=pathlib.Path)
    cmd.add_argument("-j", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    jobs = []
    if args.files:
        jobs = [(p.read_text(), [p.resolve().parent], p.name) for p in args.files]
    else:
        kernels = ROOT / "kernels"
        jobs = [(_mxlite_source(p), [kernels], p.name) for p in sorted(kernels.glob("*.cu"))]
        selftest = pathlib.Path(__file__).parent / "selftest.cu"
        jobs.append((selftest.read_text(), [selftest.parent], selftest.name))
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as pool:
        futures = {pool.submit(build.build, code, dirs, name): name for code, dirs, name in jobs}
        for future in concurrent.futures.as_completed(futures):
            print(f"built {futures[future]}: {future.result()}")
    print(f"cuda_on_cpu: {len(jobs)} libraries in {time.monotonic() - start:.1f}s "
          f"(cache {build.cache_dir()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
