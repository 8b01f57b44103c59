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

It also sizes ``Executor.reshape``: arrays kept, views into the old storage, or new arrays.
"""
import numpy as np

from .base import MXNetError

__all__ = ["ShapeOnly", "MemoryPlan", "Workspace", "nbytes", "resize_array", "MATCH_RANGE"]

#: a free block serves requests from 1/MATCH_RANGE to MATCH_RANGE times its size (MXNet's
#: MXNET_EXEC_MATCH_RANGE default)
MATCH_RANGE = 16


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
    """Bytes of an array of ``shape`` and ``dtype`` (0 when either is unknown)."""
    if shape is None or dtype is None:
        return 0
    return int(np.prod(shape)) * np.dtype(dtype).itemsize


class MemoryPlan:
    """Lifetimes, sharing and peak of one bound plan.

    Parameters
    ----------
    plan : graph.Plan
    shapes, dtypes : dict slot -> shape / dtype
    bwd_units : list of BackwardUnit, in the order backward runs them (empty: no backward)
    grad_slots : set of slots whose gradients are wanted

    Attributes
    ----------
    fwd_release : list (per forward step) of tuples of slots to drop after that step
    grad_release : list (per backward unit) of tuples of gradient slots to drop after that unit
    peak_bytes : int
        Largest total of intermediate values and gradients alive at once.
    storage_bytes : int
        Total size of the shared storage blocks the values fit in (MXNet's "Total N MB").
    """

    def __init__(self, plan, shapes, dtypes, bwd_units=(), grad_slots=()):
        self._shapes, self._dtypes = shapes, dtypes
        n_steps = len(plan.steps)
        persistent = set(plan.arg_slots) | set(plan.aux_slots) | set(plan.head_slots)
        backward_reads = set()
        for unit in bwd_units:
            backward_reads.update(unit.value_slots())
        keep = persistent | backward_reads
        self.fwd_release = [[] for _ in range(n_steps)]
        for k, step in enumerate(plan.steps):
            for s in step.outs:
                if s not in keep:
                    last = plan.last_use.get(s, k)
                    self.fwd_release[min(last, n_steps - 1)].append(s)
        self.fwd_release = [tuple(r) for r in self.fwd_release]
        self.grad_release = [tuple(unit.visible) for unit in bwd_units]
        self.kept_bytes = sum(self._size(s) for s in backward_reads - persistent)
        self._timeline = self._events(plan, bwd_units, grad_slots)
        self.peak_bytes, self.storage_bytes = self._simulate()

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
                if i == 0 and step.op.forward_view and step.ins[0] not in bound:
                    events.append(("alias", ("v", s), 0, None, ("v", step.ins[0])))
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
    return old.reshape(-1)[:size].reshape(shape)
