"""Executor: a Symbol bound to arrays on a context, running its Plan forward and backward.

Everything is decided at bind: the plan, the output buffers, which steps run backward (as units,
after the fusions of ``mxlite.passes``), when each value and gradient is dropped
(``mxlite.memory``), which arguments receive gradients and how (``grad_req`` is applied in exactly
one place, ``_store_gradients``). The forward and backward loops only walk lists.

Element-wise groups (``passes.pointwise_groups``) run as one forward entry and one backward unit;
a fused backward writes an argument's gradient straight into its buffer when grad_req is 'write'
and nothing else contributes to it. With a monitor callback installed, forward walks the unfused
steps (``_fwd_steps``), so the callback sees every intermediate value.
"""
import numpy as np

from .base import MXNetError
from .context import array_module, device_scope
from .graph import Plan
from .memory import MemoryPlan, ShapeOnly, Workspace, check_allocation, resize_array
from .ndarray.ndarray import NDArray, from_data
from .ops.params import did_you_mean
from .ops.registry import StepContext
from .passes import backward_units, pointwise_groups

__all__ = ["Executor"]
_HEAD_GRAD_MSG = ("Because the last operator is not Loss function, head_gradient is required when "
                  "calling backward. If you are attempting to minimize the output as an objective, "
                  "please modify your network and pass it through the make_loss symbol.")


class Executor:
    """A bound symbol (``mx.executor.Executor``); made by ``Symbol.bind`` / ``simple_bind``."""

    def __init__(self, symbol, ctx, arg_arrays, grad_arrays, grad_reqs, aux_arrays, group2ctx=None,
                 grad_req=None, grad_list_given=True, output_memory=None):
        self._symbol = symbol
        self._ctx = ctx
        self._grad_req = grad_req
        self._group2ctx = group2ctx
        self._plan = plan = Plan(symbol)
        self._xp = array_module(ctx)
        self._scope = device_scope(ctx)
        self.arg_arrays = list(arg_arrays)
        self.grad_arrays = list(grad_arrays) if grad_list_given else None
        self.aux_arrays = list(aux_arrays)
        self._grad_reqs = grad_reqs
        self._arg_names = symbol.list_arguments()
        self._aux_names = symbol.list_auxiliary_states()
        self._output_names = symbol.list_outputs()
        self._check_devices(group2ctx)
        self._check_bound_arrays()
        shapes, dtypes = self._infer()
        self._slot_shapes, self._slot_dtypes = shapes, dtypes
        # (slot, NDArray) of every bound argument and aux state, put into the slots per forward
        self._bound_inputs = list(zip(plan.arg_slots + plan.aux_slots,
                                      self.arg_arrays + self.aux_arrays))

        self._workspace = Workspace()
        self._contexts = [StepContext(self._xp, ctx, False, step.name, self._workspace)
                          for step in plan.steps]
        self._grad_positions = [i for i, r in enumerate(grad_reqs)
                                if r != "null" and grad_arrays[i] is not None]
        grad_slots = [plan.arg_slots[i] for i in self._grad_positions]
        # (argument slot, gradient NDArray, accumulate?) for every argument receiving a gradient
        self._grad_targets = [(plan.arg_slots[i], self.grad_arrays[i], grad_reqs[i] == "add")
                              for i in self._grad_positions]
        bwd_steps, self._grad_slots = plan.backward_steps(grad_slots)
        device = "gpu" if ctx.is_gpu else "cpu"
        self._groups = pointwise_groups(plan, shapes, dtypes, device, self._grad_slots)
        self._units = backward_units(plan, bwd_steps, lambda op: _kernel(op, ctx, "backward"),
                                     device, self._groups)
        self._memory = MemoryPlan(plan, shapes, dtypes, self._units, self._grad_slots,
                                  self._groups)
        for sc, overwritable in zip(self._contexts, self._memory.overwritable):
            sc.overwritable = overwritable
        # the outputs and the planned peak of intermediate values, before anything is allocated
        check_allocation(ctx, [(self._output_names[i], shapes[s], dtypes[s])
                               for i, s in enumerate(plan.head_slots)]
                         + [("intermediate values (planned peak)", (self._memory.peak_bytes,),
                             np.uint8)], f"bind of {symbol.name or 'symbol'}")
        with device_scope(ctx):
            self._out_data = [self._output_buffer(shapes[s], dtypes[s], i, output_memory)
                              for i, s in enumerate(plan.head_slots)]
        self.outputs = [from_data(d, ctx) for d in self._out_data]
        # a step whose first output is a head listed once may write it straight into that buffer
        for k, step in enumerate(plan.steps):
            self._contexts[k].out_shapes = tuple(shapes[s] for s in step.outs)
            if plan.head_slots.count(step.outs[0]) == 1:
                self._contexts[k].out = self._out_data[plan.head_slots.index(step.outs[0])]
        self._bwd_program = [self._backward_entry(u, release)
                             for u, release in zip(self._units, self._memory.grad_release)]
        self._direct_grads = self._direct_grad_targets()
        self._refusal = next((msg for msg in (_refusing_op(symbol, self._arg_names[i])
                                              for i in self._grad_positions) if msg), None)
        self._head_needs = [node.op is None or node.op.needs_head_grad for node, _ in plan.heads]
        # (kernel, step context, params, input slots, output slots, slots to drop after) per step;
        # the monitored forward walks these, the plain one the fused program
        self._fwd_steps = [
            (_kernel(step.op, ctx, "forward"), self._contexts[k], step.params, tuple(step.ins),
             tuple(step.outs), self._memory.fwd_release[k]) for k, step in enumerate(plan.steps)]
        self._fwd_program, self._fwd_names = self._fused_program()
        self._vals = [None] * plan.n_slots
        self._monitor = None
        self._monitor_all = False
        self._dicts = {}
        self._ran_forward_train = False

    # ----- setup helpers
    # ------------------------------------------------------------------------------
    def _fused_program(self):
        """The forward program with each element-wise group (``passes.pointwise_groups``) as one
        entry at its last step, dropping what its members' steps would have dropped; and the
        (node name, op name) of each entry (for the profiler)."""
        steps = self._plan.steps
        root_of = {k: g for g in self._groups for k in g.members}
        program, names = [], []
        for k, entry in enumerate(self._fwd_steps):
            g = root_of.get(k)
            if g is None:
                program.append(entry)
                names.append((steps[k].name, steps[k].op.name))
            elif k == g.root:
                release = tuple(s for m in g.members for s in self._memory.fwd_release[m])
                program.append((g.kernel.forward, self._contexts[k], None, g.ins, (g.out,),
                                release))
                names.append((g.name, "_fused"))
        return program, names

    def _backward_entry(self, unit, release):
        """One backward unit as the tuple the backward loop unpacks. What the unit's backward
        reads is fetched through templates: a slot number (>= 0) reads the value, -1 passes the
        constant beside it (a ``ShapeOnly`` record or None), as its ``backward_reads`` says."""
        shapes, dtypes, reads = self._slot_shapes, self._slot_dtypes, unit.reads

        def template(slots, values, shape_only=()):
            fetch, const = [], []
            for pos, s in enumerate(slots):
                read = pos in values
                fetch.append(s if read else -1)
                const.append(ShapeOnly(shapes[s], dtypes[s]) if pos in shape_only and not read
                             else None)
            return tuple(zip(fetch, const))

        sc = self._contexts[unit.step]
        sc.grad_wanted = tuple(s in self._grad_slots for s in unit.ins)
        targets = tuple((pos, slot) for pos, slot in enumerate(unit.ins)
                        if slot in self._grad_slots and pos not in unit.aux_ins)
        return (unit.backward, sc, unit.params, template(unit.ins, reads.inputs,
                                                         reads.input_shapes),
                template(unit.outs, reads.outputs), unit.visible, unit.needs_head_grad, targets,
                release)

    def _direct_grad_targets(self):
        """Per backward unit: ``(pos, grad NDArray)`` for each input whose gradient goes straight
        to a grad_req 'write' array with no other contribution; the op may compute into it
        (``StepContext.grad_out``), saving the copy in :meth:`_store_gradients`."""
        writes = {slot: grad_nd for slot, grad_nd, add in self._grad_targets if not add}
        count = {}
        for entry in self._bwd_program:
            for _, slot in entry[7]:
                count[slot] = count.get(slot, 0) + 1
        return [tuple((pos, writes[slot]) for pos, slot in entry[7]
                      if slot in writes and count[slot] == 1)
                for entry in self._bwd_program]

    def _check_devices(self, group2ctx):
        allowed = {self._ctx} | set((group2ctx or {}).values())
        for kind, names, arrays in (("arg", self._arg_names, self.arg_arrays),
                                    ("aux", self._aux_names, self.aux_arrays),
                                    ("grad", self._arg_names, self.grad_arrays or [])):
            for name, arr in zip(names, arrays):
                if arr is not None and arr.context not in allowed:
                    raise MXNetError(f"Input array {name} ({kind}) is in {arr.context} while "
                                     f"binding with ctx={self._ctx}. All arguments must be in "
                                     f"global context ({self._ctx}) unless group2ctx is "
                                     f"specified for cross-device graph.")
                if arr is not None and arr.context.device_typeid != self._ctx.device_typeid:
                    raise MXNetError(f"Input array {name} ({kind}) is on {arr.context} but the "
                                     f"executor runs on {self._ctx}: move it with "
                                     f"as_in_context({self._ctx})")

    def _check_bound_arrays(self):
        """The one check of what enters the executor at bind: every argument, gradient buffer and
        aux state an NDArray with a non-empty shape; a gradient buffer of exactly its argument's
        shape and dtype (MXNet 1.9.1 fills a buffer of another dtype with reinterpreted bits)."""
        for kind, names, arrays in (("argument", self._arg_names, self.arg_arrays),
                                    ("aux state", self._aux_names, self.aux_arrays)):
            for name, arr in zip(names, arrays):
                if arr is None:
                    raise MXNetError(f"bind: {kind} {name} is missing (None)")
                _check_array(arr, f"bind: {kind} {name}")
        for i, (name, grad) in enumerate(zip(self._arg_names, self.grad_arrays or [])):
            if grad is None or self._grad_reqs[i] == "null":
                continue
            _check_array(grad, f"bind: gradient buffer of {name}")
            arg = self.arg_arrays[i]
            if grad.shape != arg.shape:
                raise MXNetError(f"bind: gradient buffer of {name} has shape {grad.shape}, "
                                 f"expected {arg.shape} (the shape of argument {name})")
            if np.dtype(grad.dtype) != np.dtype(arg.dtype):
                raise MXNetError(f"bind: gradient buffer of {name} has dtype "
                                 f"{np.dtype(grad.dtype).name}, expected "
                                 f"{np.dtype(arg.dtype).name} (the dtype of argument {name})")

    def _infer(self):
        """Shapes and dtypes of every slot, from the bound arrays (MXNetError on inconsistency)."""
        from .symbol.infer import infer_graph
        plan = self._plan
        known_s, known_t = {}, {}
        nodes = plan.arg_nodes + plan.aux_nodes
        for node, arr in zip(nodes, self.arg_arrays + self.aux_arrays):
            known_s[node.name] = arr.shape
            known_t[node.name] = np.dtype(arr.dtype)
        # duplicate variable names: feed by node, not by name
        shapes_by = infer_graph(plan.order, known_s, "shape")
        types_by = infer_graph(plan.order, known_t, "type")
        shapes, dtypes = {}, {}
        for key, slot in plan.slot_of.items():
            shapes[slot] = shapes_by.get(key)
            dtypes[slot] = types_by.get(key)
        for slot, (node, _) in zip(plan.head_slots, plan.heads):
            if shapes[slot] is None or dtypes[slot] is None:
                what = "" if node.op is None else f" ({node.op.name} with " + ", ".join(
                    f"{k}={v}" for k, v in sorted(node.attrs.items())) + ")"
                raise MXNetError(f"Cannot infer the shape/type of output {node.name}{what}: bind "
                                 f"needs every argument and every shape parameter known")
        return shapes, dtypes

    def _output_buffer(self, shape, dtype, index, memory):
        """Output ``index``'s buffer: the leading elements of ``memory[index]`` when that array
        (an earlier executor's output, for ``reshape``) is large enough, as MXNet's shared memory
        pool gives; else fresh zeros."""
        old = memory[index] if memory is not None and index < len(memory) else None
        size = int(np.prod(shape))
        if old is not None and old.dtype == dtype and old.size >= size:
            return old.reshape(-1)[:size].reshape(shape)
        return self._xp.zeros(shape, dtype)

    # ----- properties
    # ---------------------------------------------------------------------------------
    def _dict(self, key, names, arrays):
        if key not in self._dicts:
            if len(set(names)) != len(names):
                raise ValueError(f"Duplicate names detected, {names}")
            self._dicts[key] = dict(zip(names, arrays))
        return self._dicts[key]

    @property
    def arg_dict(self):
        return self._dict("arg", self._arg_names, self.arg_arrays)

    @property
    def grad_dict(self):
        return self._dict("grad", self._arg_names, self.grad_arrays)

    @property
    def aux_dict(self):
        return self._dict("aux", self._aux_names, self.aux_arrays)

    @property
    def output_dict(self):
        return self._dict("out", self._output_names, self.outputs)

    # ----- running
    # ------------------------------------------------------------------------------------
    def forward(self, is_train=False, **kwargs):
        """Compute the outputs; keyword arrays are copied into the arguments first."""
        if kwargs:
            arg_dict = self.arg_dict
            for name, value in kwargs.items():
                if not isinstance(value, (NDArray, np.ndarray)):
                    raise ValueError("only accept keyword argument of NDArrays and numpy.ndarray")
                if name not in arg_dict:
                    raise TypeError(f"Unknown argument {name}"
                                    f"{did_you_mean(name, arg_dict)}")
                if arg_dict[name].shape != value.shape:
                    raise ValueError(f"Shape not match! Argument {name}, need: "
                                     f"{arg_dict[name].shape}, received: {value.shape}")
                arg_dict[name][:] = value
        plan, vals = self._plan, self._vals
        for slot, arr in self._bound_inputs:
            vals[slot] = arr._data
        if self._monitor is not None:
            self._forward_monitored(is_train)
        else:
            with self._scope:
                for fwd, sc, params, ins, outs, release in self._fwd_program:
                    sc.is_train = is_train
                    results = fwd(sc, params, [vals[s] for s in ins])
                    for s, o in zip(outs, results):
                        vals[s] = o
                    for s in release:
                        vals[s] = None
        copyto = self._xp.copyto
        with self._scope:
            for buf, slot in zip(self._out_data, plan.head_slots):
                if vals[slot] is not buf:  # an op may have written straight into the buffer
                    copyto(buf, vals[slot], casting="unsafe")
        ctx = self._ctx
        self.outputs = [NDArray(d, ctx) for d in self._out_data]
        return self.outputs

    def _forward_monitored(self, is_train):
        """The forward loop with the monitor callback after every step."""
        vals = self._vals
        with self._scope:
            for k, (fwd, sc, params, ins, outs, release) in enumerate(self._fwd_steps):
                sc.is_train = is_train
                results = fwd(sc, params, [vals[s] for s in ins])
                for s, o in zip(outs, results):
                    vals[s] = o
                self._report(self._plan.steps[k], vals)
                for s in release:
                    vals[s] = None

    def backward(self, out_grads=None, is_train=True):
        """Back-propagate ``out_grads`` (one per output, matched by position) into the gradient
        arrays according to grad_req."""
        out_grads = self._normalize_out_grads(out_grads)
        if not self._grad_positions:
            return
        if self._refusal is not None:
            # MXNet accepts the bind and fails when the gradient is computed
            raise MXNetError(self._refusal)
        plan, vals, xp = self._plan, self._vals, self._xp
        if vals[plan.head_slots[0]] is None:
            self.forward(is_train=True)  # MXNet allows backward first: it runs on current values
        grads = {}
        with self._scope:
            for i, slot in enumerate(plan.head_slots):
                if not self._head_needs[i] or slot not in self._grad_slots:
                    continue
                g = out_grads[i] if i < len(out_grads) else None
                if g is None:
                    raise MXNetError(_HEAD_GRAD_MSG)
                if g.shape != self.outputs[i].shape:
                    raise MXNetError(f"backward: out_grads[{i}] has shape {g.shape}, but output "
                                     f"{self._output_names[i]} has shape {self.outputs[i].shape}")
                # a head listed twice takes the last gradient given for it, as MXNet does
                grads[slot] = xp.array(g._data, dtype=self._out_data[i].dtype)
            for (bwd, sc, params, ins, outs, visible, needs_head, targets, release), direct in \
                    zip(self._bwd_program, self._direct_grads):
                if len(visible) == 1:
                    g = grads.get(visible[0])
                    if g is None and needs_head:
                        continue  # no gradient reaches this step
                    ograds = [g]
                else:
                    ograds = [grads.get(s) for s in visible]
                    if needs_head:
                        if all(g is None for g in ograds):
                            continue
                        ograds = [g if g is not None else xp.zeros_like(vals[s])
                                  for g, s in zip(ograds, visible)]
                sc.is_train = is_train
                if direct:
                    sc.grad_out = [None] * len(ins)
                    for pos, grad_nd in direct:
                        sc.grad_out[pos] = grad_nd._data
                igrads = bwd(sc, params, ograds, [vals[s] if s >= 0 else c for s, c in ins],
                             [vals[s] if s >= 0 else c for s, c in outs])
                ograds = g = None  # the consumed gradients die now, not at the next unit
                for s in release:
                    grads.pop(s, None)
                for pos, slot in targets:
                    g = igrads[pos]
                    if g is not None:
                        grads[slot] = grads[slot] + g if slot in grads else g
                igrads = g = None
            self._store_gradients(grads)

    def _store_gradients(self, grads):
        """Apply grad_req: 'write' overwrites, 'add' accumulates, 'null' never gets here. An
        argument that received no gradient (a label) keeps its buffer untouched."""
        copyto = self._xp.copyto
        for slot, grad_nd, add in self._grad_targets:
            g = grads.get(slot)
            if g is None:
                continue
            buf = grad_nd._data
            if g is buf:
                continue  # computed in place (StepContext.grad_out)
            if add:
                buf += g.astype(buf.dtype, copy=False)
            else:
                copyto(buf, g, casting="unsafe")

    def _normalize_out_grads(self, out_grads):
        """``out_grads`` (None, an NDArray, a list or a dict by output name) as a list by output
        position. Keys or entries for outputs that do not exist are refused (MXNet 1.9.1 ignored
        them silently)."""
        names = self._output_names
        if out_grads is None:
            return []
        if isinstance(out_grads, NDArray):
            out = [out_grads]
        elif isinstance(out_grads, dict):
            unknown = [k for k in out_grads if k not in names]
            if unknown:
                raise MXNetError(f"backward: out_grads has key {unknown[0]!r}, which is not an "
                                 f"output{did_you_mean(unknown[0], names)} (outputs: "
                                 f"{', '.join(names)})")
            missing = [k for k in names if k not in out_grads]
            if missing:
                raise KeyError(f"backward: out_grads has no entry for output {missing[0]!r} "
                               f"(outputs: {', '.join(names)})")
            out = [out_grads[k] for k in names]
        else:
            out = list(out_grads)
        for i, g in enumerate(out):
            if not isinstance(g, NDArray):
                raise TypeError(f"inputs must be NDArray: out_grads[{i}] is "
                                f"{type(g).__name__}")
        if len(out) > len(names):
            raise MXNetError(f"backward: {len(out)} out_grads given, but the executor has "
                             f"{len(names)} output(s) ({', '.join(names)})")
        return out

    # ----- monitoring
    # ---------------------------------------------------------------------------------
    def set_monitor_callback(self, callback, monitor_all=False):
        """Call ``callback(name_bytes, array)`` after every op with each of its outputs (and, with
        ``monitor_all``, its inputs). mxlite passes the NDArray itself where MXNet passes a handle;
        ``mx.nd.NDArray(handle)`` accepts either."""
        self._monitor = callback
        self._monitor_all = monitor_all

    def _report(self, step, vals):
        cb = self._monitor
        if self._monitor_all:
            names = step.node.input_names()
            if step.op.positional_input_names:
                names = [f"input{i}" for i in range(len(names))]
            for (src, _), name, s in zip(step.node.inputs, names, step.ins):
                arr = from_data(vals[s], self._ctx)
                if src.op is None:
                    cb(src.name.encode(), arr)  # MXNet reports a variable under its own name too
                cb(f"{step.name}_{name}".encode(), arr)
        for i in range(step.n_visible):
            cb(step.node.output_name(i).encode(), from_data(vals[step.outs[i]], self._ctx))

    # ----- other API
    # ----------------------------------------------------------------------------------
    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        """Copy values into the bound arguments / aux states (cast to their dtype)."""
        for kind, params, bound in (("argument", arg_params, self.arg_dict),
                                     ("auxiliary state", aux_params or {}, self.aux_dict)):
            for name, array in params.items():
                if name not in bound:
                    if allow_extra_params:
                        continue
                    hint = did_you_mean(name, bound)
                    if kind == "argument":
                        raise ValueError(f'Find name "{name}" that is not in the arguments{hint}')
                    raise ValueError(f"Find name {name} that is not in the auxiliary states{hint}")
                dst = bound[name]
                if tuple(array.shape) != dst.shape:
                    raise MXNetError(f"copy_params_from: {kind} {name} has shape {dst.shape}, "
                                     f"given {tuple(array.shape)}")
                array.astype(dst.dtype).copyto(dst)

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new Executor for new input shapes, sharing storage: arguments whose shape is
        unchanged are the same arrays; a resized array that is not larger is a view of the old
        buffer's leading elements, as in MXNet; a larger one needs ``allow_up_sizing``."""
        symbol = self._symbol
        arg_shapes, _, aux_shapes = symbol.infer_shape(**kwargs)
        if arg_shapes is None:
            raise MXNetError(f"Executor.reshape: cannot infer every argument shape from {kwargs}")
        xp, ctx = self._xp, self._ctx

        def resize(old, shape, name):
            if old is None:
                return None
            data = resize_array(old._data, shape, name, allow_up_sizing,
                                lambda s, dt: xp.zeros(s, dt))
            return old if data is old._data else NDArray(data, ctx)

        args, grads = [], []
        for i, (name, shape) in enumerate(zip(self._arg_names, arg_shapes)):
            old = self.arg_arrays[i]
            if old.shape != shape and name not in kwargs and not partial_shaping:
                raise MXNetError(f"Shape of unspecifie arg: {name} changed. This can cause the "
                                 f"new executor to not share parameters with the old one. Please "
                                 f"check for error in network. If this is intended, set "
                                 f"partial_shaping=True to suppress this warning.")
            args.append(resize(old, shape, name))
            grads.append(resize(self.grad_arrays[i] if self.grad_arrays is not None else None,
                                shape, name))
        aux = [resize(old, shape, name)
               for old, shape, name in zip(self.aux_arrays, aux_shapes, self._aux_names)]
        new = Executor(symbol, ctx, args, grads, self._grad_reqs, aux, self._group2ctx,
                       self._grad_req, grad_list_given=self.grad_arrays is not None,
                       output_memory=self._out_data)
        if self._monitor is not None:
            new.set_monitor_callback(self._monitor, self._monitor_all)
        return new

    def debug_str(self):
        """The plan: steps, slots with shapes, the backward units, the memory plan (planned
        peak, storage MXNet-style) and the memory allocated at bind."""
        persistent = sum(int(d.nbytes) for d in self._out_data)
        persistent += sum(int(g._data.nbytes) for g in (self.grad_arrays or []) if g is not None)
        text = self._plan.describe(self._slot_shapes, self._slot_dtypes, self._units,
                                   persistent, self._memory)
        if self._groups:
            text += "\nFused element-wise steps: " + ", ".join(g.name for g in self._groups)
        return text

    def get_optimized_symbol(self):
        return self._symbol

    def __repr__(self):
        return f"<Executor {self._symbol!r} @{self._ctx}>"


def _kernel(op, ctx, which):
    if ctx.is_gpu:
        override = op.gpu_forward if which == "forward" else op.gpu_backward
        if override is not None:
            return override
    fn = op.forward if which == "forward" else op.backward
    if fn is None:
        def no_grad(sc, p, ograds, ins, outs):
            raise MXNetError(f"Operator {op.name} has no gradient")
        return no_grad
    return fn


def _refusing_op(symbol, arg_name):
    """The error text when an op refuses a gradient for the input fed by ``arg_name``."""
    for node in symbol._order():
        if node.op is None or not node.op.no_grad_inputs:
            continue
        for (src, _), in_name in zip(node.inputs, node.input_names()):
            if src.op is None and src.name == arg_name and in_name in node.op.no_grad_inputs:
                return (f"Error in operator {node.name}: {node.op.name} layer doesn't support "
                        f"calculate {in_name} gradient")
    return None


def _check_array(arr, what):
    """An NDArray holding at least one element (MXNet's legacy shapes have no 0 dimension)."""
    if not isinstance(arr, NDArray):
        raise TypeError(f"{what} must be an NDArray, got {type(arr).__name__}")
    if arr.ndim == 0 or 0 in arr.shape:
        raise MXNetError(f"{what} has shape {arr.shape}: a bound array needs every dimension "
                         f"positive (0 means 'unknown' in MXNet's legacy shape mode)")
