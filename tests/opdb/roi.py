"""Op-database cases for the roi family: ROIPooling and _contrib_ROIAlign (adaptive and fixed
sampling, aligned, position-sensitive).

ROI corners are quarter pixels (exact in float16) placed off the rounding and floor boundaries; a
ROI partly outside the map, one with another batch index, a small ROI and (ROIPooling only:
ROIAlign refuses it) one with a batch index past the data's are included. rois take no gradient
(MXNet writes zeros), so only data's is checked; ROIPooling's data are drawn without ties.
"""
import numpy as np

from opdb.core import OpCase, add, distinct, error
from reference import roi as R

_ROIS = np.array([[0, 0.25, 0.75, 8.75, 6.25], [1, 3.25, 2.75, 6.25, 10.75],
                  [1, -4.25, 5.25, 20.25, 8.75], [0, 5.25, 5.25, 5.75, 5.75],
                  [0, 2.75, 1.25, 12.75, 10.75], [2, 1.25, 1.25, 4.25, 4.25]])


def rois(rng, shape, dtype):
    return _ROIS[:shape[0]].astype(dtype)


# ----- ROIPooling ---------------------------------------------------------------------------------
for data, pooled, scale, name in (((2, 3, 6, 7), (3, 2), 0.5, ""),
                                  ((2, 2, 12, 13), (2, 4), 1.0, "scale1")):
    add(OpCase("ROIPooling", {"data": data, "rois": (6, 5)},
               lambda x, p: [R.roi_pooling(x["data"], x["rois"], p["pooled_size"],
                                           p["spatial_scale"])],
               params={"pooled_size": pooled, "spatial_scale": scale}, name=name,
               draw={"data": distinct, "rois": rois}, no_grad=("rois",),
               errors=[error("rois-columns", r"rois shape \(6,4\)", shapes={"rois": (6, 4)}),
                       error("3d-data", r"data shape \(2,3,6\)", shapes={"data": (2, 3, 6)}),
                       error("pooled-size", "pooled_size", params={"pooled_size": (0, 2)})]
               if not name else []))

# ----- ROIAlign -----------------------------------------------------------------------------------
for data, params, name in (
        ((2, 3, 6, 7), {"pooled_size": (3, 2), "spatial_scale": 0.5}, ""),
        ((2, 2, 12, 13), {"pooled_size": (2, 3), "spatial_scale": 1.0, "sample_ratio": 2,
                          "aligned": True}, "ratio2-aligned"),
        ((2, 8, 6, 7), {"pooled_size": (2, 2), "spatial_scale": 0.5,
                        "position_sensitive": True}, "position-sensitive")):
    add(OpCase("_contrib_ROIAlign", {"data": data, "rois": (5, 5)},
               lambda x, p: [R.roi_align(x["data"], x["rois"], **p)],
               params=params, name=name, draw={"rois": rois}, no_grad=("rois",),
               errors=[error("rois-columns", r"rois shape \(6,4\)", shapes={"rois": (6, 4)}),
                       error("ps-channels", "position_sensitive",
                             params={"position_sensitive": True, "pooled_size": (2, 2)})]
               if not name else []))
