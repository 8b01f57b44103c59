"""``DataParallelExecutorGroup``: one executor per context, each running its slice of the batch
(MXNet 1.9's module/executor_group.py).

The batch is cut along each input's batch axis by ``work_load_list``; parameters are shared by
name between the executors of a group, and outputs are concatenated back along the batch axis.
"""
import logging
from collections import OrderedDict

from ..base import DTYPE_MX_TO_NP, MXNetError, dtype_np
from ..context import cpu, device_scope
from ..io import DataDesc
from ..ndarray import NDArray

__all__ = ["DataParallelExecutorGroup", "split_input_slice"]


def split_input_slice(batch_size, work_load_list):
    """Slices of the batch per device, proportional to ``work_load_list`` (Python's round,
    remainder to the last device), as MXNet's executor_manager._split_input_slice."""
    total = sum(work_load_list)
    nums = [round(w * batch_size / total) for w in work_load_list]
    if sum(nums) < batch_size:
        nums[-1] += batch_size - sum(nums)
    slices, end = [], 0
    for num in nums:
        begin = int(min(end, batch_size))
        end = int(min(begin + num, batch_size))
        if begin >= end:
            raise ValueError("Too many slices. Some splits are empty.")
        slices.append(slice(begin, end))
    return slices


def _take(src, sl, axis):
    """``src`` sliced along ``axis`` (a view)."""
    key = (slice(None),) * axis + (sl,)
    return src[key] if not isinstance(src, NDArray) else src._data[key]


def _copy_into(dst, src_data, src_ctx, name):
    if dst._data.shape != src_data.shape:
        raise MXNetError(f"input '{name}': the batch gives shape {tuple(src_data.shape)}, the "
                         f"module is bound to {dst.shape} for this device")
    if src_ctx == dst.context:
        with device_scope(dst.context):
            dst._xp.copyto(dst._data, src_data, casting="unsafe")
    else:
        dst._assign(NDArray(src_data, src_ctx))


def load_general(data, targets, major_axis, names):
    """Copy each input array (or its slices) into the executors' arrays."""
    if len(data) < len(targets):
        raise MXNetError(f"the batch has {len(data)} inputs, the module expects {len(targets)} "
                         f"({', '.join(names)})")
    for src, dsts, axis, name in zip(data, targets, major_axis, names):
        if isinstance(src, (list, tuple)):  # pre-sliced, one array per device
            for s, d in zip(src, dsts):
                _copy_into(d[1] if isinstance(d, tuple) else d, s._data, s.context, name)
            continue
        if not isinstance(src, NDArray):
            raise TypeError(f"input '{name}' must be an NDArray, got {type(src).__name__}")
        for sl, dst in dsts:
            if axis >= 0 and (sl.start != 0 or src.shape[axis] != sl.stop):
                _copy_into(dst, _take(src, sl, axis), src.context, name)
            else:
                _copy_into(dst, src._data, src.context, name)


def merge_outputs(outputs, major_axis):
    """One array per output: the devices' parts concatenated along the batch axis."""
    rets = []
    for tensors, axis in zip(outputs, major_axis):
        if axis >= 0 and len(tensors) > 1:
            ctx = tensors[0].context
            xp = tensors[0]._xp
            with device_scope(ctx):
                parts = [t.as_in_context(ctx)._data for t in tensors]
                rets.append(NDArray(xp.concatenate(parts, axis=axis), ctx))
        else:
            rets.append(tensors[0])
    return rets


class DataParallelExecutorGroup:
    """Executors of one symbol on several contexts, fed slices of each batch."""

    def __init__(self, symbol, contexts, workload, data_shapes, label_shapes, param_names,
                 for_training, inputs_need_grad, shared_group=None, logger=logging,
                 fixed_param_names=None, grad_req="write", state_names=None, group2ctxs=None):
        self.param_names = param_names
        self.arg_names = symbol.list_arguments()
        self.aux_names = symbol.list_auxiliary_states()
        self.symbol = symbol
        self.contexts = contexts
        self.workload = workload
        self.group2ctxs = self._prepare_group2ctxs(group2ctxs, len(contexts))
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self.logger = logger
        self.fixed_param_names = fixed_param_names or []
        self.state_names = state_names or []
        if not for_training:
            grad_req = "null"
        data_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in data_shapes]
        if label_shapes is not None:
            label_shapes = [x if isinstance(x, DataDesc) else DataDesc(*x) for x in label_shapes]
        # an iterator without labels gives []: no labels (MXNet fails an assertion here)
        label_shapes = label_shapes or None
        self.grad_req = self._grad_reqs(grad_req, [x.name for x in data_shapes])
        self.shared_data_arrays = shared_group.shared_data_arrays if shared_group is not None \
            else [{} for _ in contexts]
        self.batch_size = None
        self.slices = None
        self.execs = []
        self._default_execs = None
        self.data_arrays = self.label_arrays = self.param_arrays = self.state_arrays = None
        self.grad_arrays = self.aux_arrays = self.input_grad_arrays = None
        self.data_shapes = self.label_shapes = None
        self.data_names = self.label_names = None
        self.data_layouts = self.label_layouts = None
        self.output_names = symbol.list_outputs()
        self.num_outputs = len(self.output_names)
        self.output_layouts = [DataDesc.get_batch_axis(symbol[i].attr("__layout__"))
                               for i in range(self.num_outputs)]
        self.bind_exec(data_shapes, label_shapes, shared_group)

    @staticmethod
    def _prepare_group2ctxs(group2ctxs, n):
        if group2ctxs is None:
            return [None] * n
        if isinstance(group2ctxs, list):
            if len(group2ctxs) != n:
                raise ValueError(f"length of group2ctxs should be {n}")
            return group2ctxs
        if isinstance(group2ctxs, dict):
            ret = [{} for _ in range(n)]
            for k, v in group2ctxs.items():
                ctxs = [v] * n if not isinstance(v, (list, tuple)) else \
                    (list(v) * n if len(v) == 1 else list(v))
                if len(ctxs) != n:
                    raise ValueError(f"length of group2ctxs[{k}] should be {n} or 1")
                for i in range(n):
                    ret[i][k] = ctxs[i]
            return ret
        raise TypeError("group2ctxs should be list of dict of str to context, or dict of str to "
                        "context or list of context")

    def _grad_reqs(self, grad_req, data_names):
        if isinstance(grad_req, str):
            reqs = {}
            for k in self.arg_names:
                if k in self.param_names:
                    reqs[k] = "null" if k in self.fixed_param_names else grad_req
                elif k in data_names:
                    reqs[k] = grad_req if self.inputs_need_grad else "null"
                else:
                    reqs[k] = "null"
            return reqs
        if isinstance(grad_req, (list, tuple)):
            if len(grad_req) != len(self.arg_names):
                raise ValueError(f"grad_req has {len(grad_req)} entries for "
                                 f"{len(self.arg_names)} arguments")
            return dict(zip(self.arg_names, grad_req))
        if isinstance(grad_req, dict):
            reqs = self._grad_reqs("write", data_names)
            reqs.update(grad_req)
            return reqs
        raise ValueError("grad_req must be one of str, list, tuple, or dict.")

    def decide_slices(self, data_shapes):
        """Batch axis of each input; sets batch_size and the per-device slices."""
        if not data_shapes:
            raise ValueError("the module needs at least one data input")
        major_axis = [DataDesc.get_batch_axis(x.layout) for x in data_shapes]
        for (name, shape), axis in zip(data_shapes, major_axis):
            if axis == -1:
                continue
            batch_size = shape[axis]
            if self.batch_size is not None:
                if batch_size != self.batch_size:
                    raise MXNetError(f"all data must have the same batch size: batch_size = "
                                     f"{self.batch_size}, but {name} has shape {shape}")
            else:
                self.batch_size = batch_size
                self.slices = split_input_slice(self.batch_size, self.workload)
        return major_axis

    def _collect_arrays(self):
        execs = self.execs
        self.data_arrays = [[(self.slices[i], e.arg_dict[name]) for i, e in enumerate(execs)]
                            for name, _ in self.data_shapes]
        self.state_arrays = [[e.arg_dict[name] for e in execs] for name in self.state_names]
        if self.label_shapes is not None:
            self.label_arrays = [[(self.slices[i], e.arg_dict[name])
                                  for i, e in enumerate(execs)] for name, _ in self.label_shapes]
        else:
            self.label_arrays = None
        self.param_arrays = [[e.arg_arrays[i] for e in execs]
                             for i, name in enumerate(self.arg_names) if name in self.param_names]
        if self.for_training:
            self.grad_arrays = [[e.grad_arrays[i] for e in execs]
                                for i, name in enumerate(self.arg_names)
                                if name in self.param_names]
        else:
            self.grad_arrays = None
        if self.inputs_need_grad:
            self.input_grad_arrays = [[e.grad_arrays[self.arg_names.index(name)] for e in execs]
                                      for name, _ in self.data_shapes if name in self.arg_names]
        else:
            self.input_grad_arrays = None
        self.aux_arrays = [[e.aux_arrays[i] for e in execs] for i in range(len(self.aux_names))]

    def bind_exec(self, data_shapes, label_shapes, shared_group=None, reshape=False):
        """Bind (or, with ``reshape``, re-shape) one executor per context."""
        label_shapes = label_shapes or None
        self.batch_size = None
        self.data_layouts = self.decide_slices(data_shapes)
        if label_shapes is not None:
            self.label_layouts = self.decide_slices(label_shapes)
        for i in range(len(self.contexts)):
            shapes_i = self._sliced_shape(data_shapes, i, self.data_layouts)
            if label_shapes is not None:
                shapes_i += self._sliced_shape(label_shapes, i, self.label_layouts)
            if reshape:
                self.execs[i] = self._default_execs[i].reshape(
                    allow_up_sizing=True, **{d.name: d.shape for d in shapes_i})
            else:
                self.execs.append(self._bind_ith_exec(i, shapes_i, shared_group))
        self.data_shapes = data_shapes
        self.label_shapes = label_shapes
        self.data_names = [d.name for d in data_shapes]
        if label_shapes is not None:
            self.label_names = [d.name for d in label_shapes]
        self._collect_arrays()

    def reshape(self, data_shapes, label_shapes):
        """Re-shape the executors for new input shapes (parameters shared)."""
        label_shapes = label_shapes or None
        if data_shapes == self.data_shapes and label_shapes == self.label_shapes:
            return
        if self._default_execs is None:
            self._default_execs = list(self.execs)
        self.bind_exec(data_shapes, label_shapes, reshape=True)

    def set_params(self, arg_params, aux_params, allow_extra=False):
        for exe in self.execs:
            exe.copy_params_from(arg_params, aux_params, allow_extra_params=allow_extra)

    def get_params(self, arg_params, aux_params):
        """Copy the devices' parameters (averaged over devices) into the given dicts."""
        for names, blocks, dst in ((self.param_names, self.param_arrays, arg_params),
                                   (self.aux_names, self.aux_arrays, aux_params)):
            for name, block in zip(names, blocks):
                if len(block) == 1:
                    dst[name]._assign(block[0])
                    continue
                total = block[0].copyto(cpu())
                for w in block[1:]:
                    total._data += w.copyto(cpu())._data
                dst[name]._assign(total._data / len(block))

    def forward(self, data_batch, is_train=None):
        if isinstance(data_batch, list):  # one pre-sliced batch per device
            data = [[b.data[i] for b in data_batch] for i in range(len(self.data_arrays))]
            has_label = data_batch[0].label
            labels = [[b.label[i] for b in data_batch] for i in range(len(has_label or []))]
        else:
            labels = getattr(data_batch, "label", None)  # any object with .data will do
            data, has_label = data_batch.data, labels
        load_general(data, self.data_arrays, self.data_layouts, self.data_names)
        if is_train is None:
            is_train = self.for_training
        if self.label_arrays is not None and has_label:
            load_general(labels, self.label_arrays, self.label_layouts, self.label_names)
        for exe in self.execs:
            exe.forward(is_train=is_train)

    def get_output_shapes(self):
        shapes = []
        for key, out, axis in zip(self.output_names, self.execs[0].outputs, self.output_layouts):
            shape = list(out.shape)
            if axis >= 0:
                shape[axis] = self.batch_size
            shapes.append((key, tuple(shape)))
        return shapes

    def get_outputs(self, merge_multi_context=True, begin=0, end=None):
        end = self.num_outputs if end is None else end
        outputs = [[exe.outputs[i] for exe in self.execs] for i in range(begin, end)]
        if merge_multi_context:
            outputs = merge_outputs(outputs, self.output_layouts[begin:end])
        return outputs

    def get_states(self, merge_multi_context=True):
        if merge_multi_context:
            raise MXNetError("merge_multi_context=True is not supported for get_states yet.")
        return self.state_arrays

    def set_states(self, states=None, value=None):
        if (states is None) == (value is None):
            raise ValueError("Give exactly one of states and value.")
        if states is not None:
            load_general(states, self.state_arrays, (0,) * len(states), self.state_names)
        else:
            for dsts in self.state_arrays:
                for dst in dsts:
                    dst[:] = value

    def get_input_grads(self, merge_multi_context=True):
        if not self.inputs_need_grad:
            raise MXNetError("bind with inputs_need_grad=True to get input gradients")
        if merge_multi_context:
            return merge_outputs(self.input_grad_arrays, self.data_layouts)
        return self.input_grad_arrays

    def backward(self, out_grads=None):
        if not self.for_training:
            raise MXNetError("re-bind with for_training=True to run backward")
        out_grads = out_grads or []
        for i, (exe, sl) in enumerate(zip(self.execs, self.slices)):
            part = []
            for grad, axis in zip(out_grads, self.output_layouts):
                if axis >= 0:
                    part.append(NDArray(_take(grad, sl, axis).copy(), grad.context)
                                .as_in_context(self.contexts[i]))
                else:
                    part.append(grad.copyto(self.contexts[i]))
            exe.backward(out_grads=part)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        for k, (exe, sl) in enumerate(zip(self.execs, self.slices)):
            if pre_sliced:
                labels_slice = labels[k]
            else:
                labels_slice = []
                for label, axis in zip(labels, self.label_layouts or [0] * len(labels)):
                    if axis >= 0 and len(self.execs) > 1:
                        labels_slice.append(NDArray(_take(label, sl, axis), label.context))
                    else:
                        labels_slice.append(label)
            eval_metric.update_dict(OrderedDict(zip(self.label_names or [], labels_slice)),
                                    OrderedDict(zip(self.output_names, exe.outputs)))

    def _bind_ith_exec(self, i, shapes, shared_group):
        shared_exec = None if shared_group is None else shared_group.execs[i]
        input_types = {x.name: x.dtype for x in shapes}
        attrs = self.symbol.attr_dict()
        for name in self.symbol.list_inputs():
            dt = attrs.get(name, {}).get("__dtype__")
            if name in input_types and dt not in (None, "-1"):
                input_types[name] = DTYPE_MX_TO_NP[int(dt)] if dt.isdigit() else dtype_np(dt)
        try:
            return self.symbol.simple_bind(
                ctx=self.contexts[i], grad_req=self.grad_req, type_dict=input_types,
                shared_arg_names=self.param_names, shared_exec=shared_exec,
                group2ctx=self.group2ctxs[i], shared_buffer=self.shared_data_arrays[i],
                **{x.name: x.shape for x in shapes})
        except (MXNetError, RuntimeError) as err:
            given = ", ".join(f"{x.name}={x.shape}" for x in shapes)
            raise MXNetError(f"Module cannot bind its symbol with the input shapes {given} on "
                             f"{self.contexts[i]}: {err}") from None

    def _sliced_shape(self, shapes, i, major_axis):
        out = []
        for desc, axis in zip(shapes, major_axis):
            shape = list(desc.shape)
            if axis >= 0:
                shape[axis] = self.slices[i].stop - self.slices[i].start
            out.append(DataDesc(desc.name, tuple(shape), desc.dtype, desc.layout))
        return out

    def install_monitor(self, mon):
        for exe in self.execs:
            mon.install(exe)
