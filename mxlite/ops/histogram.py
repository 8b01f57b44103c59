"""``_histogram`` (``mx.nd.histogram``): counts of the flattened data per bin, and the bin edges.

src/operator/tensor/histogram*: either ``bin_cnt`` equal bins over ``range`` (both or neither
given), edges ``(max*i + (bin_cnt-i)*min) / bin_cnt``, or the edges given as the second input
``bins``. A value belongs to bin i when edge[i] <= value < edge[i+1]; the last bin includes its
right edge; values outside the edges are not counted. Counts are int64, edges in the data's dtype.
The gradient is zero (MXNet's MakeZeroGradNodes).
"""
import numpy as np

from ..base import MXNetError
from ._util import OptInt, fmt_shape
from .detection import zeros_for_inputs
from .params import Field, ParamSpec
from .registry import READS_SHAPES, OpDef, register

_OP = "_histogram"
_INT64 = np.dtype(np.int64)


class OptRange(Field):
    """A (min, max) pair of floats, or None."""

    type_name = "(float, float) or None"

    def parse(self, value):
        if value is None or str(value).strip() == "None":
            return None
        if isinstance(value, str):
            value = [v for v in value.strip().strip("()[]").split(",") if v.strip()]
        try:
            pair = tuple(float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"Invalid Parameter format for {self.name} expect (float, float) "
                             f"but value='{value}'") from None
        if len(pair) != 2:
            raise ValueError(f"Invalid Parameter format for {self.name} expect (float, float) "
                             f"but value='{value}'")
        return pair


def _inputs(p):
    return ("data",) if p["bin_cnt"] is not None else ("data", "bins")


def _check(p):
    if (p["bin_cnt"] is None) != (p["range"] is None):
        raise MXNetError(f"Error in operator {_OP}: bin_cnt and range should both or neither be "
                         f"specified (bin_cnt={p['bin_cnt']}, range={p['range']})")
    if p["bin_cnt"] is not None:
        if p["bin_cnt"] < 1:
            raise MXNetError(f"Error in operator {_OP}: bin_cnt={p['bin_cnt']} must be >= 1")
        if p["range"][0] > p["range"][1]:
            raise MXNetError(f"Error in operator {_OP}: range={p['range']}: the first element "
                             f"must be less than or equal to the second")


def _shape(p, in_shapes):
    _check(p)
    if p["bin_cnt"] is not None:
        return list(in_shapes), [(p["bin_cnt"],), (p["bin_cnt"] + 1,)]
    bins = in_shapes[1]
    if bins is None:
        return list(in_shapes), [None, None]
    if len(bins) != 1 or bins[0] < 2:
        raise MXNetError(f"Error in operator {_OP}: bins should be a vector of at least 2 "
                         f"edges, got bins shape {fmt_shape(bins)}")
    return list(in_shapes), [(bins[0] - 1,), tuple(bins)]


def _types(p, in_types):
    return list(in_types), [_INT64, in_types[0]]


def _forward(sc, p, ins):
    xp = sc.xp
    _check(p)
    data = ins[0].reshape(-1)
    if p["bin_cnt"] is not None:
        cnt = p["bin_cnt"]
        low, high = p["range"]
        i = np.arange(cnt + 1, dtype=np.float64)
        edges = xp.asarray(((high * i + (cnt - i) * low) / cnt).astype(data.dtype))
        inside = (data >= low) & (data <= high)
        with np.errstate(invalid="ignore", divide="ignore"):
            guess = xp.floor((data.astype(np.float64) - low) * cnt / (high - low))
        target = xp.clip(xp.where(inside, guess, 0), 0, cnt - 1).astype(np.int64)
        # correct the float guess against the edges, as ComputeBinKernel does
        target -= (data < edges[target]).astype(np.int64)
        target = xp.clip(target, 0, cnt - 1)
        target += ((data >= edges[target + 1]) & (target != cnt - 1)).astype(np.int64)
    else:
        edges = ins[1]
        cnt = edges.shape[0] - 1
        inside = (data >= edges[0]) & (data <= edges[-1])
        target = xp.minimum(xp.searchsorted(edges, data, side="right") - 1, cnt - 1)
    counts = xp.bincount(target[inside], minlength=cnt).astype(np.int64)
    return [counts, xp.ascontiguousarray(edges).astype(ins[0].dtype, copy=False)]


register(OpDef(
    name=_OP, inputs=_inputs,
    params=ParamSpec(
        OptInt("bin_cnt", None, "Number of bins for uniform case"),
        OptRange("range", None, "The lower and upper range of the bins. if not provided, range "
                                "is simply (a.min(), a.max()). values outside the range are "
                                "ignored.")),
    forward=_forward, backward=zeros_for_inputs, infer_shape=_shape, infer_type=_types,
    num_outputs=2, backward_reads=READS_SHAPES, needs_head_grad=False,
    doc="Histogram of the flattened data: int64 counts per bin and the bin edges (bin_cnt equal "
        "bins over range, or the edges given as bins)."))
