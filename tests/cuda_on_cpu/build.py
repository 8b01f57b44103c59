"""Compile a CUDA source as C++20 into a shared library the harness can launch from.

Steps: preprocess the source once in scan mode to find its ``extern "C" __global__`` entry points
and their ``__launch_bounds__``; write a wrapper that includes the source and registers each
entry point (``MXCPU_KERNEL``); compile the wrapper with g++, the force-included
``include/cuda_on_cpu.h`` and UBSan (bounds, alignment, ...) in trap mode. Libraries are cached
under ``$CUDA_ON_CPU_CACHE`` (default ``~/.cache/mxlite/cuda_on_cpu``), keyed by the source, every
header in the include directories, the harness header, the flags and the compiler version.
"""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
INCLUDE = HERE / "include"
HEADER = INCLUDE / "cuda_on_cpu.h"

CXX = os.environ.get("CUDA_ON_CPU_CXX", "g++")
SANITIZE = ("bounds", "alignment", "object-size", "null", "shift", "integer-divide-by-zero",
            "signed-integer-overflow", "vla-bound", "return", "bool", "enum")
FLAGS = ("-std=c++20", "-O1", "-g1", "-fPIC", "-shared", "-fno-omit-frame-pointer",
         "-fvisibility=hidden", "-fvisibility-inlines-hidden", "-fno-gnu-unique",
         "-U_FORTIFY_SOURCE", "-fno-strict-aliasing", "-ffp-contract=off",
         "-fsanitize=" + ",".join(SANITIZE), "-fsanitize-undefined-trap-on-error",
         "-Wno-attributes")

_ENTRY = re.compile(r'extern\s+"C"\s+(?:__mxcpu_global__\s+)?(?:void\s+)?'
                    r'(?:__mxcpu_global__\s+)?(?:void\s+)?'
                    r'(?:__mxcpu_bounds__\s*\(\s*([^,)]+)[^)]*\)\s*)?(\w+)\s*\(')


class BuildError(RuntimeError):
    """g++ rejected a source (the message holds the compiler output)."""


def cache_dir():
    root = os.environ.get("CUDA_ON_CPU_CACHE")
    return pathlib.Path(root) if root else pathlib.Path.home() / ".cache" / "mxlite" / "cuda_on_cpu"


def compiler_version():
    try:
        out = subprocess.run([CXX, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BuildError(f"cuda_on_cpu needs {CXX} (g++ 12 or newer): {exc}") from None
    return out.stdout.splitlines()[0]


def _include_args(include_dirs):
    return [f"-I{INCLUDE}"] + [f"-I{d}" for d in include_dirs]


def _key(code, include_dirs, defines):
    digest = hashlib.sha256()
    for part in (code, HEADER.read_text(), " ".join(FLAGS), compiler_version(),
                 " ".join(defines)):
        digest.update(part.encode() + b"\0")
    for d in include_dirs:
        for path in sorted(pathlib.Path(d).glob("*")):
            if path.suffix in (".h", ".cuh", ".hpp") and path.is_file():
                digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def entry_points(source_path, include_dirs, defines=()):
    """[(name, launch bounds or 0)] of the extern "C" __global__ functions in a source file."""
    cmd = [CXX, "-std=c++20", "-E", "-P", "-x", "c++", "-DMXCPU_SCAN", "-include", str(HEADER),
           *_include_args(include_dirs), *defines, str(source_path)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        raise BuildError(f"preprocessing {source_path} failed:\n{out.stderr}")
    text = re.sub(r"\s+", " ", out.stdout)
    found = []
    for match in _ENTRY.finditer(text):
        head = match.group(0)
        if "__mxcpu_global__" not in head:
            continue
        bounds = int(match.group(1)) if match.group(1) else 0
        if match.group(2) not in (name for name, _ in found):
            found.append((match.group(2), bounds))
    return found


def build(code, include_dirs=(), filename="kernel.cu", defines=()):
    """Path of the shared library for ``code`` (built now unless cached) and its entry points.

    ``filename`` names the source in diagnostics and in fault locations (``#line``).
    """
    include_dirs = [str(pathlib.Path(d).resolve()) for d in include_dirs]
    defines = tuple(defines)
    key = _key(code + "\0" + filename, include_dirs, defines)
    out_dir = cache_dir() / key
    lib = out_dir / "kernels.so"
    if lib.is_file():
        return lib
    cache_dir().mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=key + ".", dir=cache_dir()))
    try:
        src = tmp / "source.cu"
        src.write_text(f'#line 1 "{filename}"\n{code}')
        entries = entry_points(src, include_dirs, defines)
        wrapper = tmp / "wrapper.cpp"
        lines = [f'#include "{src}"'] + [f"MXCPU_KERNEL({n}, {b})" for n, b in entries]
        wrapper.write_text("\n".join(lines) + "\n")
        cmd = [CXX, *FLAGS, "-include", str(HEADER), *_include_args(include_dirs), *defines,
               "-o", str(tmp / "kernels.so"), str(wrapper)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            raise BuildError(f"g++ failed on {filename}:\n{out.stderr}")
        try:
            tmp.rename(out_dir)
        except OSError:  # built concurrently by another process: use theirs
            pass
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return lib
