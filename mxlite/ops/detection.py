"""Single-shot detection (SSD) ops: ``_contrib_box_nms``, ``_contrib_MultiBoxPrior``,
``_contrib_MultiBoxTarget`` and ``_contrib_MultiBoxDetection``.

Boxes are rows; corner boxes are [xmin, ymin, xmax, ymax], center boxes [x, y, width, height].
The matching and suppression loops are sequential by nature: they run on the host in NumPy on the
(small) box arrays, in the data's dtype (float32 for float16), and the results go back to the
data's device.

- box_nms (src/operator/contrib/bounding_box-inl.h): per batch, boxes with score > valid_thresh
  (and, with id_index, class != background_id) sorted by descending score (ties keep input
  order), the first ``topk`` kept candidates, greedy suppression of later boxes whose IoU with a
  kept one exceeds overlap_thresh (same class only, unless force_suppress). Kept rows come first,
  the rest are -1. The gradient copies each output row's head gradient back to the input row it
  came from (the box-format conversion is not differentiated, as in MXNet); a hidden output keeps
  the source index of each row. MXNet's conversion skips rows whose first coordinate is negative;
  so does mxlite.
- MultiBoxPrior (multibox_prior.cc): anchors (1, H*W*A, 4) for each feature-map cell, the sizes at
  the first ratio, then the other ratios at the first size; A = len(sizes) + len(ratios) - 1.
- MultiBoxTarget (multibox_target.cc): matches anchors to ground truth (best anchor for each
  object first, then every anchor whose best IoU exceeds overlap_threshold), optionally picks hard
  negatives by the background probability of cls_pred, and encodes the positives' offsets with
  ``variances``. Outputs loc_target, loc_mask (N, A*4) and cls_target (N, A).
- MultiBoxDetection (multibox_detection.cc): decodes loc_pred against the anchors, takes each
  anchor's best non-background class (class 0 is the background, whatever background_id says, as
  in MXNet), drops scores below threshold, sorts, keeps nms_topk and suppresses IoU >=
  nms_threshold. Output (N, A, 6) rows [class, score, xmin, ymin, xmax, ymax], -1 class for
  dropped rows.

The three MultiBox ops have zero gradients (MXNet's backward writes zeros).
"""
import numpy as np

from ..base import MXNetError
from ._util import acc_dtype, fmt_shape, uniform_type
from .params import Bool, Enum, Field, Float, Int, ParamSpec
from .registry import READS_SHAPES, BackwardReads, OpDef, register
from .roi import to_host


class FloatTuple(Field):
    """A tuple of floats (MXNet's ``Tuple<float>``): ``(0.1, 0.2)``, ``[0.5]`` or ``0.5``."""

    type_name = "tuple of <float>"

    def parse(self, value):
        if isinstance(value, str):
            text = value.strip().strip("()[]")
            try:
                return tuple(float(v) for v in text.split(",") if v.strip())
            except ValueError:
                raise ValueError(f"Invalid Parameter format for {self.name} expect tuple of "
                                 f"<float> but value='{value}'") from None
        if isinstance(value, (list, tuple)):
            return tuple(float(v) for v in value)
        return (float(value),)

    def default_text(self):
        return "[" + ",".join(f"{v:g}" for v in self.default) + "]"


def zeros_for_inputs(sc, p, ograds, ins, outs):
    """A zero gradient for every input, made from the shapes alone (for ops declaring
    ``READS_SHAPES``, whose backward sees shape records, not values)."""
    return [sc.xp.zeros(x.shape, x.dtype) for x in ins]


def _back(xp, array):
    return xp.asarray(array)


# ----- box_nms ------------------------------------------------------------------------------------
_NMS = "_contrib_box_nms"

_NMS_PARAMS = ParamSpec(
    Float("overlap_thresh", 0.5, "Overlapping(IoU) threshold to suppress object with smaller "
                                 "score."),
    Float("valid_thresh", 0.0, "Filter input boxes to those whose scores greater than "
                               "valid_thresh."),
    Int("topk", -1, "Apply nms to topk boxes with descending scores, -1 to no restriction."),
    Int("coord_start", 2, "Start index of the consecutive 4 coordinates."),
    Int("score_index", 1, "Index of the scores/confidence of boxes."),
    Int("id_index", -1, "Optional, index of the class categories, -1 to disable."),
    Int("background_id", -1, "Optional, id of the background class which will be ignored in "
                             "nms."),
    Bool("force_suppress", False, "Optional, if set false and id_index is provided, nms will "
                                  "only apply to boxes belongs to the same category"),
    Enum("in_format", ("center", "corner"), "corner",
         "The input box encoding type. \"corner\" means boxes are encoded as [xmin, ymin, xmax, "
         "ymax], \"center\" means boxes are encodes as [x, y, width, height]."),
    Enum("out_format", ("center", "corner"), "corner",
         "The output box encoding type. \"corner\" means boxes are encoded as [xmin, ymin, "
         "xmax, ymax], \"center\" means boxes are encodes as [x, y, width, height]."))


def _nms_check(p, shape):
    if len(shape) < 2:
        raise MXNetError(f"Error in operator {_NMS}: data must have dim >= 2 (the last two are "
                         f"num_box and box_width), got data shape {fmt_shape(shape)}")
    width = shape[-1]
    need = 6 if p["id_index"] >= 0 else 5
    if width < need:
        raise MXNetError(f"Error in operator {_NMS}: the last dimension of data must have at "
                         f"least {need} elements (score, 4 coordinates{', id' if need == 6 else ''}"
                         f"), got data shape {fmt_shape(shape)}")
    cs, si, ii = p["coord_start"], p["score_index"], p["id_index"]
    if not (0 <= cs and cs + 3 < width):
        raise MXNetError(f"Error in operator {_NMS}: coordinates ({cs}, {cs + 3}) from "
                         f"coord_start={cs} out of range (0, {width})")
    if not 0 <= si < width or cs <= si <= cs + 3:
        raise MXNetError(f"Error in operator {_NMS}: score_index={si} out of range (0, {width}) "
                         f"or conflicting with the coordinates ({cs}, {cs + 3})")
    if ii >= 0 and (ii >= width or cs <= ii <= cs + 3 or ii == si):
        raise MXNetError(f"Error in operator {_NMS}: id_index={ii} out of range (0, {width}) or "
                         f"conflicting with the coordinates ({cs}, {cs + 3}) or score_index={si}")


def _nms_shape(p, in_shapes):
    data = in_shapes[0]
    if data is None:
        return [None], [None, None]
    _nms_check(p, data)
    return [tuple(data)], [tuple(data), tuple(data[:-1]) + (1,)]


def _nms_types(p, in_types):
    return [in_types[0]], [in_types[0], np.dtype(np.int64)]


def _extent(box, center):
    """(left, top, right, bottom) columns of boxes (..., 4)."""
    if center:
        half_w, half_h = box[..., 2] / 2, box[..., 3] / 2
        return box[..., 0] - half_w, box[..., 1] - half_h, box[..., 0] + half_w, \
            box[..., 1] + half_h
    return box[..., 0], box[..., 1], box[..., 2], box[..., 3]


def _area(box, center):
    """BoxArea: width * height, 0 when either is negative."""
    w, h = (box[..., 2], box[..., 3]) if center else (box[..., 2] - box[..., 0],
                                                      box[..., 3] - box[..., 1])
    return np.where((w < 0) | (h < 0), 0, w * h)


def _iou_one(ref, others, center):
    """IoU of one box with many (bounding_box-common.h: clipped intersections, BoxArea)."""
    l1, t1, r1, b1 = _extent(ref, center)
    l2, t2, r2, b2 = _extent(others, center)
    iw = np.maximum(np.minimum(r1, r2) - np.maximum(l1, l2), 0)
    ih = np.maximum(np.minimum(b1, b2) - np.maximum(t1, t2), 0)
    inter = iw * ih
    with np.errstate(divide="ignore", invalid="ignore"):
        return inter / (_area(ref, center) + _area(others, center) - inter)


def box_nms(p, data):
    """NumPy box_nms on (B, n, w) data: (output, source row index (B, n, 1), -1 for none)."""
    b_, n, w = data.shape
    out = np.full(data.shape, -1, data.dtype)
    record = np.full((b_, n, 1), -1, np.int64)
    topk = n if p["topk"] < 0 else min(n, p["topk"])
    if topk < 1:
        return data.copy(), np.arange(b_ * n).reshape(b_, n, 1)
    t = data.dtype.type
    cs, si, ii = p["coord_start"], p["score_index"], p["id_index"]
    center = p["in_format"] == "center"
    for b in range(b_):
        rows = data[b]
        valid = rows[:, si] > t(p["valid_thresh"])
        if ii >= 0:
            valid &= rows[:, ii] != t(p["background_id"])
        cand = np.flatnonzero(valid)
        cand = cand[np.argsort(-rows[cand, si], kind="stable")][:topk]
        alive = np.ones(len(cand), bool)
        boxes = rows[cand, cs:cs + 4]
        for r in range(len(cand)):
            if not alive[r]:
                continue
            later = np.arange(r + 1, len(cand))
            later = later[alive[later]]
            if ii >= 0 and not p["force_suppress"]:
                later = later[rows[cand[later], ii].astype(np.int64)
                              == np.int64(rows[cand[r], ii])]
            if len(later):
                iou = _iou_one(boxes[r], boxes[later], center)
                alive[later[iou > np.float32(p["overlap_thresh"])]] = False
        kept = cand[alive]
        out[b, :len(kept)] = rows[kept]
        record[b, :len(kept), 0] = b * n + kept
    if p["in_format"] != p["out_format"]:
        box = out[..., cs:cs + 4]
        convert = box[..., 0] >= 0  # the kernels skip rows whose first coordinate is negative
        if p["out_format"] == "center":
            new = np.stack([(box[..., 0] + box[..., 2]) / 2, (box[..., 1] + box[..., 3]) / 2,
                            box[..., 2] - box[..., 0], box[..., 3] - box[..., 1]], axis=-1)
        else:
            new = np.stack([box[..., 0] - box[..., 2] / 2, box[..., 1] - box[..., 3] / 2,
                            box[..., 0] + box[..., 2] / 2, box[..., 1] + box[..., 3] / 2],
                           axis=-1)
        box[convert] = new[convert]
    return out, record


def _nms_forward(sc, p, ins):
    xp = sc.xp
    data = ins[0]
    _nms_check(p, data.shape)
    host = to_host(xp, data)
    flat = host.reshape(-1, data.shape[-2], data.shape[-1]).astype(acc_dtype(data.dtype))
    out, record = box_nms(p, flat)
    return [_back(xp, out.astype(data.dtype).reshape(data.shape)),
            _back(xp, record.reshape(data.shape[:-1] + (1,)))]


def _nms_backward(sc, p, ograds, ins, outs):
    xp = sc.xp
    g = ograds[0]
    width = g.shape[-1]
    record = outs[1].reshape(-1)
    kept = record >= 0
    grad = xp.zeros((record.size, width), g.dtype)
    grad[record[kept]] = g.reshape(-1, width)[kept]
    return [grad.reshape(g.shape)]


register(OpDef(
    name=_NMS, aliases=("_contrib_box_non_maximum_suppression",), params=_NMS_PARAMS,
    forward=_nms_forward, backward=_nms_backward, infer_shape=_nms_shape, infer_type=_nms_types,
    num_hidden_outputs=1, output_names=lambda p: ["output0"],  # MXNet names it so
    backward_reads=BackwardReads(outputs=(1,)),
    doc="Non-maximum suppression of scored boxes (..., num_box, width): kept boxes sorted by "
        "score first, suppressed and invalid rows set to -1."))


# ----- MultiBoxPrior ------------------------------------------------------------------------------
_MBP = "_contrib_MultiBoxPrior"


def _mbp_check(p):
    if not p["sizes"] or not p["ratios"]:
        raise MXNetError(f"Error in operator {_MBP}: sizes and ratios must not be empty "
                         f"(sizes={p['sizes']}, ratios={p['ratios']})")
    if len(p["steps"]) != 2:
        raise MXNetError(f"Error in operator {_MBP}: Step ndim must be 2: (step_y, step_x), got "
                         f"steps={p['steps']}")
    if len(p["offsets"]) != 2 or not all(0 <= v <= 1 for v in p["offsets"]):
        raise MXNetError(f"Error in operator {_MBP}: offsets={p['offsets']} must be two values "
                         f"(y, x) in [0, 1]")
    if p["steps"][0] * p["steps"][1] < 0:
        raise MXNetError(f"Error in operator {_MBP}: Must specify both step_y and step_x, got "
                         f"steps={p['steps']}")


def _mbp_shape(p, in_shapes):
    _mbp_check(p)
    data = in_shapes[0]
    if data is None:
        return [None], [None]
    if len(data) < 4 or data[2] < 1 or data[3] < 1:
        raise MXNetError(f"Error in operator {_MBP}: Input data should be 4D: "
                         f"batch-channel-y-x, got data shape {fmt_shape(data)}")
    a = len(p["sizes"]) + len(p["ratios"]) - 1
    return [tuple(data)], [(1, data[2] * data[3] * a, 4)]


def multibox_prior(p, height, width):
    """The anchors (H*W*A, 4) in float32, with MXNet's float arithmetic and order."""
    f = np.float32
    step_y, step_x = (f(v) for v in p["steps"])
    if step_y <= 0 or step_x <= 0:
        step_y, step_x = f(1) / f(height), f(1) / f(width)
    cy = (np.arange(height, dtype=f) + f(p["offsets"][0])) * step_y
    cx = (np.arange(width, dtype=f) + f(p["offsets"][1])) * step_x
    sizes = [f(s) for s in p["sizes"]]
    ratios = [f(r) for r in p["ratios"]]
    half = []
    first = np.sqrt(ratios[0])
    for size in sizes:
        half.append((size * f(height) / f(width) * first / f(2), size / first / f(2)))
    for ratio in ratios[1:]:
        root = np.sqrt(ratio)
        half.append((sizes[0] * f(height) / f(width) * root / f(2), sizes[0] / root / f(2)))
    hw = np.array([h[0] for h in half], f)
    hh = np.array([h[1] for h in half], f)
    y = cy[:, None, None]
    x = cx[None, :, None]
    shape = (height, width, len(half))
    out = np.stack([np.broadcast_to(x - hw, shape), np.broadcast_to(y - hh, shape),
                    np.broadcast_to(x + hw, shape), np.broadcast_to(y + hh, shape)], axis=-1)
    out = out.reshape(-1, 4)
    return np.clip(out, 0, 1) if p["clip"] else out


def _mbp_forward(sc, p, ins):
    _mbp_check(p)
    data = ins[0]
    anchors = multibox_prior(p, data.shape[2], data.shape[3])
    return [sc.xp.asarray(anchors[None].astype(data.dtype))]


register(OpDef(
    name=_MBP, aliases=("_npx_multibox_prior",),
    params=ParamSpec(
        FloatTuple("sizes", (1.0,), "List of sizes of generated MultiBoxPriores."),
        FloatTuple("ratios", (1.0,), "List of aspect ratios of generated MultiBoxPriores."),
        Bool("clip", False, "Whether to clip out-of-boundary boxes."),
        FloatTuple("steps", (-1.0, -1.0), "Priorbox step across y and x, -1 for auto "
                                          "calculation."),
        FloatTuple("offsets", (0.5, 0.5), "Priorbox center offsets, y and x respectively")),
    forward=_mbp_forward, backward=zeros_for_inputs, infer_shape=_mbp_shape,
    backward_reads=READS_SHAPES, needs_head_grad=False,
    doc="Generates SSD prior (anchor) boxes (1, H*W*A, 4) for each cell of a feature map."))


# ----- MultiBoxTarget -----------------------------------------------------------------------------
_MBT = "_contrib_MultiBoxTarget"


def _mbt_shape(p, in_shapes):
    anchor, label, cls_pred = in_shapes
    if anchor is None or label is None:
        return list(in_shapes), [None] * 3
    if len(anchor) != 3 or anchor[0] != 1 or anchor[2] != 4 or anchor[1] < 1:
        raise MXNetError(f"Error in operator {_MBT}: anchor should be (1, num_anchors, 4), "
                         f"shared across the batch, got anchor shape {fmt_shape(anchor)}")
    if len(label) != 3 or label[1] < 1 or label[2] < 5:
        raise MXNetError(f"Error in operator {_MBT}: label should be [batch, num_labels, "
                         f"label_width >= 5], got label shape {fmt_shape(label)}")
    if cls_pred is not None and (len(cls_pred) != 3 or cls_pred[2] != anchor[1]):
        raise MXNetError(f"Error in operator {_MBT}: cls_pred should be [batch, num_classes, "
                         f"{anchor[1]}], got cls_pred shape {fmt_shape(cls_pred)}")
    n, a = label[0], anchor[1]
    return list(in_shapes), [(n, a * 4), (n, a * 4), (n, a)]


def _overlaps(anchors, gts):
    """IoU (A, G) of corner anchors and ground truths, as multibox_target-inl.h (safe divide)."""
    al, at, ar, ab = (anchors[:, None, i] for i in range(4))
    gl, gt, gr, gb = (gts[None, :, i] for i in range(4))
    inter = np.maximum(0, np.minimum(ar, gr) - np.maximum(al, gl)) \
        * np.maximum(0, np.minimum(ab, gb) - np.maximum(at, gt))
    union = (ar - al) * (ab - at) + (gr - gl) * (gb - gt) - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(union == 0, 0, inter / union)


def _encode(anchor, gt, variances):
    """AssignLocTargets, in float32."""
    f = np.float32
    aw, ah = anchor[2] - anchor[0], anchor[3] - anchor[1]
    ax, ay = (anchor[0] + anchor[2]) * f(0.5), (anchor[1] + anchor[3]) * f(0.5)
    gw, gh = gt[2] - gt[0], gt[3] - gt[1]
    gx, gy = (gt[0] + gt[2]) * f(0.5), (gt[1] + gt[3]) * f(0.5)
    vx, vy, vw, vh = (f(v) for v in variances)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.array([(gx - ax) / aw / vx, (gy - ay) / ah / vy, np.log(gw / aw) / vw,
                         np.log(gh / ah) / vh], f)


def _match(p, overlaps):
    """Anchor flags (1 positive, -1 don't care) and each anchor's (best IoU, best gt)."""
    a, g = overlaps.shape
    flags = np.full(a, -1, np.int8)
    best = np.full(a, -1.0, np.float32)
    best_gt = np.full(a, -1, np.int64)
    gt_done = np.zeros(g, bool)
    positives = 0
    ov = overlaps.astype(np.float32)
    while not gt_done.all():
        masked = np.where((flags == 1)[:, None] | gt_done[None, :], -np.inf, ov)
        j, k = np.unravel_index(np.argmax(masked), masked.shape)
        if not masked[j, k] > np.float32(1e-6):
            break
        best[j], best_gt[j] = masked[j, k], k
        gt_done[k] = True
        flags[j] = 1
        positives += 1
    if p["overlap_threshold"] > 0:
        rest = np.flatnonzero(flags != 1)
        k = ov[rest].argmax(axis=1)                    # first best object, as the strict > loop
        best[rest], best_gt[rest] = ov[rest, k], k
        hit = ov[rest, k] > np.float32(p["overlap_threshold"])
        flags[rest[hit]] = 1
        gt_done[k[hit]] = True
        positives += int(hit.sum())
    return flags, best, best_gt, positives


def _hard_negatives(p, flags, best, best_gt, ov, cls_pred, positives):
    a = len(flags)
    count = min(int(positives * np.float32(p["negative_mining_ratio"])), a - positives)
    if count <= 0:
        return
    unset = np.flatnonzero((flags != 1) & (best < 0))
    if len(unset):
        k = ov[unset].argmax(axis=1)
        best[unset], best_gt[unset] = ov[unset, k], k
    cand = np.flatnonzero((flags == -1) & (best < np.float32(p["negative_mining_thresh"])))
    if len(cand) < count:
        raise MXNetError(f"Error in operator {_MBT}: only {len(cand)} anchors qualify as "
                         f"negatives, {count} needed (negative_mining_thresh="
                         f"{p['negative_mining_thresh']})")
    scores = cls_pred[:, cand]
    e = np.exp(scores - scores.max(axis=0))
    background = e[0] / e.sum(axis=0)
    # SortElemDescend on -prob: the lowest background probabilities (hardest negatives) first;
    # the sort is stable, so ties keep anchor order
    flags[cand[np.argsort(background, kind="stable")[:count]]] = 0


def multibox_target(p, anchors, labels, cls_preds):
    """NumPy MultiBoxTarget: (loc_target, loc_mask, cls_target)."""
    n, a = labels.shape[0], anchors.shape[0]
    dt = labels.dtype
    loc_target = np.zeros((n, a, 4), dt)
    loc_mask = np.zeros((n, a, 4), dt)
    cls_target = np.full((n, a), dt.type(p["ignore_label"]), dt)
    for b in range(n):
        lab = labels[b]
        valid = 0
        while valid < len(lab) and lab[valid, 0] != -1:
            valid += 1
        if valid == 0:
            continue
        ov = _overlaps(anchors, lab[:valid, 1:5])
        flags, best, best_gt, positives = _match(p, ov)
        if p["negative_mining_ratio"] > 0:
            if not p["negative_mining_thresh"] > 0:
                raise MXNetError(f"Error in operator {_MBT}: negative_mining_thresh must be > 0 "
                                 f"with negative mining, got {p['negative_mining_thresh']}")
            _hard_negatives(p, flags, best, best_gt, ov, cls_preds[b], positives)
        else:
            flags[flags != 1] = 0
        for j in np.flatnonzero(flags == 1):
            gt = lab[best_gt[j]]
            cls_target[b, j] = gt[0] + 1
            loc_mask[b, j] = 1
            loc_target[b, j] = _encode(anchors[j].astype(np.float32),
                                       gt[1:5].astype(np.float32), p["variances"])
        cls_target[b, flags == 0] = 0
    return loc_target.reshape(n, -1), loc_mask.reshape(n, -1), cls_target


def _mbt_forward(sc, p, ins):
    xp = sc.xp
    anchor, label, cls_pred = ins
    if len(p["variances"]) != 4:
        raise MXNetError(f"Error in operator {_MBT}: variances={p['variances']} must have 4 "
                         f"values")
    ct = acc_dtype(label.dtype)
    outs = multibox_target(p, to_host(xp, anchor)[0].astype(ct), to_host(xp, label).astype(ct),
                           to_host(xp, cls_pred).astype(ct))
    return [_back(xp, o.astype(label.dtype)) for o in outs]


register(OpDef(
    name=_MBT, aliases=("_npx_multibox_target",), inputs=("anchor", "label", "cls_pred"),
    params=ParamSpec(
        Float("overlap_threshold", 0.5, "Anchor-GT overlap threshold to be regarded as a "
                                        "positive match."),
        Float("ignore_label", -1.0, "Label for ignored anchors."),
        Float("negative_mining_ratio", -1.0, "Max negative to positive samples ratio, use -1 "
                                             "to disable mining"),
        Float("negative_mining_thresh", 0.5, "Threshold used for negative mining."),
        Int("minimum_negative_samples", 0, "Minimum number of negative samples."),
        FloatTuple("variances", (0.1, 0.1, 0.2, 0.2), "Variances to be encoded in box "
                                                      "regression target.")),
    forward=_mbt_forward, backward=zeros_for_inputs, infer_shape=_mbt_shape,
    infer_type=uniform_type(_MBT, ("anchor", "label", "cls_pred"), 3),
    num_outputs=3, output_names=lambda p: ["loc_target", "loc_mask", "cls_target"],
    backward_reads=READS_SHAPES, needs_head_grad=False,
    doc="SSD training targets: matches anchors to ground-truth labels and encodes box offsets; "
        "outputs loc_target, loc_mask and cls_target."))


# ----- MultiBoxDetection --------------------------------------------------------------------------
_MBD = "_contrib_MultiBoxDetection"


def _mbd_shape(p, in_shapes):
    cls_prob, loc_pred, anchor = in_shapes
    if cls_prob is None or loc_pred is None or anchor is None:
        return list(in_shapes), [None]
    if len(cls_prob) != 3:
        raise MXNetError(f"Error in operator {_MBD}: cls_prob should be [batch, num_classes, "
                         f"num_anchors], got cls_prob shape {fmt_shape(cls_prob)}")
    if len(anchor) != 3 or anchor[2] != 4 or anchor[1] != cls_prob[2] or anchor[1] < 1:
        raise MXNetError(f"Error in operator {_MBD}: anchor should be (1, {cls_prob[2]}, 4), got "
                         f"anchor shape {fmt_shape(anchor)}")
    if len(loc_pred) != 2 or loc_pred[1] != cls_prob[2] * 4:
        raise MXNetError(f"Error in operator {_MBD}: loc_pred should be (batch, "
                         f"{cls_prob[2] * 4}), got loc_pred shape {fmt_shape(loc_pred)}")
    return list(in_shapes), [(cls_prob[0], cls_prob[2], 6)]


def _decode(anchors, loc, clip, variances):
    """TransformLocations for every anchor: corner boxes (A, 4)."""
    t = anchors.dtype.type
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = (anchors[:, 0] + anchors[:, 2]) / t(2), (anchors[:, 1] + anchors[:, 3]) / t(2)
    vx, vy, vw, vh = (t(np.float32(v)) for v in variances)
    ox, oy = loc[:, 0] * vx * aw + ax, loc[:, 1] * vy * ah + ay
    with np.errstate(over="ignore"):
        ow, oh = np.exp(loc[:, 2] * vw) * aw / t(2), np.exp(loc[:, 3] * vh) * ah / t(2)
    box = np.stack([ox - ow, oy - oh, ox + ow, oy + oh], axis=1)
    return np.clip(box, 0, 1) if clip else box


def _overlap(a, b):
    """CalculateOverlap of one corner box with many (0 for a non-positive union)."""
    w = np.maximum(0, np.minimum(a[2], b[:, 2]) - np.maximum(a[0], b[:, 0]))
    h = np.maximum(0, np.minimum(a[3], b[:, 3]) - np.maximum(a[1], b[:, 1]))
    i = w * h
    u = (a[2] - a[0]) * (a[3] - a[1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - i
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(u <= 0, 0, i / u)


def multibox_detection(p, cls_prob, loc_pred, anchors):
    n, _, a = cls_prob.shape
    t = cls_prob.dtype.type
    out = np.full((n, a, 6), -1, cls_prob.dtype)
    for b in range(n):
        probs = cls_prob[b, 1:]                         # background (class 0) excluded
        cls = probs.argmax(axis=0)                      # first maximum, as the strict > loop
        score = probs[cls, np.arange(a)]
        ident = np.where(score < t(np.float32(p["threshold"])), -1, cls).astype(cls_prob.dtype)
        rows = np.concatenate([ident[:, None], score[:, None],
                               _decode(anchors, loc_pred[b].reshape(a, 4), p["clip"],
                                       p["variances"])], axis=1)
        rows = rows[ident >= 0]
        out[b, :len(rows)] = rows
        thresh = np.float32(p["nms_threshold"])
        if not len(rows) or thresh <= 0 or thresh > 1:
            continue
        order = np.argsort(-rows[:, 1], kind="stable")
        keep = len(order)
        if 0 < p["nms_topk"] < keep:
            keep = p["nms_topk"]
            out[b, keep:len(rows), 0] = -1
        top = rows[order[:keep]].copy()
        for i in range(keep):
            if top[i, 0] < 0:
                continue
            later = np.arange(i + 1, keep)
            later = later[top[later, 0] >= 0]
            if not p["force_suppress"]:
                later = later[top[later, 0] == top[i, 0]]
            if len(later):
                top[later[_overlap(top[i, 2:], top[later, 2:]) >= t(thresh)], 0] = -1
        out[b, :keep] = top
    return out


def _mbd_forward(sc, p, ins):
    xp = sc.xp
    cls_prob, loc_pred, anchor = ins
    if len(p["variances"]) != 4:
        raise MXNetError(f"Error in operator {_MBD}: variances={p['variances']} must have 4 "
                         f"values")
    ct = acc_dtype(cls_prob.dtype)
    out = multibox_detection(p, to_host(xp, cls_prob).astype(ct), to_host(xp, loc_pred).astype(ct),
                             to_host(xp, anchor)[0].astype(ct))
    return [_back(xp, out.astype(cls_prob.dtype))]


register(OpDef(
    name=_MBD, aliases=("_npx_multibox_detection",), inputs=("cls_prob", "loc_pred", "anchor"),
    params=ParamSpec(
        Bool("clip", True, "Clip out-of-boundary boxes."),
        Float("threshold", 0.01, "Threshold to be a positive prediction."),
        Int("background_id", 0, "Background id."),
        Float("nms_threshold", 0.5, "Non-maximum suppression threshold."),
        Bool("force_suppress", False, "Suppress all detections regardless of class_id."),
        FloatTuple("variances", (0.1, 0.1, 0.2, 0.2), "Variances to be decoded from box "
                                                      "regression output."),
        Int("nms_topk", -1, "Keep maximum top k detections before nms, -1 for no limit.")),
    forward=_mbd_forward, backward=zeros_for_inputs, infer_shape=_mbd_shape,
    infer_type=uniform_type(_MBD, ("cls_prob", "loc_pred", "anchor"), 1),
    backward_reads=READS_SHAPES, needs_head_grad=False,
    doc="SSD detections: decodes loc_pred against the anchors, keeps each anchor's best class "
        "above threshold and applies per-class non-maximum suppression; rows [class, score, "
        "xmin, ymin, xmax, ymax]."))
