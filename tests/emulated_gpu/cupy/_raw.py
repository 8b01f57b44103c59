"""``cupy.RawModule`` / ``cupy.RawKernel`` stand-ins that run the real CUDA source on the CPU
through the harness in ``tests/cuda_on_cpu`` (a strict device: see its README)."""
import os
import pathlib
import sys

import numpy as _np

_TESTS = pathlib.Path(__file__).resolve().parents[2]


def _harness():
    if str(_TESTS) not in sys.path:
        sys.path.insert(0, str(_TESTS))
    import cuda_on_cpu
    return cuda_on_cpu

def _include_dirs(options):
    dirs = []
    options = list(options)
    for i, opt in enumerate(options):
        if opt.startswith("-I") and len(opt) > 2:
            dirs.append(opt[2:])
        elif opt in ("-I", "--include-path") and i + 1 < len(options):
            dirs.append(options[i + 1])
        elif opt.startswith("--include-path="):
            dirs.append(opt.split("=", 1)[1])
    return dirs

def _filename(code, dirs):
    """The .cu file in an include directory whose text ``code`` starts with (for diagnostics)."""
    for d in dirs:
        for path in sorted(pathlib.Path(d).glob("*.cu")):
            if code.startswith(path.read_text()):
                return path.name
    return "raw_module.cu"

def _substitute(code, dirs, filename):
    """``$CUDA_ON_CPU_KERNELS_DIR`` (set by tests/cuda_on_cpu/mutate.py) replaces the kernel
    directory: the source and its headers are read from there instead."""
    override = os.environ.get("CUDA_ON_CPU_KERNELS_DIR")
    if not override:
        return code, dirs
    for i, d in enumerate(dirs):
        original = pathlib.Path(d) / filename
        if original.is_file() and code.startswith(original.read_text()):
            tail = code[len(original.read_text()):]
            new_dirs = list(dirs)
            new_dirs[i] = override
            return (pathlib.Path(override) / filename).read_text() + tail, new_dirs
    return code, dirs


class RawModule:
    def __init__(self, code=None, path=None, options=(), backend="nvrtc",
                 translate_cucomplex=False, enable_cooperative_groups=False,
                 name_expressions=None, jitify=False):
        if code is None:
            code = pathlib.Path(path).read_text()
            options = tuple(options) + ("-I" + str(pathlib.Path(path).resolve().parent),)
        dirs = _include_dirs(options)
        filename = _filename(code, dirs)
        code, dirs = _substitute(code, dirs, filename)
        self._module = _harness().Module(code=code, include_dirs=dirs, filename=filename)

    def get_function(self, name):
        return RawKernel._from_module(self._module, name)

class RawKernel:
    def __init__(self, code, name, options=(), backend="nvrtc", translate_cucomplex=False,
                 enable_cooperative_groups=False, jitify=False):
        self._kernel = RawModule(code=code, options=options).get_function(name)._kernel

    @classmethod
    def _from_module(cls, module, name):
        self = cls.__new__(cls)
        self._kernel = module.get_function(name)
        return self

    @property
    def attributes(self):
        return {"max_threads_per_block": self._kernel.bounds or 1024}

    def __call__(self, grid, block, args, shared_mem=0, stream=None,
                 enable_cooperative_groups=False):
        from . import ndarray
        for i, a in enumerate(args):
            if isinstance(a, _np.ndarray) and not isinstance(a, ndarray):
                raise TypeError(f"Unsupported type <class 'numpy.ndarray'> (argument {i}: a host "
                                f"array passed to a kernel)")
        converted = tuple(a.view(_np.ndarray) if isinstance(a, ndarray) else a for a in args)
        self._kernel(grid, block, converted, shared_mem=shared_mem)

