"""Tolerances and array comparison for ``mx.test_utils`` (MXNet 1.9.x python/mxnet/test_utils.py).

Everything here is re-exported by :mod:`mxlite.test_utils`; import it from there.

Tolerances follow MXNet: a per-dtype table (float16 1e-2/1e-1, float32 1e-4/1e-3, float64
1e-5/1e-20, integers and bool 0), and ``assert_almost_equal`` takes the larger default of its two
operands.

TF32 rule (mxlite). MXNet treats a float32 array on an Ampere-or-newer GPU as float16 for tolerance
purposes, because cuBLAS/cuDNN there trim float32 GEMM/conv inputs to TF32 by default. mxlite's GPU
path (CuPy) does *not* use TF32 unless the user turns it on, so the relaxed tolerance applies only
when the array lives on a GPU of compute capability >= 8.0 **and** TF32 is switched on by
``MXLITE_TF32=1``, ``NVIDIA_TF32_OVERRIDE=1`` or ``CUPY_TF32=1`` (the switch CuPy itself reads),
and ``NVIDIA_TF32_OVERRIDE`` is not ``0`` (NVIDIA's libraries treat ``0`` as a global veto).
"""
import numbers
import os

import numpy as np
import numpy.testing as npt

__all__ = ["default_dtype", "default_rtols", "default_atols", "default_numeric_eps",
           "tf32_enabled", "effective_dtype", "get_tolerance", "get_tols", "get_atol", "get_rtol",
           "get_etol", "same", "checkShapes", "almost_equal", "locationError",
           "assert_almost_equal", "assert_allclose", "assert_almost_equal_with_err",
           "assert_almost_equal_ignore_nan", "assert_exception", "find_max_violation"]

_EXACT_TYPES = (np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64)


def default_dtype():
    """Default data type for regression tests: ``np.float32``."""
    return np.float32


def default_rtols():
    """Default relative tolerance per ``np.dtype`` (0 for integer and bool types)."""
    table = {np.dtype(np.float16): 1e-2, np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-5}
    # MXNet spells the bool key ``np.bool``, an alias NumPy 1.24-1.26 lack; np.bool_ is that dtype
    table.update({np.dtype(t): 0 for t in _EXACT_TYPES})
    return table


def default_atols():
    """Default absolute tolerance per ``np.dtype`` (0 for integer and bool types)."""
    table = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3, np.dtype(np.float64): 1e-20}
    table.update({np.dtype(t): 0 for t in _EXACT_TYPES})
    return table


def default_numeric_eps():
    """Default finite-difference step per ``np.dtype``: powers of two, so ``x + eps`` drops no
    bits."""
    return {np.dtype(np.float16): 1.0 / 2 ** 6,
            np.dtype(np.float32): 1.0 / 2 ** 9,
            np.dtype(np.float64): 1.0 / 2 ** 14}


def _compute_capability(ctx):
    from ..context import cupy_module
    cp = cupy_module()
    return int(cp.cuda.Device(ctx.device_id).compute_capability)


def tf32_enabled(ctx):
    """Whether float32 math on ``ctx`` may run in TF32 (see the module docstring for the rule).

    Parameters
    ----------
    ctx : Context or None

    Returns
    -------
    bool
    """
    if ctx is None or getattr(ctx, "device_type", None) != "gpu":
        return False
    env = os.environ
    if env.get("NVIDIA_TF32_OVERRIDE") == "0":
        return False
    if not (env.get("MXLITE_TF32") == "1" or env.get("NVIDIA_TF32_OVERRIDE") == "1"
            or env.get("CUPY_TF32") == "1"):
        return False
    try:
        return _compute_capability(ctx) >= 80
    except Exception:  # noqa: BLE001  (no CuPy/driver: then nothing runs in TF32 either)
        return False


def _dtype_of(dat):
    if hasattr(dat, "dtype"):
        return np.dtype(dat.dtype)
    return np.asarray(dat).dtype


def effective_dtype(dat):
    """The dtype whose tolerances apply to ``dat``.

    ``dat``'s own dtype, except float32 on a GPU context with TF32 on, which counts as float16.

    Parameters
    ----------
    dat : numpy.ndarray or NDArray

    Returns
    -------
    numpy.dtype
    """
    ctx = dat.ctx if hasattr(dat, "ctx") else None
    dtype = _dtype_of(dat)
    if dtype == np.dtype(np.float32) and tf32_enabled(ctx):
        return np.dtype(np.float16)
    return dtype


def get_tolerance(dat, tol, default_tol):
    """The tolerance for comparing ``dat``.

    Parameters
    ----------
    dat : numpy.ndarray or NDArray
    tol : float, None, or dict of dtype -> float
        A number is returned as is; a dict is looked up by ``dat``'s effective dtype, falling back
        to ``default_tol``. (mxlite also accepts dict keys spelled as types, ``{np.float32: 1e-3}``,
        which MXNet would silently miss.)
    default_tol : dict of numpy.dtype -> float

    Returns
    -------
    float
    """
    if isinstance(tol, numbers.Number):
        return tol
    dtype = effective_dtype(dat)
    tol = {} if tol is None else {np.dtype(k): v for k, v in tol.items()}
    if dtype in tol:
        return tol[dtype]
    if dtype not in default_tol:
        raise KeyError(f"no default tolerance for dtype {dtype}; pass rtol/atol explicitly")
    return default_tol[dtype]


def get_tols(x, y, rtol, atol):
    """``(rtol, atol)`` for comparing ``x`` with ``y``: the larger default of the two where not
    given.

    Python numbers count as float64 (or int64) 0-d arrays, as in MXNet.
    """
    if isinstance(x, numbers.Number):
        x = np.array(x)
    if isinstance(y, numbers.Number):
        y = np.array(y)
    rtol = max(get_tolerance(x, rtol, default_rtols()), get_tolerance(y, rtol, default_rtols()))
    atol = max(get_tolerance(x, atol, default_atols()), get_tolerance(y, atol, default_atols()))
    return rtol, atol


def get_atol(atol=None, dtype=np.float64):
    """``atol``, or the default for ``dtype`` (float64: 1e-20) when None."""
    return default_atols()[np.dtype(dtype)] if atol is None else atol


def get_rtol(rtol=None, dtype=np.float64):
    """``rtol``, or the default for ``dtype`` (float64: 1e-5) when None."""
    return default_rtols()[np.dtype(dtype)] if rtol is None else rtol


def get_etol(etol=None):
    """Tolerated fraction of mismatching elements (default 0)."""
    return 0 if etol is None else etol


def same(a, b):
    """Whether two arrays are exactly equal (``np.array_equal``)."""
    return np.array_equal(_to_numpy(a), _to_numpy(b))


def _is_nd(x):
    from ..ndarray.ndarray import NDArray
    return isinstance(x, NDArray)


def _to_numpy(x):
    if _is_nd(x):
        return x.asnumpy()
    if isinstance(x, (list, tuple)):
        return np.asarray(x)
    return x


def checkShapes(a, b):  # noqa: N802  (MXNet's name)
    """AssertionError (numpy's message layout) when the shapes of ``a`` and ``b`` differ."""
    if a.shape != b.shape:
        raise AssertionError(npt.build_err_msg(
            [a, b], err_msg=f"a.shape = {a.shape} and b.shape = {b.shape} are not equal"))


def almost_equal(a, b, rtol=None, atol=None, equal_nan=False, use_broadcast=True):
    """Whether ``a`` and ``b`` are close (``np.allclose``).

    Unlike ``assert_almost_equal``, tolerances left as None are float64's (rtol 1e-5, atol 1e-20)
    whatever the dtypes, as in MXNet.
    """
    a, b = _to_numpy(a), _to_numpy(b)
    if not use_broadcast:
        checkShapes(a, b)
    return bool(np.allclose(a, b, rtol=get_rtol(rtol), atol=get_atol(atol), equal_nan=equal_nan))


def find_max_violation(a, b, rtol, atol):
    """``(index, violation)`` of the element furthest outside ``atol + rtol*|b|``.

    Equal elements (including equal infinities) count 0, like ``np.allclose``; NaN wins
    ``argmax``. The index is a tuple of Python ints (NumPy 2 would print ``np.int64(1)`` in
    messages).
    """
    if np.asarray(a).dtype == np.bool_:
        a = np.asarray(a, np.int8)
    if np.asarray(b).dtype == np.bool_:
        b = np.asarray(b, np.int8)
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf and NaN are expected here
        absdiff = np.where(np.equal(a, b), 0, np.abs(a - b))
        tol = atol + rtol * np.abs(b)
        violation = absdiff / (tol + 1e-20)
    loc = np.argmax(violation)
    idx = np.unravel_index(loc, violation.shape)
    return tuple(int(i) for i in idx), np.max(violation)


def locationError(a, b, index, names, maxError=False):  # noqa: N802,N803  (MXNet's names)
    """One line naming an element and both of its values."""
    maximum = "maximum " if maxError else ""
    return "Location of %serror: %s, %s=%.8f, %s=%.8f" % (
        maximum, str(index), names[0], a[index], names[1], b[index])


def _mismatch_report(a, b, rtol, atol, names, equal_nan, mismatches):
    """Print MXNet's per-element listing to stdout and return the error text (before
    build_err_msg).

    ``a`` and ``b`` are numpy arrays or numbers. Shapes that broadcast are compared element by
    element on the broadcast shape (MXNet's formatter raised IndexError there instead).
    """
    av, bv = a, b
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape != b.shape:
        av, bv = (np.array(x) for x in np.broadcast_arrays(a, b))
    index, rel = find_max_violation(av, bv, rtol, atol)
    if index == ():
        return "Error %f exceeds tolerance rtol=%e, atol=%e.\n" % (rel, rtol, atol)
    index_err, rel_err = index, rel
    size = av.size
    print(f"\n*** Maximum errors for vector of size {size}:  rtol={rtol}, atol={atol}\n")
    a_tmp, b_tmp = av.copy(), bv.copy()
    i = 1
    while i <= size:
        if i <= mismatches[0]:
            print("%3d: Error %f  %s" % (i, rel, locationError(av, bv, index, names)))
        # blank out the worst element and see whether the rest is close: i counts the mismatches
        a_tmp[index] = b_tmp[index] = 0
        if almost_equal(a_tmp, b_tmp, rtol, atol, equal_nan=equal_nan):
            break
        i += 1
        if i <= mismatches[1] or mismatches[1] <= 0:
            index, rel = find_max_violation(a_tmp, b_tmp, rtol, atol)
        else:
            break
    degree = "at least " if mismatches[1] > 0 and i > mismatches[1] else ""
    return "Error %f exceeds tolerance rtol=%e, atol=%e (mismatch %s%f%%).\n%s" % (
        rel_err, rtol, atol, degree, 100 * i / size,
        locationError(av, bv, index_err, names, maxError=True))


def _print_options():
    # MXNet calls np.set_printoptions(threshold=4, suppress=True) and leaves it set for the rest
    # of the process; a scoped np.printoptions renders the same text without that side effect.
    opts = {"threshold": 4, "suppress": True}
    if np.lib.NumpyVersion(np.__version__) >= "2.2.0":
        # NumPy 2.2 added ``shape=(...)`` to the repr of summarised arrays; keep MXNet's text
        opts["legacy"] = "2.1"
    return opts


def _build_message(a, b, err_msg):
    with np.printoptions(**_print_options()):
        return npt.build_err_msg([a, b], err_msg=err_msg)


def assert_almost_equal(a, b, rtol=None, atol=None, names=("a", "b"), equal_nan=False,
                        use_broadcast=True, mismatches=(10, 10)):
    """Assert that ``a`` and ``b`` are close: ``|a - b| <= atol + rtol*|b|`` element-wise.

    Parameters
    ----------
    a, b : numpy.ndarray, NDArray or number
    rtol, atol : None, float, or dict of dtype -> float
        None uses the larger per-dtype default of ``a`` and ``b`` (see :func:`get_tols`).
    names : tuple of str
        Names of ``a`` and ``b`` in the message.
    equal_nan : bool
        Whether NaNs in the same places count as equal.
    use_broadcast : bool
        When False the shapes must be equal.
    mismatches : tuple of int
        How many worst elements to print (``mismatches[0]``) and to count (``mismatches[1]``;
        <= 0 means all).

    Raises
    ------
    AssertionError
        With MXNet's message (``Error ... exceeds tolerance rtol=..., atol=... (mismatch ...%).``,
        the location of the maximum error, and the arrays); the worst elements are printed to
        stdout first.
    """
    a = np.asarray(a) if isinstance(a, (list, tuple)) else a
    b = np.asarray(b) if isinstance(b, (list, tuple)) else b
    if not use_broadcast:
        checkShapes(a, b)
    rtol, atol = get_tols(a, b, rtol, atol)
    if (_is_nd(a) and _is_nd(b) and a.context == b.context and a.dtype == b.dtype
            and a.shape == b.shape):
        # same device and dtype: decide on the device, copy to the host only to report
        from ..ndarray.contrib import allclose
        if allclose(a, b, rtol, atol, equal_nan).asnumpy() == 1:
            return
        a, b = a.asnumpy(), b.asnumpy()
    else:
        a, b = _to_numpy(a), _to_numpy(b)
        if getattr(a, "dtype", None) == np.bool_ and getattr(b, "dtype", None) == np.bool_:
            npt.assert_equal(a, b)
            return
        if almost_equal(a, b, rtol, atol, equal_nan=equal_nan):
            return
    err_msg = _mismatch_report(a, b, rtol, atol, names, equal_nan, mismatches)
    raise AssertionError(_build_message(a, b, err_msg))


def assert_allclose(a, b, rtol=1e-07, atol=0, equal_nan=True):
    """``assert_almost_equal`` with numpy.testing.assert_allclose's defaults."""
    assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)


def assert_almost_equal_with_err(a, b, rtol=None, atol=None, etol=None, names=("a", "b"),
                                 equal_nan=False, mismatches=(10, 10)):
    """Assert that at most a fraction ``etol`` of the elements of ``a`` and ``b`` are not close.

    With ``etol`` None or 0 this is :func:`assert_almost_equal`.
    """
    etol = get_etol(etol)
    if etol <= 0:
        assert_almost_equal(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
        return
    rtol, atol = get_tols(a, b, rtol, atol)
    a, b = _to_numpy(a), _to_numpy(b)
    equals = np.isclose(a, b, rtol=rtol, atol=atol)
    err = 1 - np.count_nonzero(equals) / equals.size
    if err > etol:
        err_msg = _mismatch_report(a, b, rtol, atol, names, equal_nan, mismatches)
        raise AssertionError(_build_message(a, b, err_msg))


def assert_almost_equal_ignore_nan(a, b, rtol=None, atol=None, names=("a", "b")):
    """``assert_almost_equal`` after zeroing every position where either side is NaN."""
    a = np.copy(_to_numpy(a))
    b = np.copy(_to_numpy(b))
    nan_mask = np.logical_or(np.isnan(a), np.isnan(b))
    a[nan_mask] = 0
    b[nan_mask] = 0
    assert_almost_equal(a, b, rtol, atol, names)


def assert_exception(f, exception_type, *args, **kwargs):
    """Assert that ``f(*args, **kwargs)`` raises ``exception_type``."""
    try:
        f(*args, **kwargs)
    except exception_type:
        return
    raise AssertionError(f"{getattr(f, '__name__', f)} did not raise "
                         f"{getattr(exception_type, '__name__', exception_type)}")
