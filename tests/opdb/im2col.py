"""Op-database cases for the im2col family: im2col and col2im with 1-, 2- and 3-D kernels,
strides, dilation and padding."""
from opdb.core import OpCase, add, error
from reference import im2col as R

for shape, params, name in (
        ((2, 3, 7, 6), {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}, ""),
        ((2, 2, 9), {"kernel": (3,), "dilate": (2,)}, "1d-dilate"),
        ((1, 2, 4, 5, 4), {"kernel": (2, 3, 2), "pad": (1, 0, 1), "stride": (1, 2, 1)}, "3d")):
    add(OpCase("im2col", {"data": shape}, lambda x, p: [R.im2col(x["data"], **p)],
               params=params, name=name,
               errors=[error("kernel-dims", r"kernel=\(3, 3\)", shapes={"data": (2, 3, 7)}),
                       error("stride-dims", "stride", params={"stride": (2,)}),
                       error("too-big", "kernel", params={"kernel": (9, 9), "pad": (0, 0)})]
               if not name else []))

for shape, params, name in (
        ((2, 27, 12), {"output_size": (7, 6), "kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)},
         ""),
        ((1, 8, 9), {"output_size": (5, 5), "kernel": (2, 2), "dilate": (2, 2)}, "dilate"),
        ((2, 6, 4), {"output_size": (7,), "kernel": (3,), "stride": (2,), "pad": (1,)}, "1d")):
    add(OpCase("col2im", {"data": shape}, lambda x, p: [R.col2im(x["data"], **p)],
               params=params, name=name,
               errors=[error("columns", r"data shape \(2,27,11\)", shapes={"data": (2, 27, 11)}),
                       error("output-size", "output_size", params={"output_size": (7,)})]
               if not name else []))
