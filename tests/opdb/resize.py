"""Op-database cases for the resize family: UpSampling (nearest, one or several inputs concatenated
or summed; bilinear with its weight), _contrib_BilinearResize2D (sizes, scales, align_corners, like
mode) and _contrib_AdaptiveAvgPooling2D.

Nearest UpSampling's inputs are positional only (arg0, arg1, ...), so its error cases (which the
generated error test passes by keyword) are not expressible here; bilinear's inputs have names.
"""
from opdb.core import OpCase, add, as_list, error
from reference import resize as R

# ----- UpSampling ---------------------------------------------------------------------------------
for shapes, params, name in (
        ({"arg0": (1, 2, 3, 3)}, {"scale": 2}, "scale2"),
        ({"arg0": (2, 1, 2, 2)}, {"scale": 3}, "scale3"),
        ({"arg0": (1, 2, 2, 2), "arg1": (1, 3, 4, 4)}, {"scale": 2}, "concat"),
        ({"arg0": (1, 2, 2, 2), "arg1": (1, 2, 1, 1)}, {"scale": 2, "multi_input_mode": "sum"},
         "sum")):
    add(OpCase("UpSampling", shapes,
               lambda x, p: [R.upsampling_nearest(list(x.values()), p["scale"],
                                                  p.get("multi_input_mode", "concat"))],
               params={"sample_type": "nearest", **params}, name=name))

# ----- contrib: AdaptiveAvgPooling2D / BilinearResize2D -------------------------------------------
for size, name in (((3, 2), "3x2"), (4, "square4"), ((), "global")):
    add(OpCase("_contrib_AdaptiveAvgPooling2D", {"data": (2, 3, 7, 5)},
               as_list(lambda x, p: R.adaptive_avg_pool(x["data"], **p)),
               params={"output_size": size} if size != () else {}, name=name,
               errors=[error("3d", "data must be 4-D", shapes={"data": (3, 7, 5)})]
               if name == "3x2" else []))


def _resize_ref(x, p):
    data = x["data"]
    if p.get("mode") == "like":
        h, w = x["like"].shape[2:]
    elif "scale_height" in p:
        h, w = int(data.shape[2] * p["scale_height"]), int(data.shape[3] * p["scale_width"])
    else:
        h, w = p["height"], p["width"]
    return [R.bilinear_resize(data, h, w, p.get("align_corners", True))]


for params, shape, name in (
        ({"height": 5, "width": 7}, (1, 2, 3, 4), "up"),
        ({"height": 5, "width": 7, "align_corners": False}, (1, 2, 3, 4), "up-unaligned"),
        ({"height": 4, "width": 3}, (2, 2, 6, 8), "down"),
        ({"height": 4, "width": 3, "align_corners": False}, (2, 2, 6, 8), "down-unaligned"),
        ({"scale_height": 1.5, "scale_width": 2.0}, (1, 1, 4, 3), "scale"),
        ({"height": 3, "width": 1}, (1, 2, 3, 4), "to-one-column")):
    add(OpCase("_contrib_BilinearResize2D", {"data": shape}, _resize_ref, params=params,
               name=name,
               errors=[error("3d", "data must be 4-D", shapes={"data": (2, 3, 4)})]
               if name == "up" else []))
add(OpCase("_contrib_BilinearResize2D", {"data": (1, 2, 3, 4), "like": (1, 1, 5, 2)}, _resize_ref,
           params={"mode": "like"}, name="like"))

# ----- UpSampling, bilinear: data and a learned per-channel weight --------------------------------
for scale, shape in ((2, (2, 3, 3, 4)), (3, (1, 2, 3, 2)), (1, (1, 2, 2, 2))):
    k = 2 * scale - scale % 2
    add(OpCase("UpSampling", {"data": shape, "weight": (shape[1], 1, k, k)},
               lambda x, p: [R.upsampling_bilinear(x["data"], x["weight"], p["scale"])],
               params={"sample_type": "bilinear", "scale": scale, "num_filter": shape[1]},
               name=f"bilinear-scale{scale}",
               errors=[error("3d", r"data shape \(2,3,3\)", shapes={"data": (2, 3, 3)}),
                       error("num-filter", "num_filter=2", params={"num_filter": 2}),
                       error("weight-shape", r"inferred shape=\(3,1,4,4\) for weight",
                             shapes={"weight": (3, 1, 3, 3)})]
               if scale == 2 else []))
