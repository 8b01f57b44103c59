"""CUDA kernels for the GPU overrides of softmax, SoftmaxOutput and FullyConnected.

This is the only module that touches ``kernels/``. It finds the ``.cu`` sources, compiles each file
with NVRTC through ``cupy.RawModule`` the first time a kernel of it is needed on a device (one
compilation per file and device, cached), maps a dtype to the ``extern "C"`` entry point
``<op>_<fwd|bwd>[_variant]_<dtype>`` and picks the launch geometry. The launchers in
:mod:`mxlite.ops.cuda_launch` take and return CuPy arrays; they are re-exported here.

CuPy is imported inside functions only: importing this module never imports CuPy, compiles anything
or touches a GPU. :func:`compile_all_sources_with_nvrtc` compiles every source with plain NVRTC and
the options CuPy would use at run time, with no device, for the CI check ``.ci/nvrtc_check.py``.
"""
import hashlib
import pathlib
import threading

import numpy as np

__all__ = ["kernels_dir", "kernel_function", "compile_all_sources_with_nvrtc", "nvrtc_options",
           "ENTRY_POINTS", "DTYPE_SUFFIX", "dtype_suffix", "softmax_forward", "softmax_backward",
           "softmax_output_forward", "softmax_output_backward", "fc_backward_fused"]

#: Options mxlite passes to ``cupy.RawModule``; CuPy adds its own (see :func:`nvrtc_options`).
MODULE_OPTIONS = ("--std=c++17",)

DTYPE_SUFFIX = {np.dtype(np.float16): "float16", np.dtype(np.float32): "float32",
                np.dtype(np.float64): "float64"}


def _entries(patterns):
    return tuple(p.format(dt=dt) for p in patterns for dt in DTYPE_SUFFIX.values())


#: Every extern "C" entry point, per source file (the CI check verifies they all exist).
ENTRY_POINTS = {
    "softmax.cu": _entries([f"{op}_{d}{v}_{{dt}}" for op in ("softmax", "log_softmax")
                            for d in ("fwd", "bwd") for v in ("", "_axis")]),
    "softmax_output.cu": _entries(["softmax_output_fwd_{dt}", "softmax_output_fwd_multi_{dt}",
                                   "softmax_output_count_{dt}", "softmax_output_bwd_{dt}"]),
    "fully_connected.cu": _entries([f"fc_bias_bwd_{a}_{{dt}}" for a in
                                    ("identity", "relu", "sigmoid", "tanh", "softrelu",
                                     "finalize")]),
}


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
    warning in the log, or when an entry point listed in :data:`ENTRY_POINTS` is missing from
    the cubin (which catches a launcher and a kernel drifting apart).
    """
    from cupy.cuda import nvrtc

    options = nvrtc_options(arch)
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
                missing = [e for e in ENTRY_POINTS.get(path.name, ())
                           if e.encode() + b"\0" not in cubin]
                if missing:
                    ok = False
                    log = (log + "\n" if log else "") + "missing entry points: " + \
                        ", ".join(missing)
        finally:
            nvrtc.destroyProgram(program)
        results.append((path.name, ok, log))
    missing_files = sorted(set(ENTRY_POINTS) - {name for name, _, _ in results})
    results += [(name, False, "source file not found") for name in missing_files]
    return results


from .cuda_launch import (  # noqa: E402  (launchers need the loader above)
    fc_backward_fused,
    softmax_backward,
    softmax_forward,
    softmax_output_backward,
    softmax_output_forward,
)
