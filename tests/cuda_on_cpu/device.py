"""Launch CUDA kernels compiled by :mod:`build` on the CPU, as a strict device.

:class:`Module` loads a source's library; :meth:`Module.get_function` returns a :class:`Kernel`
called like CuPy's ``RawKernel``: ``kernel(grid, block, args)``. Arguments follow CuPy's
convention (an array is passed as its data pointer, ``None`` as a null pointer, a NumPy scalar as
its exact bytes, a Python int as int64, a float as float64) and are checked against the kernel's
C++ parameter types, which CuPy does not do: a wrong count, an int32 for a ``long long``, a
float32 array for a ``double*`` or a non-contiguous array is a :class:`LaunchError`.

Every launch runs twice, threads and blocks in forward and then in reverse order, each time on
fresh copies of the arrays placed against PROT_NONE guard pages, with different fill bytes in
shared memory and in the slack around the arrays; the two results must be bit-identical and the
slack untouched. Faults and UBSan traps become :class:`KernelError` with the source line.
"""
import ctypes
import os
import pathlib
import subprocess

import numpy as np

from . import build

PAGE = os.sysconf("SC_PAGESIZE")
FILLS = (0xFF, 0x7F)  # per run: NaN in every float type; then large finite values (-1, 0x7f.. ints)
MAX_THREADS = 1024
MAX_BLOCK = (1024, 1024, 64)
MAX_GRID = (2**31 - 1, 65535, 65535)

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                       ctypes.c_long)
_libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
_libc.mprotect.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
_PROT_NONE, _PROT_RW = 0, 3
_MAP_PRIVATE_ANON = 0x02 | 0x20

_SCALARS = {"float16": np.float16, "float32": np.float32, "float64": np.float64,
            "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
            "int32": np.int32, "uint32": np.uint32, "int64": np.int64, "uint64": np.uint64,
            "bool": np.bool_}
_SIGNALS = {4: "SIGILL", 7: "SIGBUS", 8: "SIGFPE", 11: "SIGSEGV"}


class LaunchError(TypeError):
    """The launch itself is wrong: arguments, geometry (what CUDA or CuPy would refuse or, worse,
    accept and misread)."""


class KernelError(RuntimeError):
    """The kernel misbehaved: fault, UBSan trap, divergent barrier or warp intrinsic, deadlock,
    out-of-bounds write, or results that depend on the thread order (a race)."""


def _dims(value, what):
    dims = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not 1 <= len(dims) <= 3:
        raise LaunchError(f"{what} must have 1 to 3 dimensions, got {value!r}")
    dims = tuple(int(d) for d in dims) + (1,) * (3 - len(dims))
    return dims


def _addr2line(lib, offset):
    try:
        out = subprocess.run(["addr2line", "-C", "-f", "-i", "-e", str(lib), hex(offset)],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    lines = out.stdout.strip().splitlines()
    frames = [f"{lines[i + 1].rsplit('/', 1)[-1]} ({lines[i].split('(')[0]})"
              for i in range(0, len(lines) - 1, 2)]
    return " <- ".join(frames) or "?"


class _Guarded:
    """A byte region copied into fresh pages, against a PROT_NONE page at each end.

    The copy keeps the original address modulo 16 (so the kernels choose the same vector paths)
    and ends as close to the trailing guard page as that allows (< 16 bytes of slack).
    """

    def __init__(self, lo, nbytes):
        self.lo, self.nbytes = lo, nbytes
        pages = -(-(nbytes + 32) // PAGE)
        self.size = (pages + 2) * PAGE
        base = _libc.mmap(None, self.size, _PROT_RW, _MAP_PRIVATE_ANON, -1, 0)
        if base in (None, ctypes.c_void_p(-1).value):
            raise MemoryError("cuda_on_cpu: mmap failed")
        self.base = base
        _libc.mprotect(base, PAGE, _PROT_NONE)
        self.end = base + (pages + 1) * PAGE
        _libc.mprotect(self.end, PAGE, _PROT_NONE)
        start = self.end - nbytes
        start -= (start - lo) % 16
        self.start = start
        self.view = np.ctypeslib.as_array((ctypes.c_uint8 * (pages * PAGE)).from_address(
            base + PAGE))
        self.offset = start - (base + PAGE)

    def load(self, data, fill):
        self.view[:] = fill
        self.view[self.offset:self.offset + self.nbytes] = data

    def slack_intact(self, fill):
        before = self.view[:self.offset]
        after = self.view[self.offset + self.nbytes:]
        return bool((before == fill).all() and (after == fill).all())

    def data(self):
        return self.view[self.offset:self.offset + self.nbytes].copy()

    def where(self, addr):
        """How ``addr`` (a fault address) relates to this region, or None."""
        if self.base <= addr < self.base + PAGE or self.start - 64 <= addr < self.start:
            return f"{self.start - addr} bytes before the start"
        if self.end - 64 <= addr < self.end + PAGE or \
                self.start + self.nbytes <= addr < self.end:
            return f"at byte {addr - self.start} of {self.nbytes} (past the end)"
        return None

    def close(self):
        _libc.munmap(self.base, self.size)


def _raw_bytes(lo, nbytes):
    return np.ctypeslib.as_array((ctypes.c_uint8 * nbytes).from_address(lo)) if nbytes else \
        np.zeros(0, np.uint8)


class Module:
    """The kernels of one CUDA source, built (or taken from the cache) and loaded."""

    def __init__(self, code=None, path=None, include_dirs=(), filename=None, defines=()):
        if code is None:
            code = pathlib.Path(path).read_text()
            include_dirs = (str(pathlib.Path(path).resolve().parent),) + tuple(include_dirs)
            filename = filename or pathlib.Path(path).name
        self.path = build.build(code, include_dirs, filename or "kernel.cu", defines)
        self.lib = ctypes.CDLL(str(self.path))
        self.lib.mxcpu_kernel_name.restype = ctypes.c_char_p
        self.lib.mxcpu_kernel_signature.restype = ctypes.c_char_p
        self.lib.mxcpu_launch.argtypes = (
            ctypes.c_int, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(ctypes.c_uint),
            ctypes.POINTER(ctypes.c_void_p), ctypes.c_int, ctypes.c_int, ctypes.c_char_p,
            ctypes.c_int, ctypes.POINTER(ctypes.c_longlong))
        self.kernels = {}
        for i in range(self.lib.mxcpu_kernel_count()):
            name = self.lib.mxcpu_kernel_name(i).decode()
            sig = self.lib.mxcpu_kernel_signature(i).decode()
            params = sig.split(";") if sig else []
            self.kernels[name] = (i, params, self.lib.mxcpu_kernel_bounds(i))
        self._set_shared()

    def _set_shared(self):
        """Tell the runtime where the __shared__ variables are: every function-local static of
        the kernel code (CUDA allows no other kind in device code)."""
        out = subprocess.run(["objdump", "-t", str(self.path)], capture_output=True, text=True,
                             check=True)
        offsets, sizes = [], []
        for line in out.stdout.splitlines():
            parts = line.split()
            # address, flags..., section, size, name: writable data only (.bss / .data)
            if len(parts) >= 5 and parts[-1].startswith("_ZZ") and "mxcpu" not in parts[-1] \
                    and parts[-3] in (".bss", ".data") and " O " in f" {' '.join(parts)} ":
                offsets.append(int(parts[0], 16))
                sizes.append(int(parts[-2], 16))
        self.shared_bytes = sum(sizes)
        n = len(offsets)
        self.lib.mxcpu_set_shared((ctypes.c_longlong * n)(*offsets),
                                  (ctypes.c_longlong * n)(*sizes), n)

    def get_function(self, name):
        if name not in self.kernels:
            raise AttributeError(f"no extern \"C\" __global__ function {name!r} in {self.path} "
                                 f"(has: {', '.join(sorted(self.kernels))})")
        return Kernel(self, name)


class Kernel:
    """One entry point; ``kernel(grid, block, args)`` as with ``cupy.RawKernel``."""

    def __init__(self, module, name):
        self.module, self.name = module, name
        self.index, self.params, self.bounds = module.kernels[name]

    def _check_geometry(self, grid, block, shared_mem):
        if shared_mem:
            raise LaunchError(f"{self.name}: dynamic shared memory is not supported by the "
                              f"harness (shared_mem={shared_mem})")
        grid, block = _dims(grid, "grid"), _dims(block, "block")
        threads = block[0] * block[1] * block[2]
        if min(grid) < 1 or min(block) < 1 or any(b > m for b, m in zip(block, MAX_BLOCK)) \
                or threads > MAX_THREADS or any(g > m for g, m in zip(grid, MAX_GRID)):
            raise LaunchError(f"{self.name}: invalid configuration grid {grid} block {block}")
        if self.bounds and threads > self.bounds:
            raise LaunchError(f"{self.name}: block of {threads} threads exceeds "
                              f"__launch_bounds__({self.bounds})")
        return grid, block

    def _convert(self, args):
        """ctypes values for the scalars and [(param index, array)] for the pointers."""
        if len(args) != len(self.params):
            raise LaunchError(f"{self.name}: {len(args)} arguments for {len(self.params)} "
                              f"parameters ({', '.join(self.params)})")
        scalars, arrays = {}, []
        for i, (param, arg) in enumerate(zip(self.params, args)):
            if param.endswith("*"):
                elem = param[:-1].removeprefix("const ")
                if arg is None:
                    scalars[i] = ctypes.c_void_p(0)
                    continue
                if not isinstance(arg, np.ndarray):
                    raise LaunchError(f"{self.name}: argument {i} ({param}) must be an array or "
                                      f"None, got {type(arg).__name__}")
                if elem != "void" and arg.dtype.name != elem:
                    raise LaunchError(f"{self.name}: argument {i} is a {arg.dtype} array but "
                                      f"the parameter is {param}")
                if not arg.flags.c_contiguous:
                    raise LaunchError(f"{self.name}: argument {i} ({param}) is not C-contiguous")
                arrays.append((i, arg))
                continue
            if isinstance(arg, np.generic):
                given = arg.dtype.name
            elif isinstance(arg, (bool, int)):
                given, arg = "int64", np.int64(arg)  # CuPy passes Python ints as int64
            elif isinstance(arg, float):
                given, arg = "float64", np.float64(arg)
            else:
                raise LaunchError(f"{self.name}: argument {i} ({param}) has unsupported type "
                                  f"{type(arg).__name__}")
            if given != param:
                raise LaunchError(f"{self.name}: argument {i} is {given} but the parameter is "
                                  f"{param} (CuPy would pass its bytes unconverted)")
            buf = (ctypes.c_uint8 * arg.nbytes).from_buffer_copy(arg.tobytes())
            scalars[i] = buf
        return scalars, arrays

    def __call__(self, grid, block, args, shared_mem=0, stream=None):
        grid, block = self._check_geometry(grid, block, shared_mem)
        scalars, arrays = self._convert(tuple(args))
        # Arrays that share memory (in-place launches, views) share one guarded region.
        spans = sorted((a.ctypes.data, a.ctypes.data + a.nbytes, i, a) for i, a in arrays
                       if a.nbytes)
        regions = []
        for lo, hi, i, a in spans:
            if regions and lo < regions[-1][1]:
                regions[-1][1] = max(regions[-1][1], hi)
                regions[-1][2].append((i, lo, a))
            else:
                regions.append([lo, hi, [(i, lo, a)]])
        for i, a in arrays:
            if not a.nbytes:
                scalars[i] = ctypes.c_void_p(0)  # CuPy's pointer for an empty array
        originals = [_raw_bytes(lo, hi - lo).copy() for lo, hi, _ in regions]
        results = []
        for run, fill in enumerate(FILLS):
            guarded = [_Guarded(lo, hi - lo) for lo, hi, _ in regions]
            try:
                ptrs = dict(scalars)
                for g, (lo, _, members), data in zip(guarded, regions, originals):
                    g.load(data, fill)
                    for i, alo, _ in members:
                        ptrs[i] = ctypes.c_void_p(g.start + (alo - lo))
                argv = (ctypes.c_void_p * len(self.params))(
                    *[ctypes.cast(ctypes.byref(ptrs[i]), ctypes.c_void_p)
                      for i in range(len(self.params))])
                self._run(grid, block, argv, run == 1, fill, guarded, regions)
                for g, (_, _, members) in zip(guarded, regions):
                    if not g.slack_intact(fill):
                        raise KernelError(f"{self.name}: wrote outside argument "
                                          f"{', '.join(str(i) for i, _, _ in members)} (the "
                                          f"bytes next to the array changed)")
                results.append([g.data() for g in guarded])
            finally:
                for g in guarded:
                    g.close()
        for (lo, _, members), first, second in zip(regions, *results):
            if not np.array_equal(first, second):
                diff = int(np.flatnonzero(first != second)[0])
                i, alo, a = next(m for m in members if m[1] - lo <= diff)
                raise KernelError(
                    f"{self.name}: results differ between forward and reverse thread/block "
                    f"order in argument {i} at element {(diff - (alo - lo)) // a.itemsize} (a "
                    f"race, or a read of uninitialised shared memory or past an array)")
        for (lo, hi, members), orig, new in zip(regions, originals, results[0]):
            if np.array_equal(orig, new):
                continue
            if all(self.params[i].startswith("const ") for i, _, _ in members):
                raise KernelError(f"{self.name}: wrote to argument "
                                  f"{', '.join(str(i) for i, _, _ in members)}, a const pointer")
            _raw_bytes(lo, hi - lo)[:] = new

    def _run(self, grid, block, argv, reverse, fill, guarded, regions):
        err = ctypes.create_string_buffer(2048)
        info = (ctypes.c_longlong * 8)()
        rc = self.module.lib.mxcpu_launch(
            self.index, (ctypes.c_uint * 3)(*grid), (ctypes.c_uint * 3)(*block), argv,
            int(reverse), fill, err, len(err), info)
        order = "reverse" if reverse else "forward"
        if rc == 1:
            raise KernelError(f"{err.value.decode()} ({order} order)")
        if rc == 2:
            sig, addr, pc, fiber = info[0], info[1] & (2**64 - 1), info[2], info[3]
            where = _addr2line(self.module.path, pc)
            thread = ""
            if fiber >= 0:
                x, y = fiber % block[0], (fiber // block[0]) % block[1]
                thread = f", thread ({x},{y},{fiber // (block[0] * block[1])})"
            block_idx = f"block ({info[4]},{info[5]},{info[6]})"
            what = "UBSan check failed (bounds, alignment, overflow, ...)" if sig == 4 else \
                f"{_SIGNALS.get(sig, sig)} at address {addr:#x}"
            for g, (_, _, members) in zip(guarded, regions):
                rel = g.where(addr) if sig in (7, 11) else None
                if rel:
                    what = (f"out-of-bounds access to argument "
                            f"{', '.join(str(i) for i, _, _ in members)}, {rel}")
            if sig == 11 and addr < PAGE:
                what = f"null pointer access (address {addr:#x})"
            raise KernelError(f"{self.name}: {what} at {where}; {block_idx}{thread} ({order} "
                              f"order)")
