"""Op-database cases for the proposal family: _contrib_Proposal (center deltas, and corner deltas
with a large minimum size) and _contrib_MultiProposal over two images of different sizes. The ops
are forward-only (zero gradients) and compute in float32, as MXNet does."""
import numpy as np

from opdb.core import OpCase, add, error
from reference import proposal as R


def scores(rng, shape, dtype):
    n, a2, h, w = shape
    z = rng.standard_normal((n, 2, a2 // 2, h, w)) * 2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).reshape(shape).astype(dtype)


def deltas(scale):
    return lambda rng, shape, dtype: (rng.standard_normal(shape) * scale).astype(dtype)


def info(rows):
    return lambda rng, shape, dtype: np.array(rows, dtype)


def _zeros(x, p, heads):
    return {n: np.zeros_like(v) for n, v in x.items()}


_RPN = {"scales": (2, 4), "ratios": (0.5, 1, 2), "feature_stride": 8, "rpn_pre_nms_top_n": 50,
        "rpn_post_nms_top_n": 20, "threshold": 0.6, "rpn_min_size": 4}
_F32 = {"float32": (1e-4, 1e-4), "float64": (1e-4, 1e-4)}

for op, shapes, draw, params, name in (
        ("_contrib_Proposal", {"cls_prob": (1, 12, 5, 6), "bbox_pred": (1, 24, 5, 6),
                               "im_info": (1, 3)},
         {"bbox_pred": deltas(0.3), "im_info": info([[40, 42, 1.0]])},
         dict(_RPN, output_score=True), ""),
        ("_contrib_Proposal", {"cls_prob": (1, 12, 4, 4), "bbox_pred": (1, 24, 4, 4),
                               "im_info": (1, 3)},
         {"bbox_pred": deltas(3.0), "im_info": info([[30, 32, 1.5]])},
         dict(_RPN, iou_loss=True, rpn_min_size=8, rpn_post_nms_top_n=40), "iou-loss"),
        ("_contrib_MultiProposal", {"cls_prob": (2, 12, 5, 5), "bbox_pred": (2, 24, 5, 5),
                                    "im_info": (2, 3)},
         {"bbox_pred": deltas(0.3), "im_info": info([[40, 40, 1.0], [33, 25, 0.8]])},
         dict(_RPN, output_score=True), "")):
    add(OpCase(op, shapes, lambda x, p: R.proposal(x["cls_prob"], x["bbox_pred"], x["im_info"],
                                                   **p),
               params=params, name=name, draw={"cls_prob": scores, **draw},
               dtypes=("float32", "float64"), tol=_F32, loss=True, ref_grad=_zeros,
               errors=[error("anchors", r"cls_prob shape \(1,10,5,6\)",
                             shapes={"cls_prob": (1, 10, 5, 6)}),
                       error("bbox-pred", r"inferred shape=\(1,24,5,6\) for bbox_pred",
                             shapes={"bbox_pred": (1, 20, 5, 6)}),
                       error("batch", r"multiple images.*cls_prob",
                             shapes={"cls_prob": (2, 12, 5, 6), "bbox_pred": (2, 24, 5, 6),
                                     "im_info": (2, 3)})]
               if op == "_contrib_Proposal" and not name else []))
