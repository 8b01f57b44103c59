"""Op-database cases for the correlation family: Correlation with the defaults, a 3x3 kernel with
padding and both strides, and absolute differences."""
from opdb.core import OpCase, add, error
from reference import correlation as R

for shape, params, name in (
        ((2, 3, 5, 6), {}, ""),
        ((1, 2, 7, 8), {"kernel_size": 3, "max_displacement": 2, "stride1": 2, "stride2": 2,
                        "pad_size": 2}, "kernel3-pad-strides"),
        ((2, 2, 6, 5), {"max_displacement": 2, "pad_size": 1, "is_multiply": False},
         "subtract")):
    add(OpCase("Correlation", {"data1": shape, "data2": shape},
               lambda x, p: [R.correlation(x["data1"], x["data2"], **p)], params=params,
               name=name,
               errors=[error("even-kernel", "kernel_size=2", params={"kernel_size": 2}),
                       error("shapes", r"data2 \(2,3,5,5\)", shapes={"data2": (2, 3, 5, 5)}),
                       error("too-small", "max_displacement=3", params={"max_displacement": 3})]
               if not name else []))
