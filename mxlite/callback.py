"""Training callbacks (``mx.callback``), MXNet 1.9's python/mxnet/callback.py.

Batch-end callbacks receive a ``BatchEndParam`` (epoch, nbatch, eval_metric, locals); epoch-end
callbacks receive ``(epoch, symbol, arg_params, aux_params)``. ``TrainingProgress`` is mxlite's
addition: a tqdm bar on a terminal, plain log lines otherwise.
"""
import logging
import math
import sys
import time

from .model import save_checkpoint

__all__ = ["module_checkpoint", "do_checkpoint", "log_train_metric", "Speedometer", "ProgressBar",
           "LogValidationMetricsCallback", "TrainingProgress"]


def module_checkpoint(mod, prefix, period=1, save_optimizer_states=False):
    """Epoch-end callback: ``mod.save_checkpoint(prefix, epoch + 1, ...)`` every ``period``
    epochs (with the optimizer states when asked)."""
    period = int(max(1, period))

    def _callback(iter_no, sym=None, arg=None, aux=None):
        if (iter_no + 1) % period == 0:
            mod.save_checkpoint(prefix, iter_no + 1, save_optimizer_states)
    return _callback


def do_checkpoint(prefix, period=1):
    """Epoch-end callback: ``mx.model.save_checkpoint(prefix, epoch + 1, ...)`` every ``period``
    epochs (atomic writes)."""
    period = int(max(1, period))

    def _callback(iter_no, sym, arg, aux):
        from .kvstore.dist import current_rank
        if (iter_no + 1) % period == 0 and current_rank() == 0:   # rank 0 writes in a dist job
            save_checkpoint(prefix, iter_no + 1, sym, arg, aux)
    return _callback


def log_train_metric(period, auto_reset=False):
    """Batch-end callback logging the training metric every ``period`` batches."""
    def _callback(param):
        if param.nbatch % period == 0 and param.eval_metric is not None:
            for name, value in param.eval_metric.get_name_value():
                logging.info("Iter[%d] Batch[%d] Train-%s=%f", param.epoch, param.nbatch, name,
                             value)
            if auto_reset:
                param.eval_metric.reset_local()
    return _callback


class Speedometer:
    """Batch-end callback logging samples/sec and the metric every ``frequent`` batches.

    Parameters
    ----------
    batch_size : int
    frequent : int
    auto_reset : bool
        Reset the metric's local counters after each log line (the line then covers the last
        ``frequent`` batches; the epoch's value survives in the global counters).
    """

    def __init__(self, batch_size, frequent=50, auto_reset=True):
        self.batch_size = batch_size
        self.frequent = frequent
        self.init = False
        self.tic = 0
        self.last_count = 0
        self.auto_reset = auto_reset

    def __call__(self, param):
        count = param.nbatch
        if self.last_count > count:
            self.init = False  # a new epoch started
        self.last_count = count
        if not self.init:
            self.init = True
            self.tic = time.time()
            return
        if count % self.frequent:
            return
        try:
            speed = self.frequent * self.batch_size / (time.time() - self.tic)
        except ZeroDivisionError:
            speed = float("inf")
        if param.eval_metric is not None:
            name_value = param.eval_metric.get_name_value()
            fields = "\t%s=%f" * len(name_value)
            values = sum(name_value, ())
            if self.auto_reset:
                param.eval_metric.reset_local()
                logging.info("Epoch[%d] Batch [%d-%d]\tSpeed: %.2f samples/sec" + fields,
                             param.epoch, count - self.frequent, count, speed, *values)
            else:
                logging.info("Epoch[%d] Batch [0-%d]\tSpeed: %.2f samples/sec" + fields,
                             param.epoch, count, speed, *values)
        else:
            logging.info("Iter[%d] Batch [%d]\tSpeed: %.2f samples/sec", param.epoch, count,
                         speed)
        self.tic = time.time()


class ProgressBar:
    """Batch-end callback logging a text bar of ``nbatch / total``."""

    def __init__(self, total, length=80):
        self.bar_len = length
        self.total = total

    def __call__(self, param):
        count = param.nbatch
        filled = int(round(self.bar_len * count / float(self.total)))
        percents = math.ceil(100.0 * count / float(self.total))
        bar = "=" * filled + "-" * (self.bar_len - filled)
        logging.info("[%s] %s%s\r", bar, percents, "%")


class LogValidationMetricsCallback:
    """Eval-end callback logging the validation metric."""

    def __call__(self, param):
        if not param.eval_metric:
            return
        for name, value in param.eval_metric.get_name_value():
            logging.info("Epoch[%d] Validation-%s=%f", param.epoch, name, value)


class TrainingProgress:
    """Batch-end callback showing progress through an epoch: a tqdm bar (with the running metric)
    when ``stream`` is a terminal and tqdm is installed, else one log line every ``frequent``
    batches and at the end of the epoch.

    Parameters
    ----------
    total : int or None
        Batches per epoch (None: unknown).
    frequent : int
        Batches between log lines when not on a terminal.
    stream : file
        Where the bar goes (stderr by default).
    """

    def __init__(self, total=None, frequent=50, stream=None):
        self.total = total
        self.frequent = frequent
        self.stream = stream or sys.stderr
        self._bar = None
        self._epoch = None
        self._tqdm = None
        if getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
                self._tqdm = tqdm
            except ImportError:
                pass

    def _metric_text(self, param):
        if param.eval_metric is None:
            return ""
        return " ".join(f"{n}={v:.4f}" for n, v in param.eval_metric.get_name_value())

    def __call__(self, param):
        if param.epoch != self._epoch:
            self.close()
            self._epoch = param.epoch
            if self._tqdm is not None:
                self._bar = self._tqdm(total=self.total, desc=f"Epoch {param.epoch}",
                                       file=self.stream, leave=False, unit="batch")
        done = param.nbatch + 1
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix_str(self._metric_text(param), refresh=False)
            if self.total is not None and done >= self.total:
                self.close()
        elif done % self.frequent == 0 or (self.total is not None and done == self.total):
            total = "?" if self.total is None else self.total
            logging.info("Epoch[%d] Batch %d/%s %s", param.epoch, done, total,
                         self._metric_text(param))

    def close(self):
        """Close the bar of the current epoch, if any."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
