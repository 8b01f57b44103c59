"""Op-database cases for the detection family: _contrib_box_nms (classes, topk, thresholds, box
formats, batch axes), _contrib_MultiBoxPrior, _contrib_MultiBoxTarget (with and without hard
negative mining) and _contrib_MultiBoxDetection.

Boxes are drawn in clusters so that suppression happens. box_nms's gradient sends each output
row's head gradient back to its source row (through a box format conversion unchanged, as MXNet
does); the reference gradient does that from the reference's output, since the integer class
column leaves a numeric gradient meaningless. The MultiBox ops have zero gradients.
"""
import numpy as np

from opdb.core import OpCase, add, error
from reference import detection as R


def scored_boxes(center=False, classes=3):
    """Rows [class, score, 4 coordinates]: boxes around a few centres, distinct scores."""
    def draw(rng, shape, dtype):
        lead = shape[:-1]
        cx = rng.choice([0.3, 0.5, 0.7], lead) + rng.uniform(-0.08, 0.08, lead)
        cy = rng.choice([0.3, 0.6], lead) + rng.uniform(-0.08, 0.08, lead)
        w, h = rng.uniform(0.1, 0.4, lead), rng.uniform(0.1, 0.4, lead)
        coords = [cx, cy, w, h] if center else [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
        n = int(np.prod(lead))
        score = (rng.permutation(n).reshape(lead) + 0.5) / n
        return np.stack([rng.integers(0, classes, lead), score] + coords, axis=-1).astype(dtype)
    return draw


def _nms(x, p):
    return [R.box_nms(x["data"], **p)]


def _nms_grad(x, p, heads):
    """Each output row's head gradient goes to the input row it shows (found by its score, the
    scores being distinct): the class column makes a numeric gradient meaningless."""
    data = x["data"]
    si = p.get("score_index", 1)
    flat = data.reshape(-1, data.shape[-2], data.shape[-1])
    out = R.box_nms(data, **p).reshape(flat.shape)
    head = heads[0].reshape(flat.shape)
    grad = np.zeros_like(flat)
    for b in range(flat.shape[0]):
        for j, row in enumerate(out[b]):
            src = np.flatnonzero(flat[b, :, si] == row[si])
            if len(src):
                grad[b, src[0]] += head[b, j]
    return {"data": grad.reshape(data.shape)}


for shape, params, name, center in (
        ((2, 12, 6), {}, "", False),
        ((2, 12, 6), {"overlap_thresh": 0.3, "valid_thresh": 0.2, "id_index": 0, "topk": 7},
         "classes-topk", False),
        ((1, 14, 6), {"id_index": 0, "background_id": 0, "force_suppress": True},
         "force-background", False),
        ((2, 2, 8, 6), {"overlap_thresh": 0.4}, "4d", False),
        ((2, 9, 6), {"in_format": "center", "out_format": "corner"}, "center-to-corner", True),
        ((1, 5, 6), {"topk": 0}, "topk0", False)):
    add(OpCase("_contrib_box_nms", {"data": shape}, _nms, params=params, name=name,
               draw={"data": scored_boxes(center)}, ref_grad=_nms_grad,
               errors=[error("narrow", r"data shape \(2,12,4\)", shapes={"data": (2, 12, 4)}),
                       error("score-index", "score_index=3", params={"score_index": 3}),
                       error("coord-start", "coord_start=4", params={"coord_start": 4})]
               if not name else []))


def _zeros(*names):
    return lambda x, p, heads: {n: np.zeros_like(x[n]) for n in names}


# ----- MultiBoxPrior ------------------------------------------------------------------------------
for shape, params, name in (((2, 3, 4, 5), {"sizes": (0.5, 0.25), "ratios": (1, 2, 0.5)}, ""),
                            ((1, 2, 3, 3), {"sizes": (0.7,), "ratios": (1, 3), "clip": True,
                                            "steps": (0.3, 0.25), "offsets": (0.2, 0.6)},
                             "clip-steps")):
    add(OpCase("_contrib_MultiBoxPrior", {"data": shape},
               lambda x, p: [R.multibox_prior(x["data"], **p)], params=params, name=name,
               loss=True, ref_grad=_zeros("data"),
               # the anchors are computed in float32 whatever the dtype, as in MXNet
               tol={"float64": (1e-6, 1e-7)},
               errors=[error("3d", r"data shape \(2,3,4\)", shapes={"data": (2, 3, 4)}),
                       error("offsets", "offsets", params={"offsets": (0.5, 1.5)})]
               if not name else []))


# ----- MultiBoxTarget / MultiBoxDetection ---------------------------------------------------------
def anchors(rng, shape, dtype):
    side = int(round((shape[1] / 4) ** 0.5))
    return R.multibox_prior(np.zeros((1, 1, side, side)), sizes=(0.4, 0.2),
                            ratios=(1, 2, 0.5)).astype(dtype)


def labels(rng, shape, dtype):
    lab = -np.ones(shape)
    lab[0, :2] = [[0, 0.1, 0.1, 0.45, 0.5], [2, 0.5, 0.4, 0.9, 0.95]]
    lab[1, :3] = [[1, 0.2, 0.2, 0.6, 0.55], [0, 0.05, 0.6, 0.3, 0.9], [1, 0.6, 0.1, 0.95, 0.5]]
    return lab.astype(dtype)


def probabilities(rng, shape, dtype):
    z = rng.standard_normal(shape) * 2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(dtype)


_MBT_IN = ("anchor", "label", "cls_pred")
for params, name in (({}, ""),
                     ({"overlap_threshold": 0.4, "negative_mining_ratio": 3,
                       "negative_mining_thresh": 0.4, "variances": (0.1, 0.1, 0.3, 0.3)},
                      "mining")):
    add(OpCase("_contrib_MultiBoxTarget", {"anchor": (1, 64, 4), "label": (2, 4, 5),
                                           "cls_pred": (2, 4, 64)},
               lambda x, p: R.multibox_target(x["anchor"], x["label"], x["cls_pred"], **p),
               params=params, name=name, draw={"anchor": anchors, "label": labels},
               dtypes=("float32", "float64"), loss=True, ref_grad=_zeros(*_MBT_IN),
               # the box offsets are encoded in float32 whatever the dtype, as in MXNet
               tol={"float64": (1e-5, 1e-6)},
               errors=[error("anchor-shape", r"anchor shape \(2,64,4\)",
                             shapes={"anchor": (2, 64, 4)}),
                       error("label-width", r"label shape \(2,4,4\)",
                             shapes={"label": (2, 4, 4)}),
                       error("cls-pred", r"cls_pred shape \(2,4,60\)",
                             shapes={"cls_pred": (2, 4, 60)})]
               if not name else []))

_MBD_IN = ("cls_prob", "loc_pred", "anchor")
for params, name in (({"threshold": 0.2}, ""),
                     ({"threshold": 0.1, "nms_threshold": 0.3, "force_suppress": True,
                       "nms_topk": 12, "clip": False, "variances": (0.2, 0.2, 0.1, 0.1)},
                      "topk-force")):
    add(OpCase("_contrib_MultiBoxDetection", {"cls_prob": (2, 4, 64), "loc_pred": (2, 256),
                                              "anchor": (1, 64, 4)},
               lambda x, p: [R.multibox_detection(x["cls_prob"], x["loc_pred"], x["anchor"],
                                                  **p)],
               params=params, name=name, draw={"cls_prob": probabilities, "anchor": anchors},
               dtypes=("float32", "float64"), loss=True, ref_grad=_zeros(*_MBD_IN),
               # variances are float32 parameters (MXNet's Tuple<float>)
               tol={"float64": (1e-6, 1e-9)},
               errors=[error("loc-pred", r"loc_pred shape \(2,250\)",
                             shapes={"loc_pred": (2, 250)}),
                       error("anchor", r"anchor shape \(1,60,4\)",
                             shapes={"anchor": (1, 60, 4)})]
               if not name else []))
