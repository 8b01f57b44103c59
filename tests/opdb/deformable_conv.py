"""Op-database cases for the deformable_conv family: _contrib_DeformableConvolution with padding
and bias, and with stride, dilation, groups, deformable groups and no bias. Offsets reach past the
image's border; positions are generic (off the integer grid), where the interpolant is smooth."""
from opdb.core import OpCase, add, error, uniform
from reference import deformable_conv as R

_OP = "_contrib_DeformableConvolution"


def _ref(x, p):
    return [R.deformable_convolution(x["data"], x["offset"], x["weight"], x.get("bias"), **p)]


add(OpCase(_OP, {"data": (2, 4, 5, 4), "offset": (2, 18, 5, 4), "weight": (3, 4, 3, 3),
                 "bias": (3,)}, _ref,
           params={"kernel": (3, 3), "pad": (1, 1), "num_filter": 3},
           draw={"offset": uniform(-1.7, 1.7)}, grad_tol=(1e-4, 1e-5),
           errors=[error("offset-shape", r"offset shape \(2,16,5,4\)",
                         shapes={"offset": (2, 16, 5, 4)}),
                   error("weight-shape", r"inferred shape=\(3,4,3,3\) for weight",
                         shapes={"weight": (3, 4, 2, 2)}),
                   error("3d-kernel", "kernel", params={"kernel": (3, 3, 3)}),
                   error("groups", "num_deformable_group=3",
                         params={"num_deformable_group": 3})]))
add(OpCase(_OP, {"data": (1, 4, 7, 7), "offset": (1, 16, 3, 3), "weight": (4, 2, 2, 2)}, _ref,
           params={"kernel": (2, 2), "stride": (2, 2), "dilate": (2, 1), "num_filter": 4,
                   "num_group": 2, "num_deformable_group": 2, "no_bias": True},
           name="groups", draw={"offset": uniform(-2.5, 2.5)}, grad_tol=(1e-4, 1e-5)))
