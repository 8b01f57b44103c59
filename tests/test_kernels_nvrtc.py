"""The CUDA sources compile under NVRTC, warning-free, for sm_80 and sm_90; no GPU needed.

Runs the same check as ``.ci/nvrtc_check.py`` when CuPy and the NVRTC library are importable and
skips otherwise. The import-hygiene tests need neither.
"""
import subprocess
import sys

import pytest

from mxlite.ops import cuda


def _nvrtc_missing():
    try:
        from cupy.cuda import nvrtc
        nvrtc.getVersion()
    except Exception as exc:  # ImportError, or the NVRTC shared library failing to load
        return f"needs CuPy with NVRTC ({type(exc).__name__}: {exc})"
    return None


@pytest.mark.skipif(_nvrtc_missing() is not None, reason=str(_nvrtc_missing()))
@pytest.mark.parametrize("arch", ["80", "90"], ids=["sm_80", "sm_90"])
def test_nvrtc_compiles_without_warnings(arch):
    results = cuda.compile_all_sources_with_nvrtc(arch)
    assert {name for name, _, _ in results} >= set(cuda.declared_kernels())
    failures = [f"{name}:\n{log}" for name, ok, log in results if not ok]
    assert not failures, "\n\n".join(failures)


def test_import_does_not_import_cupy():
    code = ("import sys, mxlite.ops.cuda\n"
            "mxlite.ops.cuda.declared_kernels()\n"
            "assert 'cupy' not in sys.modules, 'a GPU module imported cupy'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_kernel_sources_are_found():
    directory = cuda.kernels_dir()
    for filename in cuda.declared_kernels():
        assert (directory / filename).is_file(), filename


def test_entry_point_names():
    names = [e for entries in cuda.declared_kernels().values() for e in entries]
    assert len(names) == len(set(names))
    for required in ("softmax_fwd_float32", "log_softmax_bwd_float16", "softmax_fwd_axis_float64",
                     "softmax_output_bwd_float32", "fc_bias_bwd_relu_float32"):
        assert required in names
    with pytest.raises(ValueError, match="int32"):
        cuda.dtype_suffix("int32")


@pytest.mark.skipif(_nvrtc_missing() is not None, reason=str(_nvrtc_missing()))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nvrtc_compiles_generated_pointwise_source(dtype):
    """The CUDA printer of element-wise fusion (``ops.pointwise``) emits NVRTC-clean code for
    every declared op: one generated kernel holding them all, compiled as CuPy would."""
    from cupy.cuda import nvrtc

    from mxlite.ops import pointwise
    from test_gpu_pointwise import all_declarations, declared_cases
    src, _ = pointwise.cuda_source(f"pointwise_all_{dtype}",
                                   all_declarations(declared_cases()), dtype)
    program = nvrtc.createProgram(src, "pointwise.cu", (), ())
    try:
        nvrtc.compileProgram(program, cuda.nvrtc_options("80"))
        log = nvrtc.getProgramLog(program).strip("\x00").strip()
    finally:
        nvrtc.destroyProgram(program)
    assert "warning" not in log.lower() and "error" not in log.lower(), log
