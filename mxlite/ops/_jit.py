"""Compiled CPU kernels: numba when it is installed, the NumPy code path when it is not.

The generic NumPy code of every op stays the reference; a family module may add a compiled CPU
kernel for a hot path (the CPU counterpart of the ``*_cuda.py`` modules). Such kernels are plain
Python functions decorated with :func:`cpu_kernel`; they are compiled on first call (never at
import), cached on disk by numba so later processes load them, and run across the cores with
``prange`` when declared ``parallel``.

Settings (read once, when the first kernel runs):

* ``MXLITE_JIT=0`` turns every compiled kernel off (the NumPy path runs), as does a missing numba
  (``pip install 'mxlite[fast]'``; one hint is logged).
* Threads: ``MXLITE_NUM_THREADS``, else ``OMP_NUM_THREADS`` (MXNet's setting, which NumPy's
  OpenBLAS reads too), else the CPUs this process may run on. A kernel never runs during a BLAS
  call (the executor runs one step at a time). A parallel kernel given fewer than
  ``SERIAL_BELOW`` elements runs a serial twin: waking threads would cost more than it saves.
* numba's threading layer defaults to ``workqueue`` (fork-safe and always available); calls of
  parallel kernels are serialised by a lock, which makes it safe from several Python threads.
  ``NUMBA_THREADING_LAYER`` overrides the choice.
"""
import contextlib
import logging
import os
import threading

__all__ = ["enabled", "cpu_kernel", "prange", "threads", "fast_dtype", "forced", "serves"]

_HINT = ("mxlite: numba is not installed, so CPU ops run on the NumPy path; "
         "pip install 'mxlite[fast]' for compiled multi-threaded kernels")

# numba: the module while kernels run, else None; module: numba once imported (for ``forced``)
_state = {"numba": None, "module": None, "checked": False}
_lock = threading.Lock()          # serialises parallel kernels (workqueue is not thread-safe)
_compile_lock = threading.RLock()


def threads():
    """The number of threads compiled kernels use."""
    for name in ("MXLITE_NUM_THREADS", "OMP_NUM_THREADS"):
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:       # not on Linux
        return os.cpu_count() or 1


def _load():
    """numba, configured, or None when it is off or missing (decided once per process)."""
    if _state["checked"]:
        return _state["numba"]
    with _compile_lock:
        if _state["checked"]:
            return _state["numba"]
        numba = None
        if os.environ.get("MXLITE_JIT", "1").strip() != "0":
            os.environ.setdefault("NUMBA_NUM_THREADS", str(threads()))
            try:
                import numba
            except ImportError:
                logging.getLogger("mxlite").warning(_HINT)
            else:
                if "NUMBA_THREADING_LAYER" not in os.environ:
                    numba.config.THREADING_LAYER = "workqueue"
        _state["numba"] = _state["module"] = numba
        _state["checked"] = True
    return numba


def enabled():
    """Whether compiled CPU kernels run in this process."""
    return _load() is not None


@contextlib.contextmanager
def forced(on):
    """Within the block, compiled kernels run (``on``; numba must be installed) or do not: tests
    compare the two paths, benchmarks time them."""
    _load()
    numba = _state["module"]
    if on and numba is None:
        raise RuntimeError("compiled CPU kernels need numba (pip install 'mxlite[fast]') and "
                           "MXLITE_JIT unset or 1")
    saved = _state["numba"]
    _state["numba"] = numba if on else None
    try:
        yield
    finally:
        _state["numba"] = saved


def fast_dtype(*arrays):
    """Whether every array is float32 or float64 (what the compiled kernels are written for; float16
    and integer data take the NumPy path)."""
    return all(a.dtype.char in "fd" for a in arrays)


def serves(xp, *arrays):
    """Whether compiled kernels take these arrays: the host array module, float32/float64 NumPy
    arrays, kernels on (checked last: it may import numba). Families add their own conditions."""
    import numpy
    return (xp is numpy and all(isinstance(a, numpy.ndarray) for a in arrays)
            and fast_dtype(*arrays) and enabled())


def prange(*args):
    """``range`` in Python; in a ``parallel`` kernel numba runs its iterations across threads."""
    return range(*args)


#: A parallel kernel whose first argument has fewer elements than this (or, for an integer first
#: argument, is smaller: a generated kernel's element count) runs its serial twin: waking the
#: worker threads costs about 0.1 ms, which a small array (a batch-1 softmax) never pays back.
SERIAL_BELOW = 1 << 15


class _Kernel:
    """A kernel compiled on its first call; calls of parallel kernels hold a process-wide lock.
    ``cache=False`` skips numba's disk cache (needed for functions without a source file). A
    parallel kernel also has a serial twin (compiled when first needed) for small arguments."""

    def __init__(self, fn, parallel, fastmath, cache=True, serial=False):
        self.fn = fn
        self.parallel = parallel
        self.fastmath = fastmath
        self.cache = cache
        self._compiled = None
        self._serial = None
        self._is_twin = serial
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    def _compile(self):
        with _compile_lock:
            return self._compile_unlocked()

    def _compile_unlocked(self):
        numba = _load() or _state["module"]
        if numba is None:
            raise RuntimeError(f"{self.__name__}: compiled CPU kernels are off (MXLITE_JIT=0 or "
                               f"numba missing); callers must check mxlite.ops._jit.enabled()")
        if self._compiled is not None:
            return self._compiled
        # the kernel sees numba's prange, and other kernels it calls as compiled ones
        glb = dict(self.fn.__globals__)
        for name in self.fn.__code__.co_names:
            value = glb.get(name)
            if value is prange:
                glb[name] = numba.prange
            elif isinstance(value, _Kernel):
                glb[name] = value._compiled or value._compile_unlocked()
        fn = type(self.fn)(self.fn.__code__, glb, self.fn.__name__, self.fn.__defaults__,
                           self.fn.__closure__)
        fn.__module__ = self.fn.__module__
        # numba's disk cache is keyed by the qualified name, not by the parallel flag
        fn.__qualname__ = self.fn.__qualname__ + ("__serial" if self._is_twin else "")
        self._compiled = numba.njit(cache=self.cache, nogil=True, parallel=self.parallel,
                                    fastmath=self.fastmath, error_model="numpy")(fn)
        return self._compiled

    def __call__(self, *args):
        if not self.parallel:
            return (self._compiled or self._compile())(*args)
        work = args[0] if isinstance(args[0], int) else getattr(args[0], "size", SERIAL_BELOW)
        if work < SERIAL_BELOW:
            if self._serial is None:
                self._serial = _Kernel(self.fn, False, self.fastmath, self.cache, serial=True)
            return self._serial(*args)
        compiled = self._compiled or self._compile()
        with _lock:
            return compiled(*args)


def cpu_kernel(parallel=False, fastmath=False):
    """Decorator: ``fn`` compiled with numba on first call (cached on disk), run through a lock when
    ``parallel``. Use ``prange`` from this module for the loop to spread across threads; callers
    check :func:`enabled` (and :func:`fast_dtype`) and otherwise take the NumPy path."""
    def wrap(fn):
        return _Kernel(fn, parallel, fastmath)
    return wrap
