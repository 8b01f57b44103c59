"""``Module``: a symbol bound on one or more contexts, with parameters and an optimizer
(MXNet 1.9's module/module.py).

The master copy of the parameters lives in ``_arg_params``/``_aux_params`` on the CPU; the devices
hold their own copies, synchronised back (averaged) when asked for (``get_params``) and at the end
of each ``fit`` epoch.
"""
import logging
import warnings

from .. import optimizer as opt
from ..base import MXNetError
from ..context import Context, cpu
from ..initializer import InitDesc
from ..io import DataDesc
from ..model import load_checkpoint
from ..ndarray import zeros
from ..utils import atomic_write_bytes
from .base_module import DEFAULT_INIT, BaseModule, check_input_names, parse_data_desc
from .executor_group import DataParallelExecutorGroup
from .kvstore_sync import (create_kvstore, initialize_kvstore, update_params,
                           update_params_on_kvstore)

__all__ = ["Module"]

_CPU = cpu()


class Module(BaseModule):
    """A symbol with data, label, parameter and state inputs, trained as MXNet's Module.

    Parameters
    ----------
    symbol : Symbol
    data_names, label_names : sequence of str
    logger : logging.Logger
    context : Context or list of Context
        Several contexts split each batch by ``work_load_list``.
    work_load_list : list of float or None
        Relative share of the batch per context (equal by default).
    fixed_param_names : list of str or None
        Parameters that are not updated (grad_req 'null').
    state_names : list of str or None
        Inputs kept across batches (RNN states), set with ``set_states``.
    group2ctxs : dict or list or None
        ctx_group -> context per device (model parallelism).
    compression_params : dict or None
        Passed to the kvstore (ignored by a single-process store).
    """

    def __init__(self, symbol, data_names=("data",), label_names=("softmax_label",),
                 logger=logging, context=_CPU, work_load_list=None, fixed_param_names=None,
                 state_names=None, group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if isinstance(context, Context):
            context = [context]
        self._context = list(context)
        if work_load_list is None:
            work_load_list = [1] * len(self._context)
        if len(work_load_list) != len(self._context):
            raise ValueError(f"work_load_list has {len(work_load_list)} entries for "
                             f"{len(self._context)} contexts")
        self._work_load_list = work_load_list
        self._group2ctxs = group2ctxs
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        check_input_names(symbol, data_names, "data", True)
        check_input_names(symbol, label_names, "label", False)
        check_input_names(symbol, state_names, "state", True)
        check_input_names(symbol, fixed_param_names, "fixed_param", True)
        input_names = data_names + label_names + state_names
        self._param_names = [x for x in symbol.list_arguments() if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = label_names
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._compression_params = compression_params
        self._optimizer = None
        self._kvstore = None
        self._update_on_kvstore = None
        self._updater = None
        self._preload_opt_states = None
        self._grad_req = None
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    # ----- checkpoints
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module from ``prefix-symbol.json`` and ``prefix-%04d.params`` (and, with
        ``load_optimizer_states``, ``prefix-%04d.states`` once the optimizer is set up)."""
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = "%s-%04d.states" % (prefix, epoch)
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json``, ``prefix-%04d.params`` and optionally
        ``prefix-%04d.states`` (each file atomically). In a distributed job only rank 0 writes."""
        if self._kvstore is not None and self._kvstore.rank != 0:
            return
        self._symbol.save("%s-symbol.json" % prefix, remove_amp_cast=remove_amp_cast)
        param_name = "%s-%04d.params" % (prefix, epoch)
        self.save_params(param_name)
        logging.info('Saved checkpoint to "%s"', param_name)
        if save_optimizer_states:
            state_name = "%s-%04d.states" % (prefix, epoch)
            self.save_optimizer_states(state_name)
            logging.info('Saved optimizer state to "%s"', state_name)

    # ----- properties
    def _reset_bind(self):
        self.binded = False
        self._exec_group = None
        self._data_shapes = None
        self._label_shapes = None

    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        self._need_bind()
        return self._data_shapes

    @property
    def label_shapes(self):
        self._need_bind()
        return self._label_shapes

    @property
    def output_shapes(self):
        self._need_bind()
        return self._exec_group.get_output_shapes()

    def _need_bind(self):
        if not self.binded:
            raise MXNetError("the module is not bound: call bind (or fit) first")

    # ----- parameters
    def get_params(self):
        """(arg_params, aux_params), synchronised from the devices first."""
        if not self.params_initialized:
            raise MXNetError("parameters are not initialized: call init_params (or fit) first")
        if self._params_dirty:
            self._sync_params_from_devices()
        return (self._arg_params, self._aux_params)

    def init_params(self, initializer=DEFAULT_INIT, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Fill the parameters from ``arg_params``/``aux_params`` or the initializer (in sorted
        name order), then copy them to the devices."""
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. init_params "
                          "call ignored.", stacklevel=2)
            return
        self._need_bind()

        # check every given array first, so a bad one leaves all parameters as they were
        for given, own in ((arg_params, self._arg_params), (aux_params, self._aux_params)):
            for name, arr in (given or {}).items():
                if name in own and arr.shape != own[name].shape:
                    raise MXNetError(f"init_params: {name} has shape {arr.shape}, the module "
                                     f"expects {own[name].shape}")
            if given is not None and not allow_missing:
                missing = sorted(n for n in own if n not in given)
                if missing:
                    raise RuntimeError(f"{missing[0]} is not presented")

        def _impl(name, arr, cache):
            if cache is not None:
                if name in cache:
                    src = cache[name]
                    if src is not arr:
                        src.copyto(arr)
                    return
                if not allow_missing:
                    raise RuntimeError(f"{name} is not presented")
                if initializer is not None:
                    initializer(name, arr)
            else:
                initializer(name, arr)

        attrs = self._symbol.attr_dict()
        for name, arr in sorted(self._arg_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._exec_group.set_params(self._arg_params, self._aux_params, allow_extra=allow_extra)

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Assign parameters (with ``allow_missing``, straight to the devices)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. set_params "
                          "call ignored.", stacklevel=2)
            return
        self._exec_group.set_params(arg_params, aux_params, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def _sync_params_from_devices(self):
        self._exec_group.get_params(self._arg_params, self._aux_params)
        self._params_dirty = False

    # ----- binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind executors for inputs of ``data_shapes`` / ``label_shapes`` (DataDescs or
        (name, shape) pairs) on the module's contexts."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if not for_training and inputs_need_grad:
            raise MXNetError("inputs_need_grad needs for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes, self._label_shapes = parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        shared_group = None
        if shared_module is not None:
            if not (isinstance(shared_module, Module) and shared_module.binded
                    and shared_module.params_initialized):
                raise MXNetError("shared_module must be a bound Module with initialized "
                                 "parameters")
            shared_group = shared_module._exec_group
        self._exec_group = DataParallelExecutorGroup(
            self._symbol, self._context, self._work_load_list, self._data_shapes,
            self._label_shapes, self._param_names, for_training, inputs_need_grad, shared_group,
            logger=self.logger, fixed_param_names=self._fixed_param_names, grad_req=grad_req,
            group2ctxs=self._group2ctxs, state_names=self._state_names)
        if shared_module is not None:
            self.params_initialized = True
            self._arg_params = shared_module._arg_params
            self._aux_params = shared_module._aux_params
        elif self.params_initialized:
            # re-binding (or Module.load): the known parameters go to the new executors
            self._exec_group.set_params(self._arg_params, self._aux_params)
        else:
            self._arg_params = {name: zeros(block[0].shape, dtype=block[0].dtype)
                                for name, block in zip(self._param_names,
                                                       self._exec_group.param_arrays)}
            self._aux_params = {name: zeros(block[0].shape, dtype=block[0].dtype)
                                for name, block in zip(self._aux_names,
                                                       self._exec_group.aux_arrays)}
        if shared_module is not None and shared_module.optimizer_initialized:
            self.borrow_optimizer(shared_module)
        self.binded = True

    def reshape(self, data_shapes, label_shapes=None):
        """Re-shape the executors for new input shapes (e.g. another batch size)."""
        self._need_bind()
        self._data_shapes, self._label_shapes = parse_data_desc(
            self.data_names, self.label_names, data_shapes, label_shapes)
        self._exec_group.reshape(self._data_shapes, self._label_shapes)

    # ----- optimizer
    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Set up the optimizer (by name or object) and, for several devices, the kvstore. An
        optimizer given by name gets ``rescale_grad = 1/batch_size`` and the parameter names."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("call bind and init_params before init_optimizer")
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        kvstore, update_on_kvstore = create_kvstore(kvstore, len(self._context),
                                                    self._arg_params)
        batch_size = self._exec_group.batch_size
        if kvstore and "dist" in kvstore.type and "_sync" in kvstore.type:
            batch_size *= kvstore.num_workers
        rescale_grad = 1.0 / batch_size
        names = self._exec_group.param_names
        n_dev = len(self._context)
        if update_on_kvstore:
            idx2name = dict(enumerate(names))
        else:
            idx2name = {i * n_dev + k: n for k in range(n_dev) for i, n in enumerate(names)}
        if isinstance(optimizer, str):
            optimizer_params = dict(optimizer_params)
            optimizer_params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self.symbol, param_idx2name=idx2name,
                                   **optimizer_params)
        else:
            if not isinstance(optimizer, opt.Optimizer):
                raise TypeError(f"optimizer must be a name or an Optimizer, got "
                                f"{type(optimizer).__name__}")
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is not "
                              "normalized to 1.0/batch_size/num_workers "
                              f"({optimizer.rescale_grad} vs. {rescale_grad}). Is this intended?",
                              stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        self._optimizer = optimizer
        self._kvstore = kvstore
        self._update_on_kvstore = update_on_kvstore
        self._updater = None
        if kvstore:
            if self._compression_params:
                kvstore.set_gradient_compression(self._compression_params)
            if update_on_kvstore:
                kvstore.set_optimizer(self._optimizer)
            initialize_kvstore(kvstore, self._exec_group.param_arrays, self._arg_params,
                               self._param_names, update_on_kvstore)
        if not update_on_kvstore:
            self._updater = opt.get_updater(optimizer)
        self.optimizer_initialized = True
        if self._preload_opt_states is not None:
            self.load_optimizer_states(self._preload_opt_states)
            self._preload_opt_states = None

    def borrow_optimizer(self, shared_module):
        """Use ``shared_module``'s optimizer, kvstore and updater."""
        if not shared_module.optimizer_initialized:
            raise MXNetError("the shared module has no optimizer yet")
        self._optimizer = shared_module._optimizer
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self._updater = shared_module._updater
        self.optimizer_initialized = True

    def save_optimizer_states(self, fname):
        """Write the optimizer states (MXNet's pickled layout), atomically."""
        if not self.optimizer_initialized:
            raise MXNetError("call init_optimizer (or fit) before save_optimizer_states")
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
        else:
            atomic_write_bytes(fname, self._updater.get_states())

    def load_optimizer_states(self, fname):
        """Load optimizer states written by save_optimizer_states (mxlite's or MXNet's)."""
        if not self.optimizer_initialized:
            raise MXNetError("call init_optimizer (or fit) before load_optimizer_states")
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
        else:
            with open(fname, "rb") as f:
                self._updater.set_states(f.read())

    # ----- computation
    def forward(self, data_batch, is_train=None):
        """Run the executors on a batch; a batch of other shapes re-shapes them first."""
        self._ready()
        curr = tuple(d.shape for d in self._data_shapes)
        if isinstance(data_batch, list):
            new = []
            for i in range(len(data_batch[0].data)):
                shape = data_batch[0].data[i].shape
                if any(db.data[i].shape != shape for db in data_batch):
                    raise MXNetError("All data batches in a list need to have the same shape")
                new.append((len(data_batch) * shape[0],) + shape[1:])
            new = tuple(new)
        else:
            if data_batch.data is None or len(data_batch.data) != len(self._data_shapes):
                n = 0 if data_batch.data is None else len(data_batch.data)
                raise MXNetError(f"the batch has {n} data arrays, the module expects "
                                 f"{len(self._data_shapes)} ({', '.join(self._data_names)})")
            new = tuple(d.shape for d in data_batch.data)
        if curr != new:
            if getattr(data_batch, "provide_data", None):
                new_dshape = data_batch.provide_data
            else:
                new_dshape = [DataDesc(d.name, s, d.dtype, d.layout)
                              for d, s in zip(self._data_shapes, new)]
            if getattr(data_batch, "provide_label", None):
                new_lshape = data_batch.provide_label
            elif getattr(data_batch, "label", None) and self._label_shapes:
                new_lshape = [DataDesc(d.name, lb.shape, d.dtype, d.layout)
                              for d, lb in zip(self._label_shapes, data_batch.label)]
            else:
                new_lshape = None
            pairs = ", ".join(f"'{d.name}' {s} (bound {d.shape})"
                              for d, s in zip(self._data_shapes, new) if s != d.shape)
            old = (self._data_shapes, self._label_shapes)
            try:
                self.reshape(new_dshape, new_lshape)
            except MXNetError as err:
                # the executors are unchanged: keep the module's shapes consistent with them
                self._data_shapes, self._label_shapes = old
                raise MXNetError(f"Module.forward: the batch's data {pairs} does not fit the "
                                 f"network: {err}") from None
        self._exec_group.forward(data_batch, is_train)

    def backward(self, out_grads=None):
        self._ready()
        self._exec_group.backward(out_grads=out_grads)

    def update(self):
        """Apply the optimizer to every parameter with a gradient."""
        if not (self.binded and self.params_initialized and self.optimizer_initialized):
            raise MXNetError("call bind, init_params and init_optimizer before update")
        self._params_dirty = True
        group = self._exec_group
        if self._update_on_kvstore:
            update_params_on_kvstore(group.param_arrays, group.grad_arrays, self._kvstore,
                                     group.param_names)
        else:
            update_params(group.param_arrays, group.grad_arrays, updater=self._updater,
                          num_device=len(self._context), kvstore=self._kvstore,
                          param_names=group.param_names)

    def get_outputs(self, merge_multi_context=True):
        self._ready()
        return self._exec_group.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._ready()
        return self._exec_group.get_input_grads(merge_multi_context=merge_multi_context)

    def get_states(self, merge_multi_context=True):
        self._ready()
        return self._exec_group.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        self._ready()
        self._exec_group.set_states(states, value)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._exec_group.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        """Have ``mon`` watch every executor."""
        self._need_bind()
        self._exec_group.install_monitor(mon)
