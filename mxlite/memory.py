"""Memory planning: from a plan and the ops' ``backward_reads`` declarations, when each value dies,
which storage the values can share, and the peak.

Built once at bind from static shapes, like MXNet's memory planner (``src/nnvm/plan_memory.cc``):

- **forward release**: a value is dropped after its last forward reader unless it is a bound
  array (argument, aux state), an output, or read by a backward step. Values that backward reads
  live until the next forward replaces them, so ``backward`` may be called again (grad_req 'add').
- **backward release**: a gradient is dropped as soon as the step producing its value has consumed
  it; forward values stay (see above).
- **storage sharing**: values whose lifetimes do not overlap share a block when the dtype matches
  and the sizes are within a factor ``MATCH_RANGE`` (the smallest block at least as large wins,
  else the largest smaller one grows), the rule of MXNet's ``GraphAllocator``. On the CPU the
  arrays come from NumPy's allocator, which reuses freed memory the same way; the storage total is
  the "Total N MB allocated" ``debug_str`` prints, comparable with MXNet's.
- **peak**: the largest total of values alive at once over forward and backward, gradients of
  intermediate values included; op temporaries (im2col columns, padded images) come from the
  executor's ``Workspace`` and are reported separately.

It also sizes ``Executor.reshape``: arrays kept, views into the old storage, or new arrays, and
guards allocations (``check_allocation``): before a bind allocates its arrays, or an NDArray
larger than ``GUARD_MIN_BYTES`` is created, the bytes are compared with what the device has
available (host: the OS's MemAvailable and the cgroup limit; GPU: ``cudaMemGetInfo`` plus CuPy's
free pool). NumPy reserves zero-filled memory lazily, so without the check a bind larger than
memory succeeds and the first fill gets the process killed.
"""
import os

import numpy as np

from .base import MXNetError

__all__ = ["ShapeOnly", "MemoryPlan", "Workspace", "nbytes", "resize_array", "MATCH_RANGE",
           "tune_host_allocator", "check_allocation", "available_bytes", "GUARD",
           "GUARD_MIN_BYTES"]

#: a free block serves requests from 1/MATCH_RANGE to MATCH_RANGE times its size (MXNet's
#: MXNET_EXEC_MATCH_RANGE default)
MATCH_RANGE = 16

#: the allocation guard is on; set False to let allocations through unchecked
GUARD = os.environ.get("MXLITE_MEMORY_GUARD", "1") != "0"
#: single NDArrays smaller than this are created without asking the OS (the question costs more
#: than the array); binds are always checked
GUARD_MIN_BYTES = 64 << 20


def _host_available():
    """Bytes the OS says a new allocation can get: MemAvailable, capped by a cgroup limit."""
    avail = None
    try:
        with open("/proc/meminfo", "rb") as f:
            for line in f:
                if line.startswith(b"MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if avail is None:
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None
    for limit_file, usage_file in (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
                                   ("/sys/fs/cgroup/memory/memory.limit_in_bytes",
                                    "/sys/fs/cgroup/memory/memory.usage_in_bytes")):
        try:
            with open(limit_file) as f:
                limit = f.read().strip()
            with open(usage_file) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit.isdigit():
            avail = min(avail, max(int(limit) - usage, 0))
        break
    return avail


def available_bytes(ctx):
    """Bytes available for new arrays on ``ctx`` (None when the device does not say)."""
    if ctx is not None and ctx.is_gpu:
        from .context import cupy_module
        cp = cupy_module()
        with cp.cuda.Device(ctx.device_id):
            free, _ = cp.cuda.runtime.memGetInfo()
            # blocks CuPy's pool holds but no array uses are available to it too
            pool = cp.get_default_memory_pool()
            return int(free) + int(getattr(pool, "free_bytes", lambda: 0)())
    return _host_available()


def check_allocation(ctx, arrays, what):
    """Raise MXNetError when ``arrays`` (``(name, shape, dtype)`` records) need more bytes than
    ``ctx`` has available. The message names the largest array, its shape and bytes, the total
    and what is available."""
    if not GUARD:
        return
    sizes = [(nbytes(shape, dtype), name, shape, dtype) for name, shape, dtype in arrays
             if shape is not None and dtype is not None]
    total = sum(size for size, *_ in sizes)
    if not sizes or total < (1 << 20):
        return
    avail = available_bytes(ctx)
    if avail is None or total <= avail:
        return
    size, name, shape, dtype = max(sizes, key=lambda r: r[0])
    others = f" ({total} bytes in all for {len(sizes)} arrays)" if len(sizes) > 1 else ""
    raise MXNetError(f"{what}: not enough memory on {ctx}: {name} of shape {tuple(shape)} and "
                     f"dtype {np.dtype(dtype).name} needs {size} bytes{others}, but only {avail} "
                     f"bytes are available (set mxlite.memory.GUARD = False to try anyway)")


class ShapeOnly:
    """What a backward that declared a shape-only read gets in place of a value."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return int(np.prod(self.shape))

    def __repr__(self):
        return f"ShapeOnly({self.shape}, {self.dtype.name})"


def nbytes(shape, dtype):
    """Bytes of an array of ``shape`` and ``dtype`` (0 when either is unknown); exact Python
    integers, so huge shapes do not overflow."""
    if shape is None or dtype is None:
        return 0
    size = 1
    for d in shape:
        size *= int(d)
    return size * np.dtype(dtype).itemsize


class MemoryPlan:
    """Lifetimes, sharing and peak of one bound plan.

    Parameters
    ----------
    plan : graph.Plan
    shapes, dtypes : dict slot -> shape / dtype
    bwd_units : list of BackwardUnit, in the order backward runs them (empty: no backward)
    grad_slots : set of slots whose gradients are wanted
    groups : list of passes.PointwiseGroup
        Fused element-wise groups: their interior values are never materialised, and their
        inputs live until the group runs (at its last step).

    Attributes
    ----------
    fwd_release : list (per forward step) of tuples of slots to drop after that step
    grad_release : list (per backward unit) of tuples of gradient slots to drop after that unit
    peak_bytes : int
        Largest total of intermediate values and gradients alive at once.
    storage_bytes : int
        Total size of the shared storage blocks the values fit in (MXNet's "Total N MB").
    """

    def __init__(self, plan, shapes, dtypes, bwd_units=(), grad_slots=(), groups=()):
        self._shapes, self._dtypes = shapes, dtypes
        n_steps = len(plan.steps)
        self._virtual = frozenset().union(*(g.interior for g in groups))
        self._last_use = last_use = dict(plan.last_use)
        for g in groups:
            for s in g.ins:
                last_use[s] = max(last_use.get(s, g.root), g.root)
        persistent = set(plan.arg_slots) | set(plan.aux_slots) | set(plan.head_slots)
        backward_reads = set()
        for unit in bwd_units:
            backward_reads.update(unit.value_slots())
        keep = persistent | backward_reads
        self.fwd_release = [[] for _ in range(n_steps)]
        for k, step in enumerate(plan.steps):
            for s in step.outs:
                if s not in keep:
                    last = last_use.get(s, k)
                    self.fwd_release[min(last, n_steps - 1)].append(s)
        self.fwd_release = [tuple(r) for r in self.fwd_release]
        self.overwritable = [self._overwritable(plan, k, keep, last_use)
                             for k in range(n_steps)]
        self.grad_release = [tuple(unit.visible) for unit in bwd_units]
        self.kept_bytes = sum(self._size(s) for s in backward_reads - persistent)
        self._timeline = self._events(plan, bwd_units, grad_slots)
        self.peak_bytes, self.storage_bytes = self._simulate()

    def _overwritable(self, plan, k, keep, last_use):
        """Input positions of step ``k`` whose buffer its output may take over: declared by the op,
        read by nobody after this step (and once by it), not kept, and owned by the value (made by
        an op declaring ``fresh_outputs``: never its inputs or views of them)."""
        step = plan.steps[k]
        out = []
        for pos in step.op.inplace:
            if pos >= len(step.ins):
                continue
            s = step.ins[pos]
            src = plan.steps_by_out.get(s)
            if (s not in keep and s not in self._virtual and src is not None
                    and plan.steps[src].op.fresh_outputs
                    and last_use.get(s) == k and step.ins.count(s) == 1):
                out.append(pos)
        return tuple(out)

    def _size(self, slot):
        return nbytes(self._shapes.get(slot), self._dtypes.get(slot))

    def _events(self, plan, bwd_units, grad_slots):
        """(kind, key, bytes, dtype, source) in execution order: 'alloc' or 'free' of a value or
        gradient, or 'alias' of a key that shares ``source``'s memory (a view: Reshape's output,
        elemwise_add's input gradients)."""
        events = []
        bound = set(plan.arg_slots) | set(plan.aux_slots)
        for k, step in enumerate(plan.steps):
            for i, s in enumerate(step.outs):
                if s in self._virtual:
                    continue  # computed inside a fused kernel, never stored
                if i == 0 and step.op.forward_view and step.ins[0] not in bound:
                    events.append(("alias", ("v", s), 0, None, ("v", step.ins[0])))
                elif i == 0 and self.overwritable[k]:
                    source = ("v", step.ins[self.overwritable[k][0]])
                    events.append(("alias", ("v", s), 0, None, source))
                elif s not in bound:
                    events.append(("alloc", ("v", s), self._size(s), self._dtypes.get(s), None))
            for s in self.fwd_release[k]:
                events.append(("free", ("v", s), 0, None, None))
        live_grads = set()
        for u, unit in enumerate(bwd_units):
            for pos, s in enumerate(unit.ins):
                if s not in grad_slots or pos in unit.aux_ins or ("g", s) in live_grads:
                    continue  # (a second contribution is added into the first)
                live_grads.add(("g", s))
                head = ("g", unit.visible[0]) if unit.visible else None
                if pos in unit.grad_passthrough and head in live_grads:
                    events.append(("alias", ("g", s), 0, None, head))
                else:
                    events.append(("alloc", ("g", s), self._size(s), self._dtypes.get(s), None))
            for s in self.grad_release[u]:
                if ("g", s) in live_grads:
                    live_grads.discard(("g", s))
                    events.append(("free", ("g", s), 0, None, None))
        return events

    def _simulate(self):
        """Peak live bytes, and the storage a size-class pool needs for the same timeline."""
        live, peak = 0, 0
        free_blocks = []                 # (bytes, dtype) of storage no value holds now
        held, total = {}, 0              # key -> block id; total storage created
        blocks, refs = {}, {}            # block id -> (bytes, dtype); block id -> holders
        for kind, key, size, dtype, source in self._timeline:
            if kind == "alias":
                if source in held:
                    held[key] = held[source]
                    refs[held[key]] += 1
            elif kind == "alloc":
                live += size
                peak = max(peak, live)
                near = [b for b in free_blocks if b[1] == dtype
                        and size <= b[0] * MATCH_RANGE and b[0] <= size * MATCH_RANGE]
                larger = [b for b in near if b[0] >= size]
                if larger:
                    block = min(larger, key=lambda b: b[0])
                    free_blocks.remove(block)
                elif near:
                    old = max(near, key=lambda b: b[0])
                    free_blocks.remove(old)
                    block = (size, dtype)          # the block grows to the request
                    total += size - old[0]
                else:
                    block = (size, dtype)
                    total += size
                bid = len(blocks)
                blocks[bid], refs[bid], held[key] = block, 1, bid
            elif key in held:
                bid = held.pop(key)
                refs[bid] -= 1
                if refs[bid] == 0:
                    live -= blocks[bid][0]
                    free_blocks.append(blocks[bid])
        return peak, total

    def describe(self):
        """The lines ``Executor.debug_str`` ends with."""
        mb = 1 << 20
        return [f"Total {self.storage_bytes // mb} MB allocated",
                f"Planned peak {self.peak_bytes} bytes ({self.peak_bytes / mb:.1f} MB) of "
                f"intermediate values and gradients; {self.kept_bytes} bytes kept from forward "
                f"for backward"]


class Workspace:
    """Scratch buffers shared by every step of one executor.

    Steps run one at a time, so one buffer per purpose (``key``) serves them all: a temporary is
    allocated once per executor and size, not once per call (fresh large arrays cost a page fault
    per 4 KiB). A buffer whose untouched part matters between calls (the zero border of a padded
    image) is requested with a ``tag``; when the last user had another tag the caller is told the
    buffer is fresh and must fill it.
    """

    #: temporaries larger than this are not kept (allocated and freed per call)
    KEEP_BYTES = 64 << 20

    def __init__(self):
        self._buffers = {}  # key -> (flat array, tag)

    def get(self, xp, key, shape, dtype, tag=None):
        """``(array of shape, fresh)``: fresh is True when the contents are not the last ones
        written under ``tag``."""
        size = int(np.prod(shape))
        dtype = np.dtype(dtype)
        tag = None if tag is None else (tag, tuple(shape))
        entry = self._buffers.get(key)
        if entry is not None and entry[0].dtype == dtype and entry[0].size >= size:
            buf, last_tag = entry
            fresh = tag is None or last_tag != tag
        else:
            buf, fresh = xp.empty(size, dtype), True
            if buf.nbytes > self.KEEP_BYTES:
                return buf.reshape(shape), True
        self._buffers[key] = (buf, tag)
        return buf[:size].reshape(shape), fresh

    @property
    def nbytes(self):
        return sum(int(b.nbytes) for b, _ in self._buffers.values())


def resize_array(old, shape, name, allow_up_sizing, make):
    """``Executor.reshape``'s sizing of one bound array: ``old`` itself when the shape is the
    same, a view of its leading elements when the new size is not larger (MXNet shares the old
    storage), else ``make(shape, dtype)`` — allowed only with ``allow_up_sizing``."""
    if old is None:
        return None
    if old.shape == tuple(shape):
        return old
    size = int(np.prod(shape))
    if size > old.size:
        if not allow_up_sizing:
            raise MXNetError(f"New shape of arg: {name} is larger than original. First making a "
                             f"big executor and then down sizing it is more efficient than the "
                             f"reverse. If you really want to up size, set allow_up_sizing=True "
                             f"to enable allocation of new arrays.")
        return make(shape, old.dtype)
    if not old.flags.c_contiguous:
        # a flat view needs C order; reshape(-1) would copy and the executors stop sharing
        raise MXNetError(f"Executor.reshape: the bound array {name} (shape {old.shape}) is not "
                         f"C-contiguous, so the new executor cannot share its memory; bind a "
                         f"contiguous array (mx.nd.array(x) or x.copy())")
    return old.reshape(-1)[:size].reshape(shape)


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_host_allocator():
    """Keep freed host memory in the process for reuse (glibc only; once, at import).

    Freeing values as soon as they die (the plan above) hands large NumPy buffers back to glibc,
    which by default returns any block over its mmap threshold to the OS and faults the next one
    in page by page: a LeNet training step spends a third of its time in page faults that way.
    Raising the mmap threshold to its maximum (32 MiB) and the trim threshold to 1 GiB makes freed
    activations serve the next allocations, as MXNet's storage pool does. Peak memory is
    unchanged; the process simply keeps its peak between steps. ``MXLITE_HOST_ALLOCATOR=system``
    leaves glibc's defaults alone. Returns whether the settings were applied.
    """
    import ctypes
    import ctypes.util
    import os
    if os.environ.get("MXLITE_HOST_ALLOCATOR", "").lower() == "system":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (macOS, musl ...): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, 32 << 20)) and bool(mallopt(_M_TRIM_THRESHOLD, 1 << 30))
