"""Metric basics: the ``EvalMetric`` base class, the registry behind ``mx.metric.create``, and
``CompositeEvalMetric`` (MXNet 1.9's python/mxnet/metric.py).

A metric accumulates ``sum_metric`` and ``num_inst`` over ``update(labels, preds)`` calls and
reports their ratio. The "global" counters survive ``reset_local`` (Speedometer's auto_reset), so
the value of a whole epoch is still there at its end. Inputs are NDArrays (one per output); the
arithmetic runs in NumPy on host copies, as MXNet's does.
"""
import json
from collections import OrderedDict

import numpy

from ..base import numeric_types

__all__ = ["EvalMetric", "create", "register", "alias", "check_label_shapes",
           "CompositeEvalMetric"]

_REGISTRY = {}


def _host(x):
    """A NumPy view of an NDArray or array-like."""
    return x.asnumpy() if hasattr(x, "asnumpy") else numpy.asarray(x)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Raise ValueError when the numbers (or, with ``shape``, the shapes) of labels and predictions
    differ; with ``wrap``, single arrays become one-element lists."""
    if not shape:
        label_shape, pred_shape = len(labels), len(preds)
    else:
        label_shape, pred_shape = labels.shape, preds.shape
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of predictions "
                         f"{pred_shape}")
    if wrap:
        if hasattr(labels, "asnumpy"):
            labels = [labels]
        if hasattr(preds, "asnumpy"):
            preds = [preds]
    return labels, preds


def register(klass):
    """Register a metric class under its lower-cased name (``mx.metric.create`` finds it)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases):
    """Register a metric class under extra names too."""
    def reg(klass):
        for name in aliases:
            _REGISTRY[name.lower()] = klass
        return klass
    return reg


def create(metric, *args, **kwargs):
    """A metric from a name ('acc', 'ce', ...), a callable ``feval(label, pred)``, a list of
    those (a CompositeEvalMetric), a config dict or JSON, or an EvalMetric (returned as is)."""
    if isinstance(metric, EvalMetric):
        return metric
    if callable(metric) and not isinstance(metric, type):
        from .likelihood import CustomMetric
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        return create(**dict(metric, **kwargs))
    if not isinstance(metric, str):
        raise TypeError(f"metric must be a name, callable, list or EvalMetric, got "
                        f"{type(metric).__name__}")
    if metric.startswith("["):
        name, kw = json.loads(metric)
        return create(name, **kw)
    if metric.startswith("{"):
        return create(**json.loads(metric))
    klass = _REGISTRY.get(metric.lower())
    if klass is None:
        raise ValueError(f"Metric '{metric}' is not registered; known metrics: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return klass(*args, **kwargs)


class EvalMetric:
    """Base class of the metrics.

    Parameters
    ----------
    name : str
    output_names, label_names : list of str or None
        Which outputs / labels ``update_dict`` passes (all, in order, when None).
    """

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self):
        """The arguments that recreate this metric through ``create``."""
        config = self._kwargs.copy()
        config.update({"metric": self.__class__.__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from dicts name -> NDArray (what Module.update_metric passes)."""
        pred = ([pred[n] for n in self.output_names] if self.output_names is not None
                else list(pred.values()))
        label = ([label[n] for n in self.label_names] if self.label_names is not None
                 else list(label.values()))
        self.update(label, pred)

    def update(self, labels, preds):
        raise NotImplementedError()

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        self.num_inst = 0
        self.sum_metric = 0.0

    def _add(self, value, count):
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def get(self):
        """(name, value) since the last reset or reset_local; NaN before any update."""
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, self.sum_metric / self.num_inst)

    def get_global(self):
        """(name, value) since the last reset."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, self.global_sum_metric / self.global_num_inst)

    @staticmethod
    def _pairs(name, value):
        name = name if isinstance(name, list) else [name]
        value = value if isinstance(value, list) else [value]
        return list(zip(name, value))

    def get_name_value(self):
        """[(name, value)] pairs."""
        return self._pairs(*self.get())

    def get_global_name_value(self):
        return self._pairs(*self.get_global()) if self._has_global_stats \
            else self.get_name_value()


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; names and values are lists."""

    def __init__(self, metrics=None, name="composite", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric):
        self.metrics.append(create(metric))

    def get_metric(self, index):
        try:
            return self.metrics[index]
        except IndexError:
            # MXNet returns (does not raise) this error
            return ValueError(f"Metric index {index} is out of range 0 and {len(self.metrics)}")

    def update_dict(self, labels, preds):
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self):
        for metric in getattr(self, "metrics", []):
            metric.reset_local()

    def _collect(self, which):
        names, values = [], []
        for metric in self.metrics:
            name, value = getattr(metric, which)()
            names.extend([name] if isinstance(name, str) else name)
            values.extend([value] if isinstance(value, numeric_types) else value)
        return (names, values)

    def get(self):
        return self._collect("get")

    def get_global(self):
        return self._collect("get_global")

    def get_config(self):
        config = super().get_config()
        config.update({"metrics": [m.get_config() for m in self.metrics]})
        return config
