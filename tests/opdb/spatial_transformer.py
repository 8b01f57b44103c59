"""Op-database cases for the spatial transformer family: GridGenerator (affine, warp),
BilinearSampler (inside and partly outside the image) and SpatialTransformer.

Sampling positions are drawn with fractional pixel offsets in [0.1, 0.9], away from the integer
lines where the interpolant's slope jumps, so numeric gradients are meaningful.
"""
import numpy as np

from opdb.core import OpCase, add, error
from reference import spatial_transformer as R


def grid_draw(h, w, margin=0):
    """Normalised grids whose pixel positions lie in [-margin, size - 1 + margin], fractional
    parts in [0.1, 0.9]."""
    def draw(rng, shape, dtype):
        def axis(size, n):
            pix = rng.integers(-margin, size - 1 + margin, n) + rng.uniform(0.1, 0.9, n)
            return pix / ((size - 1) / 2) - 1
        count = int(np.prod(shape)) // 2
        grid = np.stack([axis(w, count).reshape((shape[0],) + shape[2:]),
                         axis(h, count).reshape((shape[0],) + shape[2:])], axis=1)
        return grid.astype(dtype)
    return draw


def near_identity(rng, shape, dtype):
    """Affine matrices close to the identity (rows [1, 0, 0], [0, 1, 0]), slightly off so the
    target grid does not land on whole pixels."""
    eye = np.tile([1.0, 0.0, 0.0, 0.0, 1.0, 0.0], (shape[0], 1))
    return (eye * 0.9 + rng.uniform(-0.15, 0.15, shape)).astype(dtype)


# ----- BilinearSampler ----------------------------------------------------------------------------
for data, grid, margin, name in (((2, 3, 4, 5), (2, 2, 3, 4), 0, ""),
                                 ((1, 2, 5, 4), (1, 2, 4, 6), 2, "outside")):
    add(OpCase("BilinearSampler", {"data": data, "grid": grid},
               lambda x, p: [R.bilinear_sampler(x["data"], x["grid"])], name=name,
               draw={"grid": grid_draw(data[2], data[3], margin)},
               errors=[error("grid-channels", r"grid shape \(2,3,3,4\)",
                             shapes={"grid": (2, 3, 3, 4)}),
                       error("3d-data", r"data shape \(2,3,4\)", shapes={"data": (2, 3, 4)})]
               if not name else []))

# ----- GridGenerator ------------------------------------------------------------------------------
add(OpCase("GridGenerator", {"data": (2, 6)},
           lambda x, p: [R.grid_generator(x["data"], "affine", p["target_shape"])],
           params={"transform_type": "affine", "target_shape": (3, 4)}, name="affine",
           errors=[error("data-shape", r"data shape \(2,4\)", shapes={"data": (2, 4)}),
                   error("no-target", "target_shape", params={"target_shape": (0, 0)})]))
add(OpCase("GridGenerator", {"data": (2, 2, 3, 4)},
           lambda x, p: [R.grid_generator(x["data"], "warp")],
           params={"transform_type": "warp"}, name="warp",
           errors=[error("flow-shape", r"data shape \(2,3,3,4\)",
                         shapes={"data": (2, 3, 3, 4)})]))

# ----- SpatialTransformer -------------------------------------------------------------------------
for data, target, name in (((2, 3, 5, 4), (4, 3), ""), ((1, 2, 4, 4), (6, 5), "upscale")):
    add(OpCase("SpatialTransformer", {"data": data, "loc": (data[0], 6)},
               lambda x, p: [R.spatial_transformer(x["data"], x["loc"], p["target_shape"])],
               params={"target_shape": target, "transform_type": "affine",
                       "sampler_type": "bilinear"},
               name=name, draw={"loc": near_identity},
               errors=[error("loc-shape", r"loc shape \(2,4\)", shapes={"loc": (2, 4)}),
                       error("no-target", "target_shape", params={"target_shape": (0, 0)})]
               if not name else []))
