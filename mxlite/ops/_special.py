"""Special functions NumPy lacks (erf, erfinv, gamma, gammaln, digamma), taken from SciPy/CuPy when
present, else computed with the standard library (vectorised ``math`` calls, Newton-refined
approximations)."""
import math

import numpy as np

_NP_CACHE = {}


def _scipy_or(name, fallback):
    """SciPy's ``scipy.special.<name>`` if SciPy imports, else ``fallback`` (cached)."""
    fn = _NP_CACHE.get(name)
    if fn is None:
        try:
            import scipy.special
            fn = getattr(scipy.special, name)
        except ImportError:
            fn = fallback
        _NP_CACHE[name] = fn
    return fn


def _vectorize(scalar_fn):
    vec = np.vectorize(scalar_fn, otypes=[np.float64])
    return lambda a: vec(np.asarray(a, dtype=np.float64))


def _math_gamma(v):
    # math.gamma raises at the poles and on overflow where SciPy returns inf / nan
    try:
        return math.gamma(v)
    except (ValueError, OverflowError):
        if v == 0:
            return math.copysign(math.inf, v)
        if v < 0 and float(v).is_integer():
            return math.nan
        return math.inf if v > 0 else 0.0


def _math_lgamma(v):
    try:
        return math.lgamma(v)
    except (ValueError, OverflowError):
        return math.inf


def _digamma_series(x):
    """psi(x) in float64: reflection below 0.5, upward recurrence to x >= 6, then the asymptotic
    series (error < 1e-13 there)."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    flat, res = x.reshape(-1), out.reshape(-1)
    for i, v in enumerate(flat):
        if v <= 0 and float(v).is_integer():
            res[i] = math.nan
            continue
        acc = 0.0
        if v < 0.5:  # psi(1 - v) - psi(v) = pi / tan(pi v)
            acc -= math.pi / math.tan(math.pi * v)
            v = 1.0 - v
        while v < 6.0:
            acc -= 1.0 / v
            v += 1.0
        inv2 = 1.0 / (v * v)
        tail = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240
                                                                            - inv2 / 132))))
        res[i] = acc + math.log(v) - 0.5 / v - tail
    return out


def _special(xp, x, name, fallback):
    if xp is not np:
        import cupyx.scipy.special
        return getattr(cupyx.scipy.special, name)(x)
    return np.asarray(_scipy_or(name, fallback)(x), dtype=x.dtype)


def without_scipy(name):
    """The pure-NumPy fallback of ``name`` (for tests of machines without SciPy)."""
    return {"erf": _vectorize(math.erf), "erfinv": _erfinv_newton}[name]


def erf(xp, x):
    """Element-wise error function in ``x``'s dtype."""
    return _special(xp, x, "erf", _vectorize(math.erf))


def _erfinv_newton(x):
    """erfinv in float64 without SciPy: Giles' single-precision approximation ("Approximating the
    erfinv function", GPU Computing Gems, 2010) refined by two Newton steps on ``math.erf``;
    +-inf at +-1 and NaN outside [-1, 1], as SciPy and MXNet give."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1.0 - x) * (1.0 + x))
        small = w < 5.0
        ws, wl = w - 2.5, np.sqrt(w) - 3.0
        p_small = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                              0.00021858087, -0.00125372503, -0.00417768164, 0.246640727,
                              1.50140941], ws)
        p_large = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844,
                              0.00573950773, -0.0076224613, 0.00943887047, 1.00167406,
                              2.83297682], wl)
        y = np.where(small, p_small, p_large) * x
        erf = np.vectorize(math.erf, otypes=[np.float64])
        for _ in range(2):
            fine = np.isfinite(y)
            step = (erf(np.where(fine, y, 0.0)) - x) / (
                2.0 / math.sqrt(math.pi) * np.exp(-np.where(fine, y, 0.0) ** 2))
            y = np.where(fine, y - step, y)
        y = np.where(np.abs(x) == 1.0, np.copysign(np.inf, x), y)
        return np.where(np.abs(x) > 1.0, np.nan, y)


def erfinv(xp, x):
    """Element-wise inverse error function in ``x``'s dtype (float16 computed in float32)."""
    return _special(xp, x, "erfinv", _erfinv_newton)


def gamma(xp, x):
    """Element-wise gamma function in ``x``'s dtype."""
    return _special(xp, x, "gamma", _vectorize(_math_gamma))


def gammaln(xp, x):
    """Element-wise log of the absolute value of the gamma function."""
    return _special(xp, x, "gammaln", _vectorize(_math_lgamma))


def digamma(xp, x):
    """Element-wise digamma (psi), the derivative of gammaln."""
    return _special(xp, x, "digamma", _digamma_series)
