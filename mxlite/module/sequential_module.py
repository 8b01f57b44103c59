"""``SequentialModule``: modules chained output to input (MXNet 1.9's
module/sequential_module.py).

Each added module is bound to the previous module's output shapes; ``take_labels=True`` gives a
module the labels (and makes it update the metric); ``auto_wiring=True`` renames the previous
outputs to the module's data names. Backward runs the chain in reverse, feeding each module's
input gradients to the module before it.
"""
import copy
import logging

from ..base import MXNetError
from .base_module import DEFAULT_INIT, BaseModule

__all__ = ["SequentialModule"]


class SequentialModule(BaseModule):
    """A chain of modules trained as one."""

    META_TAKE_LABELS = "take_labels"
    META_AUTO_WIRING = "auto_wiring"

    def __init__(self, logger=logging):
        super().__init__(logger=logger)
        self._modules = []
        self._metas = []
        self._label_shapes = None
        self._data_shapes = None
        self._meta_keys = {self.META_TAKE_LABELS, self.META_AUTO_WIRING}

    def add(self, module, **kwargs):
        """Append ``module`` (meta flags: take_labels, auto_wiring); returns self for chaining."""
        unknown = set(kwargs) - self._meta_keys
        if unknown:
            raise ValueError(f'Unknown meta "{sorted(unknown)[0]}", a typo? Known: '
                             f"{sorted(self._meta_keys)}")
        self._modules.append(module)
        self._metas.append(kwargs)
        self.binded = False
        self.params_initialized = False
        self.optimizer_initialized = False
        return self

    def _need_bind(self):
        if not self.binded:
            raise MXNetError("the module is not bound: call bind (or fit) first")

    @property
    def data_names(self):
        return self._modules[0].data_names if self._modules else []

    @property
    def output_names(self):
        return self._modules[-1].output_names if self._modules else []

    @property
    def data_shapes(self):
        self._need_bind()
        return self._modules[0].data_shapes

    @property
    def label_shapes(self):
        self._need_bind()
        return self._label_shapes

    @property
    def output_shapes(self):
        self._need_bind()
        return self._modules[-1].output_shapes

    def _takes_labels(self, meta):
        return bool(meta.get(self.META_TAKE_LABELS, False))

    def get_params(self):
        self._ready()
        arg_params, aux_params = {}, {}
        for module in self._modules:
            arg, aux = module.get_params()
            arg_params.update(arg)
            aux_params.update(aux)
        return (arg_params, aux_params)

    def init_params(self, initializer=DEFAULT_INIT, arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Initialise every module; two modules may not own a parameter of the same name."""
        if self.params_initialized and not force_init:
            return
        self._need_bind()
        for module in self._modules:
            module.init_params(initializer=initializer, arg_params=arg_params,
                               aux_params=aux_params, allow_missing=allow_missing,
                               force_init=force_init, allow_extra=allow_extra)
        owners = ({}, {})
        for i, module in enumerate(self._modules):
            for known, names in zip(owners, module.get_params()):
                for name in names:
                    if name in known:
                        j = known[name]
                        raise MXNetError(f'Duplicated parameter names: name "{name}" in layer '
                                         f"{i} ({type(self._modules[i])}) is already used in "
                                         f"layer {j} ({type(self._modules[j])}).")
                    known[name] = i
        self.params_initialized = True

    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind each module to the previous module's output shapes."""
        if self.binded and not force_rebind:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if inputs_need_grad and not for_training:
            raise MXNetError("inputs_need_grad needs for_training=True")
        if shared_module is not None:
            raise MXNetError("Shared module is not supported")
        if not self._modules:
            raise MXNetError("Attempting to bind an empty SequentialModule")
        self.binded = True
        self._label_shapes = label_shapes
        shapes = data_shapes
        needs_label = False
        for i, (module, meta) in enumerate(zip(self._modules, self._metas)):
            labels = label_shapes if self._takes_labels(meta) else None
            needs_label |= labels is not None
            if meta.get(self.META_AUTO_WIRING, False):
                names = module.data_names
                if len(names) != len(shapes):
                    raise MXNetError(f"auto_wiring: layer {i} takes {len(names)} inputs, the "
                                     f"layer before gives {len(shapes)}")
                shapes = [(name, shape) for name, (_, shape) in zip(names, shapes)]
            module.bind(data_shapes=shapes, label_shapes=labels, for_training=for_training,
                        inputs_need_grad=bool(inputs_need_grad or (for_training and i > 0)),
                        force_rebind=force_rebind, shared_module=None, grad_req=grad_req)
            shapes = module.output_shapes
        if not needs_label:
            self._label_shapes = None

    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        self._ready()
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        for module in self._modules:
            module.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                                  optimizer_params=optimizer_params, force_init=force_init)
        self.optimizer_initialized = True

    def forward(self, data_batch, is_train=None):
        self._ready()
        data_batch = copy.copy(data_batch)
        for i, module in enumerate(self._modules):
            module.forward(data_batch, is_train=is_train)
            if i + 1 == len(self._modules):
                break
            data_batch.data = module.get_outputs()
            if hasattr(data_batch, "provide_data"):
                names = [x[0] for x in module.output_shapes]
                data_batch.provide_data = [(name, x.shape)
                                           for name, x in zip(names, data_batch.data)]

    def backward(self, out_grads=None):
        self._ready()
        for i in reversed(range(len(self._modules))):
            self._modules[i].backward(out_grads=out_grads)
            if i == 0:
                break
            out_grads = self._modules[i].get_input_grads()

    def update(self):
        if not self.optimizer_initialized:
            raise MXNetError("call init_optimizer before update")
        for module in self._modules:
            module.update()

    def get_outputs(self, merge_multi_context=True):
        self._ready()
        return self._modules[-1].get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._ready()
        return self._modules[0].get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Only the modules added with take_labels update the metric."""
        self._ready()
        for meta, module in zip(self._metas, self._modules):
            if self._takes_labels(meta):
                module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._need_bind()
        for module in self._modules:
            module.install_monitor(mon)
