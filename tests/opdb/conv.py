"""Op-database cases for Convolution and Deconvolution.

Every parameter of MXNet 1.9.x's two ops appears in some case: stride, pad, dilate, num_group
(grouped and depthwise), no_bias, the ignored workspace/cudnn_*/layout, Deconvolution's adj and
target_shape, on 1-D, 2-D and 3-D data.
"""
from opdb.core import ErrorCase, OpCase, add
from reference import conv as R

from mxlite.base import MXNetError

# float16 convolutions sum dozens of products; compare them a little more loosely
_F16 = {"float16": (2e-2, 3e-2)}


def _conv_ref(x, p):
    return [R.convolution(x["data"], x["weight"], x.get("bias"), stride=p.get("stride", ()),
                          dilate=p.get("dilate", ()), pad=p.get("pad", ()),
                          num_group=p.get("num_group", 1))]


def _deconv_ref(x, p):
    return [R.deconvolution(x["data"], x["weight"], x.get("bias"), stride=p.get("stride", ()),
                            dilate=p.get("dilate", ()), pad=p.get("pad", ()),
                            adj=p.get("adj", ()), target_shape=p.get("target_shape", ()),
                            num_group=p.get("num_group", 1))]


def _conv(name, data, weight, params, bias=True, errors=(), **kw):
    shapes = {"data": data, "weight": weight}
    if bias:
        shapes["bias"] = (weight[0],)
    else:
        params = {**params, "no_bias": True}
    add(OpCase("Convolution", shapes, _conv_ref, params={"num_filter": weight[0], **params},
               name=name, tol=_F16, errors=list(errors), **kw))


# ----- Convolution --------------------------------------------------------------------------------
_conv("2d", (2, 3, 5, 5), (4, 3, 3, 3), {"kernel": (3, 3)}, errors=[
    ErrorCase("kernel-exceeds-input", shapes={"data": (1, 3, 2, 2)}, exc=MXNetError,
              match="kernel size exceed input"),
    ErrorCase("weight-shape", shapes={"weight": (4, 2, 3, 3)}, exc=MXNetError,
              match="weight.*Provided = \\[4,2,3,3\\].*\\(4,3,3,3\\)"),
    ErrorCase("bias-shape", shapes={"bias": (5,)}, exc=MXNetError,
              match="Shape inconsistent for bias, Provided = \\[5\\]"),
    ErrorCase("group-divides-channels", params={"num_group": 2}, shapes={"weight": (4, 1, 3, 3)},
              exc=MXNetError, match="input num_filter must divide group size.*num_group=2"),
    ErrorCase("group-divides-filters", params={"num_group": 3}, shapes={"weight": (4, 1, 3, 3)},
              exc=MXNetError,
              match="output num_filter must divide group size: num_filter=4, num_group=3"),
    ErrorCase("stride-ndim", params={"stride": (2,)}, exc=MXNetError,
              match="stride must have the same number of dimensions"),
    ErrorCase("data-ndim", shapes={"data": (2, 3, 5)}, exc=MXNetError, match="data must be 4-D"),
    ErrorCase("kernel-4d", params={"kernel": (1, 1, 1, 1)}, exc=MXNetError,
              match="4D convolution not supported"),
    ErrorCase("zero-stride", params={"stride": (0, 1)}, exc=MXNetError,
              match="incorrect stride size: \\(0, 1\\)"),
    ErrorCase("channel-last", params={"layout": "NHWC"}, exc=MXNetError, match="layout NHWC"),
    ErrorCase("dtype-mismatch", dtypes={"weight": "float64"}, exc=MXNetError,
              match="\\(weight\\): Type inconsistent")])
# (2, 3, 9, 9) with k3 s2 p1 d2 gives (2, 4, 4, 4) (MXNET_SEMANTICS.md §7.4)
_conv("k3-s2-p1-d2", (2, 3, 9, 9), (4, 3, 3, 3),
      {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "dilate": (2, 2)})
_conv("rect-mixed", (2, 2, 6, 5), (3, 2, 3, 2),
      {"kernel": (3, 2), "stride": (1, 2), "pad": (0, 1), "dilate": (1, 2)})
_conv("nobias", (2, 3, 4, 4), (2, 3, 2, 2), {"kernel": (2, 2), "pad": (1, 1)}, bias=False)
_conv("groups", (2, 4, 5, 5), (6, 2, 3, 3), {"kernel": (3, 3), "num_group": 2})
_conv("depthwise", (2, 3, 5, 5), (3, 1, 3, 3), {"kernel": (3, 3), "num_group": 3, "pad": (1, 1)},
      bias=False)
_conv("depthwise-mult2", (2, 3, 4, 4), (6, 1, 3, 3),
      {"kernel": (3, 3), "num_group": 3, "stride": (2, 2), "pad": (1, 1)})
_conv("ignored-params", (2, 2, 4, 4), (3, 2, 3, 3),
      {"kernel": (3, 3), "workspace": 1, "cudnn_tune": "fastest", "cudnn_off": True,
       "layout": "NCHW"})
_conv("1d", (2, 3, 8), (4, 3, 3), {"kernel": (3,), "stride": (2,), "pad": (1,)},
      errors=[ErrorCase("kernel-exceeds-input", shapes={"data": (2, 3, 2)},
                        params={"pad": (0,)}, exc=MXNetError,
                        match="kernel size exceed input")])
_conv("1d-dilate-groups", (2, 4, 9), (4, 2, 2),
      {"kernel": (2,), "dilate": (3,), "num_group": 2, "pad": (2,)}, bias=False)
_conv("3d", (1, 2, 4, 4, 3), (2, 2, 2, 2, 2), {"kernel": (2, 2, 2), "stride": (2, 1, 1)})
# output rows of 16+ elements take the batch-outer column layout (mxlite/ops/conv.py _batch_last)
_conv("wide-rows-groups", (2, 2, 3, 19), (4, 1, 2, 3), {"kernel": (2, 3), "pad": (1, 1),
                                                       "num_group": 2})
_conv("wide-rows-1d-stride-dilate", (2, 3, 40), (2, 3, 3),
      {"kernel": (3,), "stride": (2,), "pad": (1,), "dilate": (2,)})


# ----- Deconvolution ------------------------------------------------------------------------------
def _deconv(name, data, weight, params, bias=False, errors=(), **kw):
    shapes = {"data": data, "weight": weight}
    f = weight[1] * params.get("num_group", 1)
    if bias:
        shapes["bias"] = (f,)
        params = {**params, "no_bias": False}
    add(OpCase("Deconvolution", shapes, _deconv_ref, params={"num_filter": f, **params},
               name=name, tol=_F16, errors=list(errors), **kw))


_deconv("2d", (2, 3, 4, 4), (3, 2, 3, 3), {"kernel": (3, 3)}, errors=[
    ErrorCase("weight-shape", shapes={"weight": (3, 3, 3, 3)}, exc=MXNetError,
              match="weight.*Provided = \\[3,3,3,3\\]"),
    ErrorCase("adj-not-below-stride", params={"adj": (1, 1)}, exc=MXNetError,
              match="adj must be smaller than stride"),
    ErrorCase("group-divides-channels", params={"num_group": 2, "num_filter": 4},
              exc=MXNetError, match="input num_filter must divide group size.*num_group=2"),
    ErrorCase("target-too-big", params={"target_shape": (9, 9)}, exc=MXNetError,
              match="too big target shape: target_shape \\(9, 9\\)"),
    ErrorCase("adj-ndim", params={"adj": (0,)}, exc=MXNetError,
              match="adj must have the same number of dimensions")])
_deconv("s2-p1-adj1-bias", (2, 2, 3, 3), (2, 3, 3, 3),
        {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "adj": (1, 1)}, bias=True)
_deconv("groups", (2, 4, 3, 3), (4, 3, 3, 3), {"kernel": (3, 3), "num_group": 2, "stride": (2, 1)},
        bias=True)
_deconv("dilate", (1, 2, 3, 3), (2, 2, 2, 2), {"kernel": (2, 2), "dilate": (2, 2)})
_deconv("target-shape", (2, 2, 3, 3), (2, 2, 3, 3),
        {"kernel": (3, 3), "stride": (2, 2), "target_shape": (6, 7)})
_deconv("wide-rows", (2, 2, 2, 16), (2, 3, 3, 3),
        {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1), "adj": (1, 1)}, bias=True)
_deconv("1d", (2, 3, 5), (3, 2, 3), {"kernel": (3,), "stride": (2,), "pad": (1,), "adj": (1,)},
        bias=True)
