"""``mx.profiler``: per-step timings of executors, in the Chrome trace-event JSON MXNet writes
(chrome://tracing and Perfetto open it) and as an aggregate table by op.

While the profiler runs, every executor's forward and backward pass times each step of its plan
(an op in the forward pass; ``_backward_<op>`` in the backward pass) and the pass as a whole; with
``profile_imperative`` (or ``profile_all``) each ``mx.nd`` op call is timed too. On a
GPU each step is synchronised before it is timed, so the numbers are device times, at the cost of
the overlap MXNet's asynchronous engine would get. ``pause``/``resume`` suspend collection;
``dump`` writes the trace file, ``dumps`` returns the table.
"""
import json
import threading
import time
from contextlib import contextmanager

from .base import MXNetError
from .utils import atomic_write_text

__all__ = ["set_config", "set_state", "dump", "dumps", "pause", "resume", "scope",
           "profiler_set_config", "profiler_set_state", "dump_profile", "Domain", "Task",
           "Frame", "Event", "Counter", "Marker"]

_CONFIG_KEYS = {"filename", "profile_all", "profile_symbolic", "profile_imperative",
                "profile_memory", "profile_api", "continuous_dump", "dump_period",
                "aggregate_stats", "profile_process", "gpu_memory_profile_filename_prefix"}


class _State:
    def __init__(self):
        self.config = {"filename": "profile.json", "profile_symbolic": True,
                       "aggregate_stats": False}
        self.running = False
        self.paused = False
        self.events = []
        self.lock = threading.Lock()
        self.t0 = time.perf_counter_ns()
        self.installed = False
        self.scope = "<unk>:"

    @property
    def active(self):
        return self.running and not self.paused

    def record(self, name, cat, start_ns, end_ns, args=None):
        event = {"name": name, "cat": cat, "ph": "X", "ts": (start_ns - self.t0) / 1000.0,
                 "dur": (end_ns - start_ns) / 1000.0, "pid": 0,
                 "tid": threading.get_ident() % 100000}
        if args:
            event["args"] = args
        with self.lock:
            self.events.append(event)


_STATE = _State()


def set_config(**kwargs):
    """Set profiler options (MXNet's names: filename, profile_all, profile_symbolic,
    aggregate_stats, ...). Options mxlite does not act on are kept and ignored."""
    unknown = set(kwargs) - _CONFIG_KEYS
    if unknown:
        raise MXNetError(f"profiler.set_config: unknown option(s) {sorted(unknown)}; known: "
                         f"{sorted(_CONFIG_KEYS)}")
    _STATE.config.update(kwargs)


def profiler_set_config(mode="symbolic", filename="profile.json"):
    """Deprecated MXNet form of set_config."""
    set_config(profile_symbolic=True, profile_all=mode == "all", filename=filename)


def set_state(state="stop", profile_process="worker"):
    """'run' starts collecting, 'stop' stops."""
    if state not in ("run", "stop"):
        raise ValueError(f"profiler state must be 'run' or 'stop', got {state!r}")
    if state == "run":
        _install()
    _STATE.running = state == "run"
    _STATE.paused = False


profiler_set_state = set_state


def pause(profile_process="worker"):
    """Suspend collection (set_state stays 'run')."""
    _STATE.paused = True


def resume(profile_process="worker"):
    """Resume collection after pause."""
    _STATE.paused = False


def dump(finished=True, profile_process="worker"):
    """Write the events collected so far to the configured file (Chrome trace-event JSON);
    ``finished`` also stops the profiler and clears the events."""
    with _STATE.lock:
        events = list(_STATE.events)
        if finished:
            _STATE.events.clear()
    trace = {"traceEvents": [{"name": "process_name", "ph": "M", "pid": 0,
                              "args": {"name": "mxlite"}}] + events,
             "displayTimeUnit": "ms"}
    atomic_write_text(_STATE.config["filename"], json.dumps(trace))
    if finished:
        _STATE.running = False


def dump_profile():
    """Deprecated MXNet form of dump()."""
    dump(True)


def _aggregate():
    stats = {}
    with _STATE.lock:
        events = list(_STATE.events)
    for e in events:
        if e.get("ph") != "X":
            continue
        by_name = stats.setdefault(e["cat"], {})
        ms = e["dur"] / 1000.0
        s = by_name.setdefault(e["name"], {"count": 0, "total": 0.0, "min": ms, "max": ms})
        s["count"] += 1
        s["total"] += ms
        s["min"] = min(s["min"], ms)
        s["max"] = max(s["max"], ms)
    for by_name in stats.values():
        for s in by_name.values():
            s["avg"] = s["total"] / s["count"]
    return stats


def dumps(reset=False, format="table", sort_by="total", ascending=False):  # noqa: A002
    """The aggregate statistics: a table (MXNet's layout) or JSON, by category and name.

    Parameters
    ----------
    reset : bool
        Clear the collected events afterwards.
    format : {'table', 'json'}
    sort_by : {'total', 'avg', 'min', 'max', 'count'}
    ascending : bool
    """
    if format not in ("table", "json"):
        raise ValueError(f"format must be 'table' or 'json', got {format!r}")
    if sort_by not in ("total", "avg", "min", "max", "count"):
        raise ValueError(f"sort_by must be one of total, avg, min, max, count; got {sort_by!r}")
    stats = _aggregate()
    if reset:
        with _STATE.lock:
            _STATE.events.clear()
    if format == "json":
        return json.dumps({"Time": {"Unit": "ms", **stats}}, indent=2)
    lines = ["", "Profile Statistics:", "\tNote the difference in units for different entries."]
    head = (f"{'Name':<40}{'Total Count':>16}{'Time (ms)':>16}{'Min Time (ms)':>16}"
            f"{'Max Time (ms)':>16}{'Avg Time (ms)':>16}")
    rule = (f"{'----':<40}{'-----------':>16}{'---------':>16}{'-------------':>16}"
            f"{'-------------':>16}{'-------------':>16}")
    for cat in sorted(stats):
        lines += [cat, "=================", head, rule]
        rows = sorted(stats[cat].items(), key=lambda kv: kv[1][sort_by], reverse=not ascending)
        for name, s in rows:
            lines.append(f"{name:<40}{s['count']:>16}{s['total']:>16.4f}{s['min']:>16.4f}"
                         f"{s['max']:>16.4f}{s['avg']:>16.4f}")
        lines.append("")
    return "\n".join(lines)


@contextmanager
def scope(name="<unk>:", append_mode=False):
    """Prefix the names of the events recorded inside the block with ``name``."""
    old = _STATE.scope
    _STATE.scope = (old + name) if append_mode and old != "<unk>:" else name
    try:
        yield
    finally:
        _STATE.scope = old


# ----- executor instrumentation
def _sync(ctx):
    if ctx is not None and ctx.device_typeid == 2:
        from .context import cupy_module
        cupy_module().cuda.Device(ctx.device_id).synchronize()


def _timed(fn, name, op, ctx):
    def run(*args):
        if not _STATE.active:
            return fn(*args)
        start = time.perf_counter_ns()
        out = fn(*args)
        _sync(ctx)
        _STATE.record(op, "operator", start, time.perf_counter_ns(), {"node": name})
        return out
    return run


def _timed_programs(exe):
    """(forward, backward) programs of ``exe`` with every step's kernel timed (cached)."""
    cached = getattr(exe, "_profiled_programs", None)
    if cached is not None and cached[0] is exe._fwd_program:
        return cached[1], cached[2]
    steps, ctx = exe._plan.steps, exe._ctx
    fwd = [(_timed(entry[0], node, op_name, ctx),) + tuple(entry[1:])
           for entry, (node, op_name) in zip(exe._fwd_program, exe._fwd_names)]
    bwd = []
    for entry, unit in zip(exe._bwd_program, exe._units):
        node = steps[unit.step].name
        bwd.append((_timed(entry[0], node, "_backward_" + unit.op_name, ctx),) + tuple(entry[1:]))
    exe._profiled_programs = (exe._fwd_program, fwd, bwd)
    return fwd, bwd


def _wrap(method, attr, index):
    def wrapper(self, *args, **kwargs):
        if not _STATE.active:
            return method(self, *args, **kwargs)
        start = time.perf_counter_ns()
        try:
            programs = _timed_programs(self)
        except AttributeError:  # an executor without a step program: time the pass only
            programs = None
        if programs is None:
            out = method(self, *args, **kwargs)
        else:
            saved = getattr(self, attr)
            setattr(self, attr, programs[index])
            try:
                out = method(self, *args, **kwargs)
            finally:
                setattr(self, attr, saved)
        _sync(getattr(self, "_ctx", None))
        label = "forward" if index == 0 else "backward"
        prefix = "" if _STATE.scope == "<unk>:" else _STATE.scope
        _STATE.record(prefix + label, "executor", start, time.perf_counter_ns())
        return out
    wrapper.__wrapped__ = method
    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _wrap_invoke(invoke):
    """Time imperative ``mx.nd`` op calls (with profile_imperative or profile_all)."""
    def timed_invoke(op, inputs, attrs, out=None, is_train=False):
        cfg = _STATE.config
        if not (_STATE.active and (cfg.get("profile_imperative") or cfg.get("profile_all"))):
            return invoke(op, inputs, attrs, out=out, is_train=is_train)
        start = time.perf_counter_ns()
        result = invoke(op, inputs, attrs, out=out, is_train=is_train)
        if inputs:
            _sync(inputs[0].context)
        name = op if isinstance(op, str) else op.name
        _STATE.record(name, "imperative", start, time.perf_counter_ns())
        return result
    timed_invoke.__wrapped__ = invoke
    return timed_invoke


def _install():
    """Time executors' passes and imperative ops (once per process; a no-op while the profiler
    is stopped)."""
    if _STATE.installed:
        return
    from .executor import Executor
    from .ndarray import register
    Executor.forward = _wrap(Executor.forward, "_fwd_program", 0)
    Executor.backward = _wrap(Executor.backward, "_bwd_program", 1)
    register.invoke = _wrap_invoke(register.invoke)
    _STATE.installed = True


# ----- user annotations (MXNet's profiler objects)
class Domain:
    """A named group of user annotations."""

    def __init__(self, name):
        self.name = name

    def __str__(self):
        return self.name

    def new_task(self, name):
        return Task(self, name)

    def new_frame(self, name):
        return Frame(self, name)

    def new_counter(self, name, value=None):
        return Counter(self, name, value)

    def new_marker(self, name):
        return Marker(self, name)


class _Range:
    category = "task"

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name
        self._start = None

    def start(self):
        self._start = time.perf_counter_ns()

    def stop(self):
        if self._start is None:
            raise MXNetError(f"{type(self).__name__} {self.name}: stop() before start()")
        if _STATE.active:
            _STATE.record(self.name, f"{self.domain}:{self.category}", self._start,
                          time.perf_counter_ns())
        self._start = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __str__(self):
        return self.name


class Task(_Range):
    """A timed range in a domain."""


class Frame(_Range):
    """A timed frame (e.g. one iteration) in a domain."""

    category = "frame"


class Event(_Range):
    """A timed range outside any domain."""

    category = "event"

    def __init__(self, name):
        super().__init__(Domain("event"), name)


class Counter:
    """A named value recorded as trace counter events."""

    def __init__(self, domain, name, value=None):
        self.domain = domain
        self.name = name
        self.value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value):
        self.value = value
        if _STATE.active:
            now = time.perf_counter_ns()
            with _STATE.lock:
                _STATE.events.append({"name": self.name, "cat": str(self.domain), "ph": "C",
                                      "ts": (now - _STATE.t0) / 1000.0, "pid": 0,
                                      "args": {self.name: value}})

    def increment(self, delta=1):
        self.set_value(self.value + delta)

    def decrement(self, delta=1):
        self.set_value(self.value - delta)

    def __iadd__(self, delta):
        self.increment(delta)
        return self

    def __isub__(self, delta):
        self.decrement(delta)
        return self


class Marker:
    """An instant event."""

    def __init__(self, domain, name):
        self.domain = domain
        self.name = name

    def mark(self, scope="process"):
        if _STATE.active:
            now = time.perf_counter_ns()
            with _STATE.lock:
                _STATE.events.append({"name": self.name, "cat": str(self.domain), "ph": "i",
                                      "ts": (now - _STATE.t0) / 1000.0, "pid": 0,
                                      "s": {"global": "g", "process": "p"}.get(scope, "t")})
