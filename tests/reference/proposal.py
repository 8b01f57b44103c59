"""NumPy float64 reference for the proposal family: _contrib_Proposal and _contrib_MultiProposal,
from Faster R-CNN's region proposal step as MXNet 1.9.x describes it (contrib/proposal.cc): anchors
per cell, box deltas, clipping, padded-cell and minimum-size filtering (score -1), score sort,
greedy NMS and cyclic filling of the output rows. Loops over boxes."""
import math

import numpy as np


def _anchors(stride, ratios, scales):
    w = h = float(stride)
    ctr = 0.5 * (w - 1)
    out = []
    for ratio in ratios:
        for scale in scales:
            new_w = math.floor(math.sqrt(math.floor(w * h / ratio)) + 0.5) * scale
            new_h = math.floor(new_w / scale * ratio + 0.5) * scale
            out.append([ctr - 0.5 * (new_w - 1), ctr - 0.5 * (new_h - 1),
                        ctr + 0.5 * (new_w - 1), ctr + 0.5 * (new_h - 1)])
    return out


def _iou(a, b):
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = w * h
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def _one(fg, deltas, info, p):
    a, height, width = fg.shape
    stride = p["feature_stride"]
    anchors = _anchors(stride, p["ratios"], p["scales"])
    real_h, real_w = int(info[0] / stride), int(info[1] / stride)
    min_size = p["rpn_min_size"] * info[2]
    boxes = []
    for y in range(height):
        for x in range(width):
            for k in range(a):
                an = [anchors[k][0] + x * stride, anchors[k][1] + y * stride,
                      anchors[k][2] + x * stride, anchors[k][3] + y * stride]
                d = deltas[4 * k:4 * k + 4, y, x]
                if p["iou_loss"]:
                    box = [an[i] + d[i] for i in range(4)]
                else:
                    bw, bh = an[2] - an[0] + 1, an[3] - an[1] + 1
                    cx, cy = an[0] + 0.5 * (bw - 1) + d[0] * bw, an[1] + 0.5 * (bh - 1) + d[1] * bh
                    pw, ph = math.exp(d[2]) * bw, math.exp(d[3]) * bh
                    box = [cx - 0.5 * (pw - 1), cy - 0.5 * (ph - 1),
                           cx + 0.5 * (pw - 1), cy + 0.5 * (ph - 1)]
                lim = [info[1] - 1, info[0] - 1] * 2
                box = [min(max(v, 0.0), m) for v, m in zip(box, lim)]
                score = fg[k, y, x] if y < real_h and x < real_w else -1.0
                if box[2] - box[0] + 1 < min_size or box[3] - box[1] + 1 < min_size:
                    box = [box[0] - min_size / 2, box[1] - min_size / 2,
                           box[2] + min_size / 2, box[3] + min_size / 2]
                    score = -1.0
                boxes.append((box, score))
    pre = p["rpn_pre_nms_top_n"] if p["rpn_pre_nms_top_n"] > 0 else len(boxes)
    ranked = sorted(boxes, key=lambda t: -t[1])[:min(pre, len(boxes))]
    limit = min(p["rpn_post_nms_top_n"], len(ranked))
    kept = []
    for box, score in ranked:
        if len(kept) >= limit:
            break
        if all(_iou(k[0], box) <= p["threshold"] for k in kept):
            kept.append((box, score))
    return [kept[i % len(kept)] for i in range(p["rpn_post_nms_top_n"])]


DEFAULTS = {"rpn_pre_nms_top_n": 6000, "rpn_post_nms_top_n": 300, "threshold": 0.7,
            "rpn_min_size": 16, "scales": (4, 8, 16, 32), "ratios": (0.5, 1, 2),
            "feature_stride": 16, "output_score": False, "iou_loss": False}


def proposal(cls_prob, bbox_pred, im_info, **params):
    p = {**DEFAULTS, **params}
    rows, scores = [], []
    a = cls_prob.shape[1] // 2
    for b in range(cls_prob.shape[0]):
        for box, score in _one(cls_prob[b, a:], bbox_pred[b], im_info[b], p):
            rows.append([b] + box)
            scores.append([score])
    out = [np.array(rows), np.array(scores)]
    return out if p["output_score"] else out[:1]
