"""Op-database cases for Pooling.

Every parameter of MXNet 1.9.x's op appears in some case: every pool_type, global_pool, the
valid/full/same conventions, count_include_pad, p_value, the channel-last layouts, and stride/pad
entries longer than the kernel. Max-pooling cases draw distinct values so the numeric gradient is
defined; ties are tested in tests/test_conv_pool_semantics.py.
"""
from opdb.core import ErrorCase, OpCase, add, distinct, error, uniform
from reference import pool as R

from mxlite.base import MXNetError

_POOL_KEYS = ("kernel", "pool_type", "stride", "pad", "pooling_convention", "global_pool",
              "count_include_pad", "p_value", "layout")


def _pool_ref(x, p):
    return [R.pooling(x["data"], **{k: v for k, v in p.items() if k in _POOL_KEYS})]


def _pool(name, data, params, draw=distinct, errors=(), **kw):
    add(OpCase("Pooling", {"data": data}, _pool_ref, params=params, name=name,
               draw={"data": draw} if draw is not None else {}, errors=list(errors), **kw))


# ----- Pooling ------------------------------------------------------------------------------------
_pool("max-2x2-s2", (2, 3, 4, 4), {"kernel": (2, 2), "stride": (2, 2)}, errors=[
    ErrorCase("kernel-exceeds-input", shapes={"data": (1, 1, 3, 3)}, params={"kernel": (5, 5)},
              exc=MXNetError, match="kernel size \\(5\\) exceeds input \\(3 padded to 3\\)"),
    ErrorCase("data-ndim", shapes={"data": (4, 4)}, exc=MXNetError,
              match="Input data should be 3D"),
    ErrorCase("kernel-ndim", shapes={"data": (2, 3, 4)}, exc=MXNetError,
              match="data must be 4-D for kernel"),
    ErrorCase("stride-ndim", params={"stride": (2,)}, exc=MXNetError,
              match="stride must have the same number of dimensions"),
    ErrorCase("no-kernel", params={"kernel": ()}, exc=MXNetError, match="kernel=\\(\\)"),
    ErrorCase("lp-without-p", params={"pool_type": "lp"}, exc=MXNetError,
              match="pool_type 'lp' needs p_value"),
    ErrorCase("lp-p4", params={"pool_type": "lp", "p_value": 4}, exc=MXNetError,
              match="p_value"),
    ErrorCase("same-convention", shapes={"data": (2, 3, 4)},
              params={"kernel": (2,), "stride": (2,), "pooling_convention": "same"},
              exc=MXNetError, match="pooling_convention 'same'"),
    ErrorCase("bad-pool-type", params={"pool_type": "median"}, exc=MXNetError,
              match="pool_type='median'")])
_pool("max-3x3-s2-p1", (2, 2, 5, 5), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)})
_pool("max-overlap", (1, 2, 4, 5), {"kernel": (2, 3)})
_pool("max-full", (1, 2, 5, 5), {"kernel": (2, 2), "stride": (2, 2),
                                 "pooling_convention": "full"})
_pool("max-full-pad", (1, 2, 4, 4), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1),
                                     "pooling_convention": "full"})
_pool("max-1d", (2, 3, 7), {"kernel": (3,), "stride": (2,), "pad": (1,)})
_pool("max-3d", (1, 2, 4, 4, 3), {"kernel": (2, 2, 2), "stride": (2, 2, 1)})
_pool("max-nhwc", (2, 4, 4, 3), {"kernel": (2, 2), "stride": (2, 2), "layout": "NHWC"})
_pool("max-global", (2, 3, 3, 4), {"global_pool": True})
for include in (None, True, False):
    tag = {None: "default", True: "count-pad", False: "no-count-pad"}[include]
    extra = {} if include is None else {"count_include_pad": include}
    _pool(f"avg-3x3-p1-{tag}", (2, 2, 4, 4),
          {"kernel": (3, 3), "pad": (1, 1), "pool_type": "avg", **extra}, draw=None)
    _pool(f"avg-full-pad-{tag}", (1, 2, 5, 4),
          {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "pool_type": "avg",
           "pooling_convention": "full", **extra}, draw=None)
_pool("avg-full-edge", (1, 1, 4, 4), {"kernel": (3, 3), "stride": (2, 2), "pool_type": "avg",
                                      "pooling_convention": "full"}, draw=None)
_pool("avg-1d", (2, 3, 6), {"kernel": (2,), "stride": (2,), "pad": (1,), "pool_type": "avg"},
      draw=None)
_pool("avg-ndhwc", (1, 3, 3, 4, 2), {"kernel": (2, 2, 2), "pool_type": "avg",
                                     "layout": "NDHWC"}, draw=None)
_pool("avg-global", (2, 3, 3, 4), {"global_pool": True, "pool_type": "avg", "kernel": (1, 1)},
      draw=None)
_pool("sum-pad", (2, 2, 4, 4), {"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1),
                                "pool_type": "sum"}, draw=None)
_pool("sum-1d-full", (2, 2, 6), {"kernel": (3,), "stride": (2,), "pool_type": "sum",
                                 "pooling_convention": "full"}, draw=None)
_pool("sum-global-1d", (2, 3, 5), {"global_pool": True, "pool_type": "sum"}, draw=None)
for power in (1, 2, 3):
    _pool(f"lp{power}", (2, 2, 4, 4), {"kernel": (2, 2), "stride": (2, 2), "pad": (1, 1),
                                       "pool_type": "lp", "p_value": power},
          draw=uniform(0.5, 1.5))
_pool("lp2-global", (2, 3, 3, 3), {"global_pool": True, "pool_type": "lp", "p_value": 2},
      draw=uniform(0.5, 1.5))

# ----- Pooling: 'same', and pad/stride longer than the kernel -------------------------------------
_same = lambda x, p: [R.pool1d_same(x["data"], p["kernel"], p["stride"], p["pool_type"])]
for width, kernel, stride, ptype in ((10, 2, 2, "max"), (9, 2, 2, "max"), (7, 3, 2, "avg"),
                                     (5, 2, 1, "max")):
    add(OpCase("Pooling", {"data": (2, 3, width)}, _same, draw={"data": distinct},
               params={"kernel": (kernel,), "stride": (stride,), "pad": (0, 0, 0),
                       "pool_type": ptype, "pooling_convention": "same"},
               name=f"same-{ptype}-w{width}-k{kernel}-s{stride}",
               errors=[error("same-pad-nonzero",
                             r"disables the use of pad parameter, got pad=\(0, 1, 0\)",
                            params={"pad": (0, 1, 0)}),
                       error("same-pad-short", r"3 pad entries, got pad=\(0,\)",
                             params={"pad": (0,)}),
                       error("same-2d", "Input data should be 3D", shapes={"data": (1, 1, 4, 4)},
                            params={"kernel": (2, 2), "stride": (2, 2)}),
                       error("stride-short", r"while stride is \(2,\)",
                            shapes={"data": (1, 1, 4, 4)},
                            params={"kernel": (2, 2), "stride": (2,), "pad": (0, 0, 0)})]
               if width == 10 else []))


def _max2d(x):
    # 2x2 windows, stride 2, no pad: the extra stride/pad entries are ignored
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


add(OpCase("Pooling", {"data": (2, 3, 6, 6)}, lambda x, p: [_max2d(x["data"])],
           params={"kernel": (2, 2), "stride": (2, 2, 7), "pad": (0, 0, 5)},
           name="long-stride-pad", draw={"data": distinct}))
