"""Classification metrics: Accuracy, TopKAccuracy, F1 and MCC (binary), PCC (multi-class)."""
import math

import numpy

from .base import EvalMetric, _host, alias, check_label_shapes, register

__all__ = ["Accuracy", "TopKAccuracy", "F1", "MCC", "PCC"]


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of correct predictions; predictions of another shape than the label are class
    scores and are arg-maxed along ``axis``."""

    def __init__(self, axis=1, name="accuracy", output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _host(pred)
            label = _host(label)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype("int32").ravel()
            label = label.astype("int32").ravel()
            check_label_shapes(label, pred)
            self._add(int((pred == label).sum()), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Whether the label is among the ``top_k`` highest scores."""

    def __init__(self, top_k=1, name="top_k_accuracy", output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.top_k = top_k
        if self.top_k <= 1:
            raise ValueError("Please use Accuracy if top_k is no more than 1")
        self.name += f"_{self.top_k}"

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            if len(pred.shape) > 2:
                raise ValueError(f"Predictions should be no more than 2 dims, got {pred.shape}")
            order = numpy.argpartition(_host(pred).astype("float32"), -self.top_k)
            label = _host(label).astype("int32")
            check_label_shapes(label, order)
            n = order.shape[0]
            if order.ndim == 1:
                # MXNet leaves the global sum alone here
                self.sum_metric += (order.flat == label.flat).sum()
            else:
                classes = order.shape[1]
                for j in range(min(classes, self.top_k)):
                    hit = (order[:, classes - 1 - j].flat == label.flat).sum()
                    self.sum_metric += hit
                    self.global_sum_metric += hit
            self.num_inst += n
            self.global_num_inst += n


class _BinaryStats:
    """Confusion counts of a binary classifier, local and global."""

    KEYS = ("tp", "fp", "fn", "tn")

    def __init__(self):
        self.reset_stats()

    def update(self, label, pred):
        pred = _host(pred)
        label = _host(label).astype("int32")
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError(f"{self.owner} currently only supports binary classification.")
        pt, lt = pred_label == 1, label == 1
        counts = {"tp": (pt & lt).sum(), "fp": (pt & ~lt).sum(), "fn": (~pt & lt).sum(),
                  "tn": (~pt & ~lt).sum()}
        for k, v in counts.items():
            self.local[k] += int(v)
            self.glob[k] += int(v)

    @staticmethod
    def fscore(c):
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] > 0 else 0.
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] > 0 else 0.
        return 2 * p * r / (p + r) if p + r > 0 else 0.

    @staticmethod
    def mcc(c):
        if not sum(c.values()):
            return 0.
        tp, fp, fn, tn = (float(c[k]) for k in _BinaryStats.KEYS)
        denom = 1.
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)

    def local_reset_stats(self):
        self.local = dict.fromkeys(self.KEYS, 0)

    def reset_stats(self):
        self.local_reset_stats()
        self.glob = dict.fromkeys(self.KEYS, 0)


class _BinaryMetric(EvalMetric):
    """F1 / MCC: 'macro' averages the per-update scores, 'micro' scores all counts together."""

    def __init__(self, name, output_names, label_names, average):
        self.average = average
        self._stats = _BinaryStats()
        self._stats.owner = type(self).__name__
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        st = self._stats
        for label, pred in zip(labels, preds):
            st.update(label, pred)
        if self.average == "macro":
            self.sum_metric += self._score(st.local)
            self.global_sum_metric += self._score(st.glob)
            self.num_inst += 1
            self.global_num_inst += 1
            st.reset_stats()  # MXNet clears the global counts too in macro mode
        else:
            n, gn = sum(st.local.values()), sum(st.glob.values())
            self.sum_metric = self._score(st.local) * n
            self.global_sum_metric = self._score(st.glob) * gn
            self.num_inst = n
            self.global_num_inst = gn

    def reset(self):
        super().reset()
        self._stats.reset_stats()

    def reset_local(self):
        super().reset_local()
        self._stats.local_reset_stats()


@register
class F1(_BinaryMetric):
    """F1 score of a binary classifier (predictions are two class scores)."""

    def __init__(self, name="f1", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    _score = staticmethod(_BinaryStats.fscore)


@register
class MCC(_BinaryMetric):
    """Matthews correlation coefficient of a binary classifier."""

    def __init__(self, name="mcc", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    _score = staticmethod(_BinaryStats.mcc)


@register
class PCC(EvalMetric):
    """Multi-class Matthews correlation from a growing confusion matrix."""

    def __init__(self, name="pcc", output_names=None, label_names=None, has_global_stats=True):
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc):
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), "constant")
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), "constant")
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat):
        n = cmat.sum()
        x, y = cmat.sum(axis=1), cmat.sum(axis=0)
        cov_xx, cov_yy = numpy.sum(x * (n - x)), numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _host(label).astype("int32")
            pred = _host(pred)
            pred = pred.argmax(axis=1) if pred.shape != label.shape else pred.astype("int32")
            n = max(pred.max(), label.max())
            if n >= self.k:
                self._grow(n + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (pred, label), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self):
        return self._calc_mcc(self.lcm) * self.num_inst

    @sum_metric.setter
    def sum_metric(self, value):
        pass

    @property
    def global_sum_metric(self):
        return self._calc_mcc(self.gcm) * self.global_num_inst

    @global_sum_metric.setter
    def global_sum_metric(self, value):
        pass

    def reset(self):
        self.global_num_inst = 0.
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self):
        self.num_inst = 0.
        self.lcm = numpy.zeros((self.k, self.k))
