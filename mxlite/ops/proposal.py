"""Region proposal (Faster R-CNN's RPN): ``_contrib_Proposal`` and ``_contrib_MultiProposal``
(src/operator/contrib/proposal*, multi_proposal*). Forward only: every input gets a zero gradient,
as in MXNet.

For each image: anchors (len(ratios) * len(scales) per cell, from a feature_stride-sized base box,
laid out as MXNet's GenerateAnchors does) are shifted over the (H, W) map and moved by
``bbox_pred`` (center/size deltas, or corner deltas with ``iou_loss``), clipped to the image
``im_info`` = (height, width, scale). Boxes from cells beyond the image's real extent
(im_info / feature_stride) and boxes smaller than rpn_min_size * scale get score -1 (the small
ones are also widened by rpn_min_size*scale/2 on each side, as MXNet's FilterBox does). Boxes are
sorted by foreground score (the second half of cls_prob's channels; ties in index order), the
first rpn_pre_nms_top_n kept, and greedy NMS (IoU with the +1 pixel convention > threshold)
keeps up to rpn_post_nms_top_n; the rows repeat the kept boxes cyclically to fill
rpn_post_nms_top_n. Output rows [batch_index, x1, y1, x2, y2] and, with ``output_score``, the
scores. MXNet computes in float32 and so does mxlite, whatever the dtype.
"""
import numpy as np

from ..base import MXNetError
from ._util import fmt_shape
from .detection import FloatTuple, zeros_for_inputs
from .params import Bool, Float, Int, ParamSpec
from .registry import READS_SHAPES, OpDef, register
from .roi import to_host

_F = np.float32


def _params():
    return ParamSpec(
        Int("rpn_pre_nms_top_n", 6000, "Number of top scoring boxes to keep before applying "
                                       "NMS to RPN proposals"),
        Int("rpn_post_nms_top_n", 300, "Number of top scoring boxes to keep after applying NMS "
                                       "to RPN proposals"),
        Float("threshold", 0.7, "NMS value, below which to suppress."),
        Int("rpn_min_size", 16, "Minimum height or width in proposal"),
        FloatTuple("scales", (4.0, 8.0, 16.0, 32.0), "Used to generate anchor windows by "
                                                     "enumerating scales"),
        FloatTuple("ratios", (0.5, 1.0, 2.0), "Used to generate anchor windows by enumerating "
                                              "ratios"),
        Int("feature_stride", 16, "The size of the receptive field each unit in the convolution "
                                  "layer of the rpn,for example the product of all stride's prior "
                                  "to this layer."),
        Bool("output_score", False, "Add score to outputs"),
        Bool("iou_loss", False, "Usage of IoU Loss"))


def generate_anchors(p):
    """(A, 4) float32 anchors around the base box [0, 0, stride-1, stride-1], ratios outer,
    scales inner (proposal-inl.h GenerateAnchors / _Transform)."""
    base = _F(p["feature_stride"]) - _F(1)
    w = h = base + _F(1)
    ctr = _F(0.5 * (w - _F(1)))
    out = []
    for ratio in p["ratios"]:
        for scale in p["scales"]:
            ratio, scale = _F(ratio), _F(scale)
            size_ratios = np.floor(w * h / ratio)
            new_w = np.floor(np.sqrt(size_ratios) + _F(0.5)) * scale
            new_h = np.floor(new_w / scale * ratio + _F(0.5)) * scale
            out.append([ctr - _F(0.5) * (new_w - _F(1)), ctr - _F(0.5) * (new_h - _F(1)),
                        ctr + _F(0.5) * (new_w - _F(1)), ctr + _F(0.5) * (new_h - _F(1))])
    return np.array(out, _F)


def _decode(p, boxes, deltas, info):
    """BBoxTransformInv / IoUTransformInv, clipped to the image (float32)."""
    im_h, im_w = _F(info[0]), _F(info[1])
    if p["iou_loss"]:
        pred = boxes + deltas
    else:
        width = boxes[:, 2] - boxes[:, 0] + _F(1)
        height = boxes[:, 3] - boxes[:, 1] + _F(1)
        cx = (boxes[:, 0] + 0.5 * (width.astype(np.float64) - 1.0)).astype(_F)
        cy = (boxes[:, 1] + 0.5 * (height.astype(np.float64) - 1.0)).astype(_F)
        pcx, pcy = deltas[:, 0] * width + cx, deltas[:, 1] * height + cy
        with np.errstate(over="ignore"):
            pw, ph = np.exp(deltas[:, 2]) * width, np.exp(deltas[:, 3]) * height
        half_w = (0.5 * (pw.astype(np.float64) - 1.0))
        half_h = (0.5 * (ph.astype(np.float64) - 1.0))
        pred = np.stack([pcx - half_w, pcy - half_h, pcx + half_w, pcy + half_h],
                        axis=1).astype(_F)
    lim = np.array([im_w, im_h, im_w, im_h], _F) - _F(1)
    return np.maximum(np.minimum(pred, lim), _F(0))


def _nms(dets, thresh, limit):
    """Greedy NMS on score-sorted boxes: indices kept, at most ``limit``."""
    area = (dets[:, 2] - dets[:, 0] + _F(1)) * (dets[:, 3] - dets[:, 1] + _F(1))
    suppressed = np.zeros(len(dets), bool)
    keep = []
    for i in range(len(dets)):
        if len(keep) >= limit:
            break
        if suppressed[i]:
            continue
        keep.append(i)
        rest = np.arange(i + 1, len(dets))
        rest = rest[~suppressed[rest]]
        w = np.maximum(_F(0), np.minimum(dets[i, 2], dets[rest, 2])
                       - np.maximum(dets[i, 0], dets[rest, 0]) + _F(1))
        h = np.maximum(_F(0), np.minimum(dets[i, 3], dets[rest, 3])
                       - np.maximum(dets[i, 1], dets[rest, 1]) + _F(1))
        inter = w * h
        with np.errstate(divide="ignore", invalid="ignore"):
            overlap = inter / (area[i] + area[rest] - inter)
        suppressed[rest[overlap > _F(thresh)]] = True
    return np.array(keep, np.int64)


def propose(p, scores, deltas, info):
    """One image: (rows (post_n, 4), scores (post_n,)) from foreground scores (A, H, W), deltas
    (4A, H, W) and im_info (3,), in float32."""
    a, height, width = scores.shape
    stride = p["feature_stride"]
    anchors = generate_anchors(p)
    shift_x = (np.arange(width) * stride).astype(_F)
    shift_y = (np.arange(height) * stride).astype(_F)
    shifts = np.stack(np.broadcast_arrays(shift_x[None, :, None], shift_y[:, None, None],
                                          shift_x[None, :, None], shift_y[:, None, None]),
                      axis=-1)                                     # (H, W, 1, 4)
    boxes = (anchors[None, None] + shifts).reshape(-1, 4)          # index (h, w, a)
    score = scores.transpose(1, 2, 0).reshape(-1).astype(_F).copy()
    d = deltas.reshape(a, 4, height, width).transpose(2, 3, 0, 1).reshape(-1, 4).astype(_F)
    boxes = _decode(p, boxes, d, info)
    real_h, real_w = int(_F(info[0]) / _F(stride)), int(_F(info[1]) / _F(stride))
    if real_h > height or real_w > width:
        raise MXNetError(f"Error in operator _contrib_Proposal: im_info {list(map(float, info))} "
                         f"describes an image larger than the feature map ({height}, {width}) "
                         f"times feature_stride={stride}")
    hh, ww = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    outside = np.repeat(((hh >= real_h) | (ww >= real_w)).reshape(-1), a)
    score[outside] = -1
    min_size = _F(p["rpn_min_size"]) * _F(info[2])
    small = ((boxes[:, 2] - boxes[:, 0] + _F(1) < min_size)
             | (boxes[:, 3] - boxes[:, 1] + _F(1) < min_size))
    boxes[small] += np.array([-1, -1, 1, 1], _F) * (min_size / _F(2))
    score[small] = -1
    count = len(score)
    pre = p["rpn_pre_nms_top_n"] if p["rpn_pre_nms_top_n"] > 0 else count
    pre = min(pre, count)
    post_limit = min(p["rpn_post_nms_top_n"], pre)
    order = np.argsort(-score, kind="stable")[:pre]
    dets, det_scores = boxes[order], score[order]
    keep = _nms(dets, p["threshold"], post_limit)
    pick = keep[np.arange(p["rpn_post_nms_top_n"]) % len(keep)]
    return dets[pick], det_scores[pick]


def _check(op, p, cls_prob):
    a = len(p["ratios"]) * len(p["scales"])
    if len(cls_prob) != 4 or cls_prob[1] != 2 * a:
        raise MXNetError(f"Error in operator {op}: cls_prob should be (batch, 2 * {a} anchors, "
                         f"height, width) for {len(p['ratios'])} ratios x {len(p['scales'])} "
                         f"scales, got cls_prob shape {fmt_shape(cls_prob)}")
    if p["rpn_post_nms_top_n"] < 1:
        raise MXNetError(f"Error in operator {op}: rpn_post_nms_top_n="
                         f"{p['rpn_post_nms_top_n']} must be >= 1")


def _shape_rule(op, multi):
    def rule(p, in_shapes):
        cls_prob, bbox_pred, im_info = in_shapes
        if cls_prob is None:
            return list(in_shapes), [None, None]
        _check(op, p, cls_prob)
        n = cls_prob[0]
        if not multi and n != 1:
            raise MXNetError(f"Error in operator {op}: Sorry, multiple images each device is not "
                             f"implemented (cls_prob shape {fmt_shape(cls_prob)}); use "
                             f"_contrib_MultiProposal")
        want = [tuple(cls_prob), (n, cls_prob[1] * 2) + tuple(cls_prob[2:]), (n, 3)]
        for name, given, w in zip(("bbox_pred", "im_info"), (bbox_pred, im_info), want[1:]):
            if given is not None and tuple(given) != w:
                raise MXNetError(f"Error in operator {op}: Shape inconsistent, Provided = "
                                 f"{fmt_shape(given)}, inferred shape={fmt_shape(w)} for {name}")
        rows = n * p["rpn_post_nms_top_n"]
        return want, [(rows, 5), (rows, 1)]
    return rule


def _forward(sc, p, ins):
    xp = sc.xp
    cls_prob, bbox_pred, im_info = (to_host(xp, x).astype(_F) for x in ins)
    n, a2 = cls_prob.shape[:2]
    rows, scores = [], []
    for b in range(n):
        boxes, score = propose(p, cls_prob[b, a2 // 2:], bbox_pred[b], im_info[b])
        rows.append(np.concatenate([np.full((len(boxes), 1), b, _F), boxes], axis=1))
        scores.append(score[:, None])
    dtype = ins[0].dtype
    return [xp.asarray(np.concatenate(rows).astype(dtype)),
            xp.asarray(np.concatenate(scores).astype(dtype))]


for _name, _multi in (("_contrib_Proposal", False), ("_contrib_MultiProposal", True)):
    register(OpDef(
        name=_name, inputs=("cls_prob", "bbox_pred", "im_info"), params=_params(),
        forward=_forward, backward=zeros_for_inputs, infer_shape=_shape_rule(_name, _multi),
        num_outputs=lambda p: 2 if p["output_score"] else 1,
        num_hidden_outputs=lambda p: 0 if p["output_score"] else 1,
        output_names=lambda p: ["output", "score"] if p["output_score"] else ["output"],
        backward_reads=READS_SHAPES, needs_head_grad=False,
        doc="Region proposals from RPN scores and box deltas: rows [batch_index, x1, y1, x2, y2] "
            "after NMS" + (", for a batch of images." if _multi else " (one image).")))
