"""Loading the CUDA kernels of ``kernels/``: knows no particular op.

An op family with GPU kernels has a ``<family>_cuda`` module beside it that declares its sources
(``KERNELS``: ``KernelSource`` records naming the ``.cu`` file, its ``extern "C"`` entry points and
dtypes) and holds its launchers. This module finds the sources, compiles each file with NVRTC
through ``cupy.RawModule`` the first time a kernel of it is needed on a device (one compilation per
file and device, cached), and offers the launch helpers every launcher shares (grid sizing,
contiguity, output checks). :func:`declared_kernels` collects every family's declarations, so the
NVRTC check (``.ci/nvrtc_check.py``) needs no hand-kept table.

CuPy is imported inside functions only: importing this module (or a ``*_cuda`` module) never
imports CuPy, compiles anything or touches a GPU.
"""
import functools
import hashlib
import importlib
import pathlib
import pkgutil
import threading
from dataclasses import dataclass

import numpy as np

__all__ = ["KernelSource", "declared_kernels", "kernels_dir", "kernel_function",
           "source_function", "compile_all_sources_with_nvrtc", "nvrtc_options", "DTYPE_SUFFIX",
           "dtype_suffix", "sm_count", "grid_size", "contiguous", "output_like"]

#: Options mxlite passes to ``cupy.RawModule``; CuPy adds its own (see :func:`nvrtc_options`).
MODULE_OPTIONS = ("--std=c++17",)

DTYPE_SUFFIX = {np.dtype(np.float16): "float16", np.dtype(np.float32): "float32",
                np.dtype(np.float64): "float64"}


@dataclass(frozen=True)
class KernelSource:
    """One ``kernels/<filename>`` and the entry points a family's launchers call in it.

    ``entries`` are names with a ``{dt}`` placeholder, expanded for each of ``dtypes``
    (``softmax_fwd_{dt}`` -> ``softmax_fwd_float32`` ...), as the sources define them with
    ``extern "C"`` wrappers of templates.
    """

    filename: str
    entries: tuple
    dtypes: tuple = ("float16", "float32", "float64")

    def entry_points(self):
        return tuple(e.format(dt=dt) for e in self.entries for dt in self.dtypes)


def declared_kernels():
    """``{filename: entry points}`` from the ``KERNELS`` of every ``<family>_cuda`` module."""
    out = {}
    for info in sorted(pkgutil.iter_modules(_package_path()),
                       key=lambda m: m.name):
        if info.name.endswith("_cuda"):
            module = importlib.import_module(f"{__package__}.{info.name}")
            for source in module.KERNELS:
                out.setdefault(source.filename, ())
                out[source.filename] += source.entry_points()
    return out


def _package_path():
    return [str(pathlib.Path(__file__).resolve().parent)]


def dtype_suffix(dtype):
    """Entry point suffix of a floating dtype; ValueError for dtypes the kernels lack."""
    try:
        return DTYPE_SUFFIX[np.dtype(dtype)]
    except KeyError:
        raise ValueError(f"mxlite CUDA kernels support float16/32/64, not {np.dtype(dtype)}") \
            from None


def kernels_dir():
    """Directory holding the ``.cu`` sources.

    A wheel ships them as ``mxlite/kernels/``; a source checkout has them at the repository's
    top level. The first that exists wins.
    """
    package = pathlib.Path(__file__).resolve().parent.parent
    for candidate in (package / "kernels", package.parent / "kernels"):
        if (candidate / "common.cuh").is_file():
            return candidate
    raise RuntimeError(f"mxlite CUDA kernel sources not found (looked in {package / 'kernels'} "
                       f"and {package.parent / 'kernels'}); the installation is incomplete")


def _source(filename):
    """Source of one ``.cu`` file, tagged with a digest of the headers.

    CuPy's kernel cache is keyed by the source text and options, not by included files, so an
    edited ``.cuh`` would otherwise leave stale binaries in ``~/.cupy/kernel_cache``. The tag goes
    last so compiler line numbers stay right.
    """
    directory = kernels_dir()
    digest = hashlib.sha256()
    for header in sorted(directory.glob("*.cuh")):
        digest.update(header.name.encode() + b"\0" + header.read_bytes())
    text = (directory / filename).read_text()
    return f"{text}\n// mxlite headers sha256 {digest.hexdigest()}\n"


_lock = threading.Lock()
_modules = {}    # (filename, device id) -> cupy.RawModule
_functions = {}  # (filename, entry, device id) -> cupy.RawKernel-like function


def kernel_function(filename, entry):
    """The compiled entry point ``entry`` of ``kernels/<filename>`` on the current device.

    The file is compiled once per device, on first use.
    """
    import cupy

    device = cupy.cuda.runtime.getDevice()
    key = (filename, entry, device)
    function = _functions.get(key)
    if function is None:
        with _lock:
            module = _modules.get((filename, device))
            if module is None:
                options = MODULE_OPTIONS + ("-I" + str(kernels_dir()),)
                module = cupy.RawModule(code=_source(filename), options=options)
                _modules[(filename, device)] = module
            function = module.get_function(entry)
            _functions[key] = function
    return function


def source_function(code, entry):
    """The entry point ``entry`` of generated CUDA source ``code`` (fused element-wise groups) on
    the current device, compiled once per source text and device, with the options and include
    directory of the ``kernels/`` sources."""
    import cupy

    device = cupy.cuda.runtime.getDevice()
    digest = hashlib.sha256(code.encode()).hexdigest()
    key = ("<generated>", digest, entry, device)
    function = _functions.get(key)
    if function is None:
        with _lock:
            module = _modules.get(("<generated>", digest, device))
            if module is None:
                options = MODULE_OPTIONS + ("-I" + str(kernels_dir()),)
                module = cupy.RawModule(code=code, options=options)
                _modules[("<generated>", digest, device)] = module
            function = module.get_function(entry)
            _functions[key] = function
    return function


def nvrtc_options(arch):
    """The NVRTC options ``cupy.RawModule`` ends up using for our sources on ``sm_<arch>``.

    CuPy (``cupy._core.core.compile_with_cache`` and ``cupy.cuda.compiler``) prepends its bundled
    CCCL include paths, appends its own include directory and the CUDA headers' directory, then
    adds ``-ftz=true``, ``-arch=sm_XX`` (it compiles straight to cubin) and
    ``--device-as-default-execution-space``.
    """
    base = MODULE_OPTIONS + ("-I" + str(kernels_dir()),)
    try:
        from cupy._core.core import assemble_cupy_compiler_options
        options = tuple(assemble_cupy_compiler_options(base))
    except (ImportError, AttributeError):  # a CuPy without the helper: rebuild the essentials
        import cupy
        from cupy import _environment
        include = pathlib.Path(cupy.__file__).parent / "_core" / "include"
        options = base + ("-I" + str(include),)
        cuda_path = _environment.get_cuda_path()
        if cuda_path:
            options += ("-I" + str(pathlib.Path(cuda_path) / "include"),)
    return options + ("-ftz=true", f"-arch=sm_{arch}", "--device-as-default-execution-space")


def compile_all_sources_with_nvrtc(arch):
    """Compile every ``kernels/*.cu`` with NVRTC for ``sm_<arch>``; needs no GPU.

    Returns a list of ``(filename, ok, log)``. ``ok`` is False on a compile error, on any
    warning in the log, when an entry point a family declares is missing from the cubin (which
    catches a launcher and a kernel drifting apart), or when no family declares the file.
    """
    from cupy.cuda import nvrtc

    options = nvrtc_options(arch)
    declared = declared_kernels()
    results = []
    for path in sorted(kernels_dir().glob("*.cu")):
        program = nvrtc.createProgram(_source(path.name), path.name, (), ())
        try:
            try:
                nvrtc.compileProgram(program, options)
                compiled = True
            except nvrtc.NVRTCError:
                compiled = False
            log = nvrtc.getProgramLog(program).strip("\x00").strip()
            ok = compiled and "warning" not in log.lower() and "error" not in log.lower()
            if compiled:
                cubin = nvrtc.getCUBIN(program)
                missing = [e for e in declared.get(path.name, ())
                           if e.encode() + b"\0" not in cubin]
                if missing:
                    ok = False
                    log = (log + "\n" if log else "") + "missing entry points: " + \
                        ", ".join(missing)
        finally:
            nvrtc.destroyProgram(program)
            if path.name not in declared:
                ok = False
                log = (log + "\n" if log else "") + "no <family>_cuda module declares this file"
        results.append((path.name, ok, log))
    missing_files = sorted(set(declared) - {name for name, _, _ in results})
    results += [(name, False, "source file not found") for name in missing_files]
    return results


# ----- helpers shared by the launchers ------------------------------------------------------------
#: grid-stride kernels never launch more blocks than this per SM
MAX_BLOCKS_PER_SM = 32


@functools.lru_cache(maxsize=None)
def sm_count(device_id):
    """Streaming multiprocessors of a device."""
    import cupy
    return cupy.cuda.Device(device_id).attributes["MultiProcessorCount"]


def grid_size(work_items, per_block, device_id):
    """Blocks for a grid-stride kernel: enough to cover the work, capped per SM."""
    return max(1, min(-(-work_items // per_block), sm_count(device_id) * MAX_BLOCKS_PER_SM))


def contiguous(a):
    """``a`` in C order (a copy only when it is not)."""
    import cupy
    return cupy.ascontiguousarray(a)


def output_like(out, like, what):
    """``out`` checked against ``like`` (shape, dtype, C order), or a new array."""
    import cupy
    if out is None:
        return cupy.empty(like.shape, dtype=like.dtype)
    if out.shape != like.shape or out.dtype != like.dtype or not out.flags.c_contiguous:
        raise ValueError(f"{what}: out must be a C-contiguous {like.dtype} array of shape "
                         f"{like.shape}, got {out.dtype} {out.shape}")
    return out
