"""``mx.monitor.Monitor``: statistics of every op output (and the arguments) every few batches.

Installed on executors (``Module.install_monitor`` or ``Monitor.install(exe)``), it collects
``stat_func(array)`` for each name matching ``pattern`` during the forward passes of every
``interval``-th batch, between ``tic()`` and ``toc()``.
"""
import logging
import math
import re

import numpy as np

from .ndarray import NDArray

__all__ = ["Monitor"]


def _norm_stat(x):
    """MXNet's default statistic: ``norm(x) / sqrt(x.size)``, a shape-(1,) NDArray."""
    data = x._data.astype(np.float64) if x._data.dtype == np.float16 else x._data
    value = float((data * data).sum()) ** 0.5 / math.sqrt(max(x.size, 1))
    return NDArray(x._xp.asarray([value], dtype=x._data.dtype), x.context)


class Monitor:
    """Collect and print statistics of op outputs.

    Parameters
    ----------
    interval : int
        Every how many batches (``tic`` calls) to collect.
    stat_func : callable or None
        NDArray -> NDArray (or list of them); the default is ``norm(x)/sqrt(x.size)``.
    pattern : str
        Regular expression the names must match (``re.match``).
    sort : bool
        Sort the report by name.
    monitor_all : bool
        Also report every op's inputs.
    """

    def __init__(self, interval, stat_func=None, pattern=".*", sort=False, monitor_all=False):
        self.stat_func = stat_func if stat_func is not None else _norm_stat
        self.interval = interval
        self.activated = False
        self.queue = []
        self.step = 0
        self.exes = []
        self.re_prog = re.compile(pattern)
        self.sort = sort
        self.monitor_all = monitor_all

    def stat_helper(self, name, array):
        """The executor callback: record ``stat_func(array)`` under ``name`` when active."""
        name = name.decode() if isinstance(name, bytes) else str(name)
        if not self.activated or not self.re_prog.match(name):
            return
        self.queue.append((self.step, name, self.stat_func(array)))

    def install(self, exe):
        """Watch executor ``exe``."""
        exe.set_monitor_callback(self.stat_helper, self.monitor_all)
        self.exes.append(exe)

    def tic(self):
        """Start a batch; collection turns on every ``interval`` batches."""
        if self.step % self.interval == 0:
            self.queue = []
            self.activated = True
        self.step += 1

    def toc(self):
        """End a batch: add the arguments' and aux states' statistics and return
        [(step, name, text)] (empty when the batch was not collected)."""
        if not self.activated:
            return []
        for exe in self.exes:
            for name, arr in zip(exe._symbol.list_arguments(), exe.arg_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(arr)))
            for name, arr in zip(exe._symbol.list_auxiliary_states(), exe.aux_arrays):
                if self.re_prog.match(name):
                    self.queue.append((self.step, name, self.stat_func(arr)))
        self.activated = False
        if self.sort:
            self.queue.sort(key=lambda x: x[1])
        res = []
        for n, k, values in self.queue:
            if isinstance(values, NDArray):
                values = [values]
            if not isinstance(values, list):
                raise TypeError(f"stat_func must return an NDArray or a list of them, got "
                                f"{type(values).__name__}")
            text = ""
            for v in values:
                text += (str(v.asscalar()) if v.shape == (1,) else str(v.asnumpy())) + "\t"
            res.append((n, k, text))
        self.queue = []
        return res

    def toc_print(self):
        """toc(), logged one line per statistic."""
        for n, k, v in self.toc():
            logging.info("Batch: {:7d} {:30s} {:s}".format(n, k, v))
