"""``check_consistency``: a symbol on several contexts/dtypes must agree (MXNet 1.9.x test_utils).

Beyond MXNet: when two executors disagree, the AssertionError also says at which step of the plan
(op and node) their values first diverge. That is found by re-running forward on both executors
with a monitor callback (one report per op output, in plan order) and comparing the reports
position by position with the same tolerances. The executors' outputs and aux states are restored
afterwards, so a run with ``raise_on_err=False`` goes on comparing the original values.
"""
import json
import traceback

import numpy as np

from ..symbol import Symbol
from .compare import almost_equal, assert_almost_equal, find_max_violation, get_tols

__all__ = ["check_consistency"]


def _smaller_dtype(dt1, dt2):
    """The less precise of two dtypes (``dt2`` on a tie; ``dt1`` when ``dt2`` is None)."""
    return dt1 if dt2 is None or np.dtype(dt1).itemsize < np.dtype(dt2).itemsize else dt2


def _widest_index(dtypes):
    # np.argmax over a list of np.dtype compares with '>' and keeps the first maximum
    best = 0
    for i, dt in enumerate(dtypes):
        if dt > dtypes[best]:
            best = i
    return best


def _sorted_items(d):
    return sorted(d.items(), key=lambda t: t[0])


def check_consistency(sym, ctx_list, scale=1.0, grad_req="write", arg_params=None,
                      aux_params=None, rtol=None, atol=None, raise_on_err=True,
                      ground_truth=None, equal_nan=False, use_uniform=False,
                      rand_type=np.float64):
    """Check that ``sym`` gives the same outputs and gradients on every entry of ``ctx_list``.

    Parameters
    ----------
    sym : Symbol or list of Symbol
        One symbol for all entries, or one per entry (same argument and output names).
    ctx_list : list of dict
        Keyword arguments of one ``simple_bind`` each (at least two), e.g.
        ``{'ctx': mx.cpu(0), 'data': (2, 3), 'type_dict': {'data': np.float16}}``.
    scale : float
        Standard deviation of the random inputs (uniform in ±0.92·scale with ``use_uniform``).
    grad_req : str, list or dict
    arg_params : dict of str -> array, optional
        Input values; the missing ones are drawn (normal, sorted by name, cast to ``rand_type``)
        and **added to this dict**, as MXNet does.
    aux_params : dict of str -> array, optional
        Aux values; missing ones are 0.
    rtol, atol : float or dict of dtype -> float, optional
    raise_on_err : bool
        False prints the errors instead of raising.
    ground_truth : dict of str -> array, optional
        Reference outputs and gradients by name (e.g. a previous return value).
    equal_nan : bool
    use_uniform : bool
    rand_type : numpy dtype

    Returns
    -------
    dict of str -> NDArray
        The ground truth used: outputs (and gradients unless grad_req is 'null') of the first
        executor with the widest output dtype, unless ``ground_truth`` was given.

    Raises
    ------
    AssertionError
        MXNet's message from ``assert_almost_equal`` plus mxlite's first-divergence report.
        Before it ``Predict Err: ctx i vs ctx j at <name>`` or ``Train Err: <dtype> <ctx> ctx i
        vs <dtype> <ctx> ctx j at <name>`` and the traceback are printed.
    """
    assert len(ctx_list) > 1, "check_consistency needs at least two contexts"
    if isinstance(sym, Symbol):
        sym = [sym] * len(ctx_list)
    else:
        assert len(sym) == len(ctx_list), "one symbol per ctx_list entry"
    output_names = sym[0].list_outputs()
    arg_names = sym[0].list_arguments()
    exe_list = []
    for s, ctx in zip(sym, ctx_list, strict=True):
        assert s.list_arguments() == arg_names, \
            f"arguments differ: {s.list_arguments()} vs {arg_names}"
        assert s.list_outputs() == output_names, \
            f"outputs differ: {s.list_outputs()} vs {output_names}"
        exe_list.append(s.simple_bind(grad_req=grad_req, **ctx))

    arg_params = {} if arg_params is None else arg_params
    aux_params = {} if aux_params is None else aux_params
    # random inputs are drawn in a deterministic (sorted) order, for reproducibility
    for n, arr in _sorted_items(exe_list[0].arg_dict):
        if n not in arg_params:
            if use_uniform:
                arg_params[n] = np.random.uniform(low=-0.92 * scale, high=0.92 * scale,
                                                  size=arr.shape).astype(rand_type)
            else:
                arg_params[n] = np.random.normal(size=arr.shape, scale=scale).astype(rand_type)
    for n in exe_list[0].aux_dict:
        if n not in aux_params:
            aux_params[n] = 0
    for exe in exe_list:
        for name, arr in exe.arg_dict.items():
            arr[:] = arg_params[name]
        for name, arr in exe.aux_dict.items():
            arr[:] = aux_params[name]
        if grad_req == "add":
            for arr in exe.grad_arrays:
                arr[:] = 0

    dtypes = [np.dtype(exe.outputs[0].dtype) for exe in exe_list]
    gt_idx = _widest_index(dtypes)
    gt = ground_truth
    if gt is None:
        # the output/grad buffers are persistent: this dict shows the values of later passes
        gt = exe_list[gt_idx].output_dict.copy()
        if grad_req != "null":
            gt.update(exe_list[gt_idx].grad_dict)
    tracer = _Divergence(exe_list, gt_idx, rtol, atol, equal_nan, ground_truth is not None)

    for exe in exe_list:
        exe.forward(is_train=False)
    for i, exe in enumerate(exe_list):
        if i == gt_idx:
            continue
        for name, arr in zip(output_names, exe.outputs, strict=True):
            try:
                assert_almost_equal(arr, gt[name], rtol=rtol, atol=atol, equal_nan=equal_nan)
            except AssertionError as e:
                tracer.annotate(e, i, False, name)
                print("Predict Err: ctx %d vs ctx %d at %s" % (i, gt_idx, name))
                traceback.print_exc()
                if raise_on_err:
                    raise e
                print(str(e))

    if grad_req != "null":
        _train_and_compare(exe_list, gt, gt_idx, dtypes, output_names, arg_names, rtol, atol,
                           equal_nan, raise_on_err, tracer)
    return gt


def _train_and_compare(exe_list, gt, gt_idx, dtypes, output_names, arg_names, rtol, atol,
                       equal_nan, raise_on_err, tracer):
    from .. import ndarray as nd
    for exe in exe_list:
        exe.forward(is_train=True)
    # head gradient: executor 0's outputs cast to the least precise dtype of each output
    least_precise = [out.dtype for out in exe_list[0].outputs]
    for exe in exe_list:
        least_precise = [_smaller_dtype(out.dtype, dt)
                         for out, dt in zip(exe.outputs, least_precise, strict=True)]
    golden_np = [out.astype(dt).asnumpy()
                 for out, dt in zip(exe_list[0].outputs, least_precise, strict=True)]
    for exe in exe_list:
        out_grads = [nd.array(g, ctx=exe._ctx, dtype=out.dtype).tostype(out.stype)
                     for g, out in zip(golden_np, exe.outputs, strict=True)]
        exe.backward(out_grads)

    for i, exe in enumerate(exe_list):
        if i == gt_idx:
            continue
        arrays = exe.outputs + exe.grad_arrays
        for name, arr in zip(output_names + arg_names, arrays, strict=True):
            gtarr = gt[name]
            if gtarr is None:
                assert arr is None, f"{name}: ground truth has no gradient but ctx {i} has one"
                continue
            try:
                rt, at = rtol, atol
                # a float16 run judges its float32 arrays (e.g. BatchNorm gamma's gradient) at
                # float16 tolerance
                smaller_arr = _smaller_dtype(arr.dtype, dtypes[i])
                smaller_gt = _smaller_dtype(gtarr.dtype, dtypes[gt_idx])
                if smaller_arr != arr.dtype or smaller_gt != gtarr.dtype:
                    rt, at = get_tols(arr.astype(smaller_arr), gtarr.astype(smaller_gt),
                                      rtol, atol)
                assert_almost_equal(arr, gtarr, rtol=rt, atol=at, equal_nan=equal_nan)
            except AssertionError as e:
                tracer.annotate(e, i, True, name)
                print("Train Err: {} {} ctx {} vs {} {} ctx {} at {}".format(
                    np.dtype(arr.dtype).name, arr.ctx, i, np.dtype(gtarr.dtype).name,
                    getattr(gtarr, "ctx", "numpy"), gt_idx, name))
                traceback.print_exc()
                if raise_on_err:
                    raise e
                print(str(e))


class _Divergence:
    """Finds, on demand, the first plan step where an executor and the reference differ."""

    def __init__(self, exe_list, gt_idx, rtol, atol, equal_nan, external_gt):
        self.exe_list, self.gt_idx = exe_list, gt_idx
        self.rtol, self.atol, self.equal_nan = rtol, atol, equal_nan
        self.external_gt = external_gt
        self._cache = {}

    def annotate(self, err, i, is_train, name):
        """Append the divergence report for ctx ``i`` to the AssertionError ``err``."""
        key = (i, is_train)
        if key not in self._cache:
            try:
                self._cache[key] = self._report(i, is_train)
            except Exception as exc:  # noqa: BLE001  (the report must never hide the failure)
                self._cache[key] = f"(mxlite could not trace the divergence: {exc!r})"
        report = self._cache[key]
        if report is None:
            report = self._no_step_differs(i, is_train, name)
        first = err.args[0] if err.args else ""
        err.args = (f"{first}\n{report}",) + tuple(err.args[1:])

    def _no_step_differs(self, i, is_train, name):
        """Text for a mismatch in ``name`` when every traced forward step agrees."""
        n = self._cache.get(("steps", i, is_train), 0)
        where = f"mxlite: ctx {i} and ctx {self.gt_idx} agree at all {n} forward steps"
        exe, gt_exe = self.exe_list[i], self.exe_list[self.gt_idx]
        is_output = name in exe._symbol.list_outputs()
        mine = (exe.output_dict if is_output else exe.grad_dict).get(name)
        theirs = (gt_exe.output_dict if is_output else gt_exe.grad_dict).get(name)
        if mine is not None and theirs is not None and mine.shape == theirs.shape:
            rt, at = get_tols(mine, theirs, self.rtol, self.atol)
            agree = almost_equal(mine.asnumpy(), theirs.asnumpy(), rt, at,
                                 equal_nan=self.equal_nan)
            if agree and self.external_gt:
                return (f"{where} and on {name}; {name} differs from the ground_truth that was "
                        f"passed in.")
            if not agree and not is_output:
                return f"{where}; their {name} first differs in backward."
        if self.external_gt:
            return f"{where}; {name} differs from the ground_truth that was passed in."
        return f"{where} when re-run; the difference in {name} did not reproduce."

    def _report(self, i, is_train):
        """The report text, or None when every compared step agrees."""
        gt_exe, exe = self.exe_list[self.gt_idx], self.exe_list[i]
        rec_gt = _trace(gt_exe, is_train)
        rec = _trace(exe, is_train)
        self._cache[("steps", i, is_train)] = min(len(rec), len(rec_gt))
        phase = f"forward(is_train={is_train})"
        for k, (mine, ref) in enumerate(zip(rec, rec_gt, strict=False)):
            (nm, op, node, arr), (nm_g, op_g, node_g, arr_g) = mine, ref
            what = _describe(op, node, nm, op_g, node_g, nm_g)
            head = (f"mxlite: first divergence between ctx {i} ({_dt(arr)} {exe._ctx}) and ctx "
                    f"{self.gt_idx} ({_dt(arr_g)} {gt_exe._ctx}) in {phase} at step {k + 1} of "
                    f"{len(rec_gt)}: {what}")
            if arr.shape != arr_g.shape:
                return f"{head}: shapes differ, {arr.shape} vs {arr_g.shape}."
            rt, at = get_tols(arr, arr_g, self.rtol, self.atol)
            a, b = arr.asnumpy(), arr_g.asnumpy()
            if almost_equal(a, b, rt, at, equal_nan=self.equal_nan):
                continue
            index, rel = find_max_violation(a, b, rt, at)
            at_text = "" if index == () else f" at {index}"
            return (f"{head}: Error {rel:f} exceeds tolerance rtol={rt:e}, atol={at:e}"
                    f"{at_text}, ctx {i}={a[index]:.8f}, ctx {self.gt_idx}={b[index]:.8f}.")
        if len(rec) != len(rec_gt):
            return (f"mxlite: the plans of ctx {i} ({len(rec)} steps) and ctx {self.gt_idx} "
                    f"({len(rec_gt)} steps) differ in length; their first "
                    f"{min(len(rec), len(rec_gt))} steps agree.")
        return None


def _dt(arr):
    return np.dtype(arr.dtype).name


def _describe(op, node, name, op_g, node_g, name_g):
    if (op, node, name) == (op_g, node_g, name_g):
        return f"op {op}, node {node} (output {name})"
    return (f"op {op}, node {node} (output {name}) vs op {op_g}, node {node_g} "
            f"(output {name_g})")


def _node_ops(symbol):
    """output name -> (op name, node name) for every internal output of ``symbol``."""
    internals = symbol.get_internals()
    ops = {n["name"]: n["op"] for n in json.loads(symbol.tojson())["nodes"]}
    table = {}
    for k, out_name in enumerate(internals.list_outputs()):
        node = internals[k].name
        table[out_name] = (ops.get(node, "?"), node)
    return table


def _trace(exe, is_train):
    """[(output name, op, node, NDArray copy)] for every op output of a fresh forward, in plan
    order.

    The executor's outputs and aux states are restored afterwards and its monitor put back.
    """
    table = _node_ops(exe._symbol)
    saved_out = [o.copy() for o in exe.outputs]
    saved_aux = [a.copy() for a in exe.aux_arrays]
    prev_cb = getattr(exe, "_monitor", None)
    prev_all = getattr(exe, "_monitor_all", False)
    records = []

    def monitor(name, arr):
        from ..ndarray.ndarray import NDArray
        name = name.decode() if isinstance(name, bytes) else str(name)
        if not isinstance(arr, NDArray):
            arr = NDArray(arr)
        op, node = table.get(name, ("?", name))
        records.append((name, op, node, arr.copy()))

    exe.set_monitor_callback(monitor, monitor_all=False)
    try:
        exe.forward(is_train=is_train)
    finally:
        exe.set_monitor_callback(prev_cb, monitor_all=prev_all)
        for dst, src in zip(exe.outputs, saved_out, strict=True):
            dst[:] = src
        for dst, src in zip(exe.aux_arrays, saved_aux, strict=True):
            dst[:] = src
    return records
