"""NumPy float64 references for the detection family: _contrib_box_nms, _contrib_MultiBoxPrior,
_contrib_MultiBoxTarget and _contrib_MultiBoxDetection.

Written from the SSD method as MXNet 1.9.x documents and describes these ops (bounding_box.cc,
multibox_*.cc): plain loops over boxes and anchors.
"""
import math

import numpy as np


def _corners(box, center):
    if center:
        x, y, w, h = box
        return x - w / 2, y - h / 2, x + w / 2, y + h / 2
    return tuple(box)


def _iou(a, b, center=False):
    al, at, ar, ab = _corners(a, center)
    bl, bt, br, bb = _corners(b, center)
    inter = max(min(ar, br) - max(al, bl), 0) * max(min(ab, bb) - max(at, bt), 0)

    def area(left, top, right, bottom):
        return 0.0 if right - left < 0 or bottom - top < 0 else (right - left) * (bottom - top)
    union = area(al, at, ar, ab) + area(bl, bt, br, bb) - inter
    return inter / union if union else float("nan")


def box_nms(data, overlap_thresh=0.5, valid_thresh=0.0, topk=-1, coord_start=2, score_index=1,
            id_index=-1, background_id=-1, force_suppress=False, in_format="corner",
            out_format="corner"):
    shape = data.shape
    flat = data.reshape(-1, shape[-2], shape[-1])
    n = shape[-2]
    if topk == 0:
        return data.copy()
    out = -np.ones_like(flat)
    cs = coord_start
    for b, rows in enumerate(flat):
        cand = [i for i in range(n) if rows[i, score_index] > valid_thresh
                and (id_index < 0 or rows[i, id_index] != background_id)]
        cand.sort(key=lambda i: -rows[i, score_index])
        if topk > 0:
            cand = cand[:topk]
        kept = []
        for i in cand:
            ok = True
            for k in kept:
                same = force_suppress or id_index < 0 or int(rows[k, id_index]) == int(
                    rows[i, id_index])
                if same and _iou(rows[k, cs:cs + 4], rows[i, cs:cs + 4],
                                 in_format == "center") > overlap_thresh:
                    ok = False
                    break
            if ok:
                kept.append(i)
        for j, i in enumerate(kept):
            out[b, j] = rows[i]
    if in_format != out_format:
        for row in out.reshape(-1, shape[-1]):
            box = row[cs:cs + 4]
            if box[0] < 0:      # rows starting with a negative coordinate stay as they are
                continue
            if out_format == "center":
                row[cs:cs + 4] = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2,
                                  box[2] - box[0], box[3] - box[1]]
            else:
                row[cs:cs + 4] = [box[0] - box[2] / 2, box[1] - box[3] / 2,
                                  box[0] + box[2] / 2, box[1] + box[3] / 2]
    return out.reshape(shape)


def multibox_prior(data, sizes=(1.0,), ratios=(1.0,), clip=False, steps=(-1.0, -1.0),
                   offsets=(0.5, 0.5)):
    h, w = data.shape[2:4]
    step_y, step_x = steps if steps[0] > 0 and steps[1] > 0 else (1 / h, 1 / w)
    boxes = []
    for r in range(h):
        cy = (r + offsets[0]) * step_y
        for c in range(w):
            cx = (c + offsets[1]) * step_x
            shapes = [(s, ratios[0]) for s in sizes] + [(sizes[0], q) for q in ratios[1:]]
            for size, ratio in shapes:
                half_w = size * h / w * math.sqrt(ratio) / 2
                half_h = size / math.sqrt(ratio) / 2
                boxes.append([cx - half_w, cy - half_h, cx + half_w, cy + half_h])
    out = np.array(boxes)[None]
    return np.clip(out, 0, 1) if clip else out


def multibox_target(anchor, label, cls_pred, overlap_threshold=0.5, ignore_label=-1.0,
                    negative_mining_ratio=-1.0, negative_mining_thresh=0.5,
                    minimum_negative_samples=0, variances=(0.1, 0.1, 0.2, 0.2)):
    anchors = anchor[0]
    n, a = label.shape[0], len(anchors)
    loc_t, loc_m = np.zeros((n, a, 4)), np.zeros((n, a, 4))
    cls_t = np.full((n, a), float(ignore_label))
    for b in range(n):
        gts = []
        for row in label[b]:
            if row[0] == -1:
                break
            gts.append(row)
        if not gts:
            continue
        iou = np.array([[_iou(an, g[1:5]) for g in gts] for an in anchors])
        # MXNet compares overlaps as float32 values, which decides near-ties between anchors
        iou = np.nan_to_num(iou).astype(np.float32).astype(np.float64)
        match = [-1] * a
        state = [None] * a          # 'pos', 'neg' or None (ignored)
        used = [False] * len(gts)
        # every object first takes its best free anchor, the best pairs first
        while not all(used):
            best, pair = 1e-6, None
            for j in range(a):
                for k in range(len(gts)):
                    if state[j] != "pos" and not used[k] and iou[j, k] > best:
                        best, pair = iou[j, k], (j, k)
            if pair is None:
                break
            match[pair[0]], state[pair[0]], used[pair[1]] = pair[1], "pos", True
        if overlap_threshold > 0:
            for j in range(a):
                if state[j] != "pos" and iou[j].max() > overlap_threshold:
                    match[j], state[j] = int(iou[j].argmax()), "pos"
        positives = state.count("pos")
        if negative_mining_ratio > 0:
            count = min(int(positives * negative_mining_ratio), a - positives)
            cands = []
            for j in range(a):
                if state[j] != "pos" and iou[j].max() < negative_mining_thresh:
                    z = cls_pred[b, :, j]
                    prob = np.exp(z[0] - z.max()) / np.exp(z - z.max()).sum()
                    cands.append((prob, j))
            cands.sort(key=lambda t: t[0])       # lowest background probability first
            for _, j in cands[:max(count, 0)]:
                state[j] = "neg"
        else:
            state = [s or "neg" for s in state]
        for j in range(a):
            if state[j] == "pos":
                g = gts[match[j]]
                cls_t[b, j] = g[0] + 1
                loc_m[b, j] = 1
                an = anchors[j]
                aw, ah = an[2] - an[0], an[3] - an[1]
                gw, gh = g[3] - g[1], g[4] - g[2]
                loc_t[b, j] = [((g[1] + g[3]) / 2 - (an[0] + an[2]) / 2) / aw / variances[0],
                               ((g[2] + g[4]) / 2 - (an[1] + an[3]) / 2) / ah / variances[1],
                               math.log(gw / aw) / variances[2], math.log(gh / ah) / variances[3]]
            elif state[j] == "neg":
                cls_t[b, j] = 0
    return [loc_t.reshape(n, -1), loc_m.reshape(n, -1), cls_t]


def multibox_detection(cls_prob, loc_pred, anchor, clip=True, threshold=0.01, background_id=0,
                       nms_threshold=0.5, force_suppress=False,
                       variances=(0.1, 0.1, 0.2, 0.2), nms_topk=-1):
    n, c, a = cls_prob.shape
    anchors = anchor[0]
    out = -np.ones((n, a, 6))
    for b in range(n):
        rows = []
        for j in range(a):
            k = 1 + int(np.argmax(cls_prob[b, 1:, j]))
            score = cls_prob[b, k, j]
            if score < threshold:
                continue
            an = anchors[j]
            aw, ah = an[2] - an[0], an[3] - an[1]
            ax, ay = (an[0] + an[2]) / 2, (an[1] + an[3]) / 2
            px, py, pw, ph = loc_pred[b, 4 * j:4 * j + 4]
            ox, oy = px * variances[0] * aw + ax, py * variances[1] * ah + ay
            ow, oh = math.exp(pw * variances[2]) * aw / 2, math.exp(ph * variances[3]) * ah / 2
            box = [ox - ow, oy - oh, ox + ow, oy + oh]
            if clip:
                box = [min(max(v, 0.0), 1.0) for v in box]
            rows.append([k - 1, score] + box)
        for j, row in enumerate(rows):
            out[b, j] = row
        if not rows or not 0 < nms_threshold <= 1:
            continue
        order = sorted(range(len(rows)), key=lambda i: -rows[i][1])
        if 0 < nms_topk < len(order):
            out[b, nms_topk:len(rows), 0] = -1
            order = order[:nms_topk]
        top = [list(rows[i]) for i in order]
        for i in range(len(top)):
            if top[i][0] < 0:
                continue
            for j in range(i + 1, len(top)):
                if top[j][0] >= 0 and (force_suppress or top[i][0] == top[j][0]) \
                        and _iou(top[i][2:], top[j][2:]) >= nms_threshold:
                    top[j][0] = -1
        out[b, :len(top)] = top
    return out
