"""Record what the real MXNet 1.9.1 computes for the spatial, detection, sequence-loss and
normalisation ops (tests/golden/ops_more/<case>.json + .npz), read by tests/test_ops_more_golden.py.

Each case also records the symbol's JSON text and its list_arguments/list_outputs.

Run with the MXNet 1.9.1 environment described in README.md:

    ../mxnet-venv/bin/python tests/golden/make_ops_more.py

Each case binds one op on named variables, runs ``forward(is_train=True)`` and, when the case lists
inputs to differentiate, ``backward`` with head gradients drawn uniformly from [0.5, 1.5).
NumPy is seeded from ``crc32(case_id)``. Stored arrays: ``in:<name>``, ``out:<i>``, ``head:<i>``,
``grad:<name>``.
"""
import json
import os
import sys
import zlib

import numpy as np

os.environ.setdefault("OMP_NUM_THREADS", "1")
import mxnet as mx  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops_more")
CASES = []


def case(case_id, op, inputs, params=None, grad=(), rtol=1e-4, atol=1e-5, heads=True):
    """Declare a case: ``inputs`` maps names to functions ``rng -> array`` (called in order)."""
    CASES.append(dict(id=case_id, op=op, inputs=inputs, params=params or {}, grad=list(grad),
                      rtol=rtol, atol=atol, heads=heads))


def normal(*shape, dtype="float32"):
    return lambda rng: rng.standard_normal(shape).astype(dtype)


def uniform(low, high, *shape, dtype="float32"):
    return lambda rng: rng.uniform(low, high, shape).astype(dtype)


def const(value, dtype="float32"):
    return lambda rng: np.asarray(value, dtype=dtype)


def run(c):
    rng = np.random.default_rng(zlib.crc32(c["id"].encode()))
    arrays = {n: make(rng) for n, make in c["inputs"].items()}
    name = c["op"]
    if name.startswith("_contrib_"):
        op = getattr(mx.sym.contrib, name[len("_contrib_"):])
    else:
        op = getattr(mx.sym, name, None) or getattr(mx.sym._internal, name)
    sym = op(name="op", **{n: mx.sym.var(n) for n in arrays}, **c["params"])
    args = {n: mx.nd.array(a, dtype=a.dtype) for n, a in arrays.items()}
    grads = {n: mx.nd.zeros(arrays[n].shape, dtype=arrays[n].dtype) for n in c["grad"]}
    req = {n: ("write" if n in grads else "null") for n in arrays}
    ex = sym.bind(mx.cpu(), args=args, args_grad=grads or None, grad_req=req)
    outs = [o.asnumpy() for o in ex.forward(is_train=True)]
    store = {f"in:{n}": a for n, a in arrays.items()}
    store.update({f"out:{i}": o for i, o in enumerate(outs)})
    if grads:
        heads = [rng.uniform(0.5, 1.5, o.shape).astype(o.dtype) for o in outs]
        ex.backward([mx.nd.array(h, dtype=h.dtype) for h in heads])
        store.update({f"head:{i}": h for i, h in enumerate(heads)})
        store.update({f"grad:{n}": g.asnumpy() for n, g in grads.items()})
    meta = dict(op=c["op"], params={k: str(v) for k, v in c["params"].items()},
                inputs=list(arrays), grad=c["grad"], rtol=c["rtol"], atol=c["atol"],
                n_outputs=len(outs), symbol=sym.tojson(), outputs=sym.list_outputs(),
                arguments=sym.list_arguments())
    with open(os.path.join(HERE, c["id"] + ".json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    np.savez(os.path.join(HERE, c["id"] + ".npz"), **store)


# ----- GroupNorm (gamma/beta per group in 1.9.1) --------------------------------------------------
case("groupnorm_4d", "GroupNorm",
     {"data": normal(2, 6, 3, 2), "gamma": uniform(0.5, 1.5, 3), "beta": normal(3)},
     {"num_groups": 3}, grad=("data", "gamma", "beta"))
case("groupnorm_mean_var", "GroupNorm",
     {"data": normal(2, 4, 5), "gamma": uniform(0.5, 1.5, 2), "beta": normal(2)},
     {"num_groups": 2, "eps": 1e-3, "output_mean_var": True}, grad=("data", "gamma", "beta"))

# ----- UpSampling, bilinear (a per-channel Deconvolution with a learned weight) -------------------
case("upsampling_bilinear_scale2", "UpSampling",
     {"data": normal(2, 3, 4, 3), "weight": normal(3, 1, 4, 4)},
     {"scale": 2, "sample_type": "bilinear", "num_filter": 3}, grad=("data", "weight"))
case("upsampling_bilinear_scale3", "UpSampling",
     {"data": normal(1, 2, 3, 4), "weight": normal(2, 1, 5, 5)},
     {"scale": 3, "sample_type": "bilinear", "num_filter": 2}, grad=("data", "weight"))

# ----- spatial transformer family -----------------------------------------------------------------
case("bilinearsampler", "BilinearSampler",
     {"data": normal(2, 3, 5, 4), "grid": uniform(-1.3, 1.3, 2, 2, 3, 6)},
     grad=("data", "grid"))
case("gridgenerator_affine", "GridGenerator", {"data": normal(2, 6)},
     {"transform_type": "affine", "target_shape": (3, 5)}, grad=("data",))
case("gridgenerator_warp", "GridGenerator", {"data": normal(2, 2, 3, 4)},
     {"transform_type": "warp"}, grad=("data",))
case("spatialtransformer", "SpatialTransformer",
     {"data": normal(2, 3, 6, 5),
      "loc": lambda rng: (np.tile([0.9, 0.1, 0.05, -0.1, 1.1, 0.0], (2, 1))
                          + rng.uniform(-0.1, 0.1, (2, 6))).astype("float32")},
     {"target_shape": (4, 5), "transform_type": "affine", "sampler_type": "bilinear"},
     grad=("data", "loc"))

# ----- ROI pooling --------------------------------------------------------------------------------
_ROIS = const([[0, 0.4, 0.2, 9.6, 7.1], [1, 3.3, 2.5, 6.2, 11.8], [1, -4.0, 6.5, 20.0, 9.0],
               [0, 5.0, 5.0, 5.2, 5.3], [0, 2.6, 1.4, 13.3, 10.9]])
case("roipooling", "ROIPooling", {"data": normal(2, 3, 6, 7), "rois": _ROIS},
     {"pooled_size": (3, 2), "spatial_scale": 0.5}, grad=("data", "rois"))
case("roipooling_scale1", "ROIPooling", {"data": normal(2, 2, 12, 13), "rois": _ROIS},
     {"pooled_size": (2, 4), "spatial_scale": 1.0}, grad=("data",))
case("roialign", "_contrib_ROIAlign", {"data": normal(2, 3, 6, 7), "rois": _ROIS},
     {"pooled_size": (3, 2), "spatial_scale": 0.5}, grad=("data", "rois"))
case("roialign_ratio2_aligned", "_contrib_ROIAlign", {"data": normal(2, 2, 12, 13), "rois": _ROIS},
     {"pooled_size": (2, 3), "spatial_scale": 1.0, "sample_ratio": 2, "aligned": True},
     grad=("data",))
case("roialign_position_sensitive", "_contrib_ROIAlign",
     {"data": normal(2, 8, 6, 7), "rois": _ROIS},
     {"pooled_size": (2, 2), "spatial_scale": 0.5, "position_sensitive": True}, grad=("data",))

# ----- SSD detection ops --------------------------------------------------------------------------


def scored_boxes(batch, n, classes=3, center=False):
    """(batch, n, 6) rows [class, score, 4 coordinates], boxes clustered so that many overlap."""
    def make(rng):
        cx = rng.choice([0.3, 0.5, 0.7], (batch, n)) + rng.uniform(-0.08, 0.08, (batch, n))
        cy = rng.choice([0.3, 0.6], (batch, n)) + rng.uniform(-0.08, 0.08, (batch, n))
        w, h = rng.uniform(0.1, 0.4, (batch, n)), rng.uniform(0.1, 0.4, (batch, n))
        coords = [cx, cy, w, h] if center else [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2]
        cls = rng.integers(0, classes, (batch, n))
        score = rng.uniform(0, 1, (batch, n))
        return np.stack([cls, score] + coords, axis=-1).astype("float32")
    return make


case("box_nms_default", "_contrib_box_nms", {"data": scored_boxes(2, 16)}, grad=("data",))
case("box_nms_classes", "_contrib_box_nms", {"data": scored_boxes(2, 16)},
     {"overlap_thresh": 0.3, "valid_thresh": 0.2, "id_index": 0, "topk": 10},
     grad=("data",))
case("box_nms_force_background", "_contrib_box_nms", {"data": scored_boxes(1, 20)},
     {"overlap_thresh": 0.4, "id_index": 0, "background_id": 0, "force_suppress": True},
     grad=("data",))
case("box_nms_center_to_corner", "_contrib_box_nms", {"data": scored_boxes(3, 10, center=True)},
     {"in_format": "center", "out_format": "corner", "overlap_thresh": 0.45}, grad=("data",))
case("box_nms_corner_to_center_4d", "_contrib_box_nms",
     {"data": lambda rng: scored_boxes(4, 9)(rng).reshape(2, 2, 9, 6)},
     {"out_format": "center", "score_index": 1, "coord_start": 2}, grad=("data",))
case("box_nms_topk0", "_contrib_box_nms", {"data": scored_boxes(1, 5)}, {"topk": 0})
case("multiboxprior", "_contrib_MultiBoxPrior", {"data": normal(2, 3, 4, 5)},
     {"sizes": (0.5, 0.25), "ratios": (1, 2, 0.5)})
case("multiboxprior_clip_steps", "_contrib_MultiBoxPrior", {"data": normal(1, 2, 3, 3)},
     {"sizes": (0.7,), "ratios": (1, 3), "clip": True, "steps": (0.3, 0.25),
      "offsets": (0.2, 0.6)})


def anchors(h, w, sizes=(0.4, 0.2), ratios=(1, 2, 0.5)):
    def make(rng):
        return mx.nd.contrib.MultiBoxPrior(mx.nd.zeros((1, 1, h, w)), sizes=sizes,
                                           ratios=ratios).asnumpy()
    return make


def gt_labels(rng):
    """(2, 4, 5): two objects in image 0, three in image 1, -1 padding."""
    lab = -np.ones((2, 4, 5), "float32")
    lab[0, :2] = [[0, 0.1, 0.1, 0.45, 0.5], [2, 0.5, 0.4, 0.9, 0.95]]
    lab[1, :3] = [[1, 0.2, 0.2, 0.6, 0.55], [0, 0.05, 0.6, 0.3, 0.9], [1, 0.6, 0.1, 0.95, 0.5]]
    return lab


case("multiboxtarget", "_contrib_MultiBoxTarget",
     {"anchor": anchors(4, 4), "label": gt_labels, "cls_pred": normal(2, 4, 64)})
case("multiboxtarget_mining", "_contrib_MultiBoxTarget",
     {"anchor": anchors(4, 4), "label": gt_labels, "cls_pred": normal(2, 4, 64)},
     {"overlap_threshold": 0.4, "negative_mining_ratio": 3, "negative_mining_thresh": 0.4,
      "variances": (0.1, 0.1, 0.3, 0.3)})
case("multiboxtarget_no_threshold", "_contrib_MultiBoxTarget",
     {"anchor": anchors(3, 3), "label": gt_labels, "cls_pred": normal(2, 3, 36)},
     {"overlap_threshold": 0.0, "negative_mining_ratio": 2})


def softmax_probs(n, c, a):
    def make(rng):
        z = rng.standard_normal((n, c, a)) * 2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).astype("float32")
    return make


case("multiboxdetection", "_contrib_MultiBoxDetection",
     {"cls_prob": softmax_probs(2, 4, 64), "loc_pred": uniform(-1, 1, 2, 256),
      "anchor": anchors(4, 4)}, {"threshold": 0.2})
case("multiboxdetection_topk_force", "_contrib_MultiBoxDetection",
     {"cls_prob": softmax_probs(2, 3, 36), "loc_pred": uniform(-1, 1, 2, 144),
      "anchor": anchors(3, 3)},
     {"threshold": 0.1, "nms_threshold": 0.3, "force_suppress": True, "nms_topk": 12,
      "clip": False, "variances": (0.2, 0.2, 0.1, 0.1)})

# ----- CTCLoss ------------------------------------------------------------------------------------
case("ctc_loss_blank_first", "CTCLoss",
     {"data": normal(7, 3, 5), "label": const([[1, 2, 2, 0], [3, 0, 0, 0], [4, 1, 3, 2]])},
     grad=("data",))
case("ctc_loss_blank_last", "CTCLoss",
     {"data": normal(6, 2, 4), "label": const([[0, 1, 1, -1], [2, 2, -1, -1]])},
     {"blank_label": "last"}, grad=("data",))
case("ctc_loss_lengths", "CTCLoss",
     {"data": normal(8, 4, 6), "label": const([[1, 2, 3, 4], [5, 5, 1, 1], [2, 0, 0, 0],
                                               [3, 4, 1, 2]]),
      "data_lengths": const([8, 5, 3, 4]), "label_lengths": const([4, 2, 1, 3])},
     {"use_data_lengths": True, "use_label_lengths": True}, grad=("data",))
# a sequence too short for its label: loss 0 (its gradient is left unwritten by MXNet)
case("ctc_loss_infeasible", "CTCLoss",
     {"data": normal(4, 2, 4), "label": const([[1, 1, 1, 2], [2, 3, 0, 0]]),
      "data_lengths": const([4, 4])}, {"use_data_lengths": True})

# ----- index_copy ---------------------------------------------------------------------------------
case("index_copy", "_contrib_index_copy",
     {"old_tensor": normal(6, 3), "index_vector": const([4, 0, 2]), "new_tensor": normal(3, 3)},
     grad=("old_tensor", "index_vector", "new_tensor"))
case("index_copy_3d_int_index", "_contrib_index_copy",
     {"old_tensor": normal(5, 2, 2), "index_vector": const([1, 3], "int64"),
      "new_tensor": normal(2, 2, 2)}, grad=("old_tensor", "new_tensor"))

# ----- interleaved multi-head attention (float32 only in MXNet) -----------------------------------
case("interleaved_selfatt_qk", "_contrib_interleaved_matmul_selfatt_qk",
     {"queries_keys_values": normal(5, 2, 3 * 3 * 4)}, {"heads": 3},
     grad=("queries_keys_values",))
case("interleaved_selfatt_valatt", "_contrib_interleaved_matmul_selfatt_valatt",
     {"queries_keys_values": normal(5, 2, 3 * 3 * 4), "attention": uniform(0, 1, 6, 5, 5)},
     {"heads": 3}, grad=("queries_keys_values", "attention"))
case("interleaved_encdec_qk", "_contrib_interleaved_matmul_encdec_qk",
     {"queries": normal(4, 2, 2 * 3), "keys_values": normal(6, 2, 2 * 2 * 3)}, {"heads": 2},
     grad=("queries", "keys_values"))
case("interleaved_encdec_valatt", "_contrib_interleaved_matmul_encdec_valatt",
     {"keys_values": normal(6, 2, 2 * 2 * 3), "attention": uniform(0, 1, 4, 4, 6)},
     {"heads": 2}, grad=("keys_values", "attention"))

# ----- histogram ----------------------------------------------------------------------------------
case("histogram_uniform", "_histogram",
     {"data": lambda rng: np.concatenate([rng.uniform(-0.5, 1.5, 40), [0, 0.25, 1.0]]).astype(
         "float32").reshape(43, 1)}, {"bin_cnt": 4, "range": (0, 1)})
case("histogram_edges", "_histogram",
     {"data": uniform(-1, 4, 5, 6), "bins": const([0, 0.5, 1, 3])})
case("histogram_float64", "_histogram", {"data": normal(30, dtype="float64")},
     {"bin_cnt": 7, "range": (-1.5, 2.0)})

# ----- Correlation --------------------------------------------------------------------------------
case("correlation_default", "Correlation",
     {"data1": normal(2, 3, 5, 6), "data2": normal(2, 3, 5, 6)}, grad=("data1", "data2"))
case("correlation_kernel3_pad", "Correlation",
     {"data1": normal(1, 2, 7, 8), "data2": normal(1, 2, 7, 8)},
     {"kernel_size": 3, "max_displacement": 2, "stride1": 2, "stride2": 2, "pad_size": 2},
     grad=("data1", "data2"))
case("correlation_subtract", "Correlation",
     {"data1": normal(2, 2, 6, 5), "data2": normal(2, 2, 6, 5)},
     {"kernel_size": 1, "max_displacement": 2, "stride1": 1, "stride2": 1, "pad_size": 1,
      "is_multiply": False}, grad=("data1", "data2"))

# ----- im2col / col2im ----------------------------------------------------------------------------
case("im2col_2d", "im2col", {"data": normal(2, 3, 7, 6)},
     {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}, grad=("data",))
# (MXNet 1.9.1's CPU im2col fails its own checks for 1-D and 3-D kernels; those are tested
# against the float64 reference only)
case("col2im_2d", "col2im", {"data": normal(2, 27, 12)},
     {"output_size": (7, 6), "kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}, grad=("data",))
case("col2im_2d_dilate", "col2im", {"data": normal(1, 8, 9)},
     {"output_size": (5, 5), "kernel": (2, 2), "dilate": (2, 2)}, grad=("data",))

# ----- DeformableConvolution ----------------------------------------------------------------------
case("deformable_conv", "_contrib_DeformableConvolution",
     {"data": normal(2, 4, 6, 5), "offset": uniform(-1.7, 1.7, 2, 18, 6, 5),
      "weight": normal(3, 4, 3, 3), "bias": normal(3)},
     {"kernel": (3, 3), "pad": (1, 1), "num_filter": 3},
     grad=("data", "offset", "weight", "bias"), rtol=1e-4, atol=1e-4)
case("deformable_conv_groups", "_contrib_DeformableConvolution",
     {"data": normal(1, 4, 7, 7), "offset": uniform(-2.5, 2.5, 1, 16, 3, 3),
      "weight": normal(4, 2, 2, 2)},
     {"kernel": (2, 2), "stride": (2, 2), "dilate": (2, 1), "num_filter": 4, "num_group": 2,
      "num_deformable_group": 2, "no_bias": True},
     grad=("data", "offset", "weight"), rtol=1e-4, atol=1e-4)

# ----- Proposal / MultiProposal (forward only) ----------------------------------------------------
def rpn_scores(n, a, h, w):
    def make(rng):
        z = rng.standard_normal((n, 2, a, h, w)) * 2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(n, 2 * a, h, w).astype("float32")
    return make


_RPN = {"scales": (2, 4), "ratios": (0.5, 1, 2), "feature_stride": 8, "rpn_pre_nms_top_n": 50,
        "rpn_post_nms_top_n": 20, "threshold": 0.6, "rpn_min_size": 4}
case("proposal", "_contrib_Proposal",
     {"cls_prob": rpn_scores(1, 6, 5, 6), "bbox_pred": lambda rng: (
         rng.standard_normal((1, 24, 5, 6)) * 0.3).astype("float32"),
      "im_info": const([[40, 42, 1.0]])}, dict(_RPN, output_score=True))
case("proposal_iou_loss_min_size", "_contrib_Proposal",
     {"cls_prob": rpn_scores(1, 6, 4, 4), "bbox_pred": lambda rng: (
         rng.standard_normal((1, 24, 4, 4)) * 3).astype("float32"),
      "im_info": const([[30, 32, 1.5]])},
     dict(_RPN, iou_loss=True, rpn_min_size=8, rpn_post_nms_top_n=40, output_score=True))
case("multiproposal", "_contrib_MultiProposal",
     {"cls_prob": rpn_scores(2, 6, 5, 5), "bbox_pred": lambda rng: (
         rng.standard_normal((2, 24, 5, 5)) * 0.3).astype("float32"),
      "im_info": const([[40, 40, 1.0], [33, 25, 0.8]])}, _RPN)


def main(selected):
    os.makedirs(HERE, exist_ok=True)
    for c in CASES:
        if not selected or any(c["id"].startswith(s) for s in selected):
            run(c)
            print("wrote", c["id"])


if __name__ == "__main__":
    main(sys.argv[1:])
