"""The new ops inside networks, as the model zoo uses them: the LeNet-STN of MXNet's examples
(SpatialTransformer fed by a localisation net), an SSD head (MultiBoxPrior, MultiBoxTarget,
MultiBoxDetection), a Faster R-CNN head (Proposal feeding ROIPooling/ROIAlign), a GroupNorm +
bilinear UpSampling decoder and a CTC speech head. Each symbol binds with simple_bind (shapes of
every weight inferred), runs forward and backward, and trains a few steps where it has a loss."""
import numpy as np

import mxlite as mx


def _bind(sym, **shapes):
    ex = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
    rng = np.random.default_rng(0)
    for name, arr in ex.arg_dict.items():
        if name not in shapes:
            arr[:] = rng.normal(0, 0.1, arr.shape)
    return ex


def test_lenet_stn_trains():
    data = mx.sym.var("data")
    loc = mx.sym.Convolution(data, kernel=(5, 5), num_filter=8, name="loc_conv")
    loc = mx.sym.Activation(mx.sym.Pooling(loc, kernel=(2, 2), stride=(2, 2), pool_type="max"),
                            act_type="relu")
    loc = mx.sym.FullyConnected(mx.sym.Flatten(loc), num_hidden=6, name="stn_loc")
    stn = mx.sym.SpatialTransformer(data, loc, target_shape=(16, 16), transform_type="affine",
                                    sampler_type="bilinear")
    net = mx.sym.Convolution(stn, kernel=(5, 5), num_filter=6)
    net = mx.sym.Pooling(mx.sym.Activation(net, act_type="tanh"), kernel=(2, 2), stride=(2, 2),
                         pool_type="max")
    net = mx.sym.FullyConnected(mx.sym.Flatten(net), num_hidden=4)
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    ex = _bind(net, data=(8, 1, 16, 16), softmax_label=(8,))
    assert ex.arg_dict["stn_loc_weight"].shape == (6, 8 * 6 * 6)
    # start from the identity transform, as the example initialises the localisation net
    ex.arg_dict["stn_loc_weight"][:] = 0
    ex.arg_dict["stn_loc_bias"][:] = mx.nd.array([1, 0, 0, 0, 1, 0])
    rng = np.random.default_rng(1)
    ex.arg_dict["data"][:] = rng.normal(size=(8, 1, 16, 16))
    labels = rng.integers(0, 4, 8)
    ex.arg_dict["softmax_label"][:] = labels
    losses = []
    for _ in range(15):
        prob = ex.forward(is_train=True)[0].asnumpy()
        losses.append(-np.log(prob[np.arange(8), labels]).mean())
        ex.backward()
        for name, grad in ex.grad_dict.items():
            if name not in ("data", "softmax_label"):
                ex.arg_dict[name][:] -= 0.02 * grad
    assert np.isfinite(ex.grad_dict["stn_loc_weight"].asnumpy()).all()
    assert losses[-1] < losses[0]


def test_ssd_head():
    feat = mx.sym.var("feat")
    label = mx.sym.var("label")
    anchors = mx.sym.contrib.MultiBoxPrior(feat, sizes=(0.3, 0.5), ratios=(1, 2))
    cls = mx.sym.Convolution(feat, kernel=(3, 3), pad=(1, 1), num_filter=3 * 3, name="cls")
    cls = mx.sym.reshape(mx.sym.transpose(cls, axes=(0, 2, 3, 1)), shape=(0, -1, 3))
    cls = mx.sym.transpose(cls, axes=(0, 2, 1))                      # (N, classes, anchors)
    loc = mx.sym.Convolution(feat, kernel=(3, 3), pad=(1, 1), num_filter=3 * 4, name="loc")
    loc = mx.sym.Flatten(mx.sym.transpose(loc, axes=(0, 2, 3, 1)))
    loc_t, loc_m, cls_t = mx.sym.contrib.MultiBoxTarget(anchors, label, cls,
                                                        negative_mining_ratio=3)
    cls_loss = mx.sym.SoftmaxOutput(cls, cls_t, ignore_label=-1, use_ignore=True,
                                    multi_output=True, normalization="valid")
    loc_loss = mx.sym.MakeLoss(mx.sym.smooth_l1((loc - loc_t) * loc_m, scalar=1.0))
    det = mx.sym.contrib.MultiBoxDetection(mx.sym.softmax(cls, axis=1), loc, anchors)
    net = mx.sym.Group([cls_loss, loc_loss, mx.sym.BlockGrad(det)])
    ex = _bind(net, feat=(2, 4, 4, 4), label=(2, 3, 5))
    lab = -np.ones((2, 3, 5))
    lab[0, 0] = [1, 0.1, 0.1, 0.5, 0.6]
    lab[1, :2] = [[0, 0.4, 0.3, 0.9, 0.8], [1, 0.0, 0.5, 0.3, 0.95]]
    ex.arg_dict["label"][:] = lab
    ex.arg_dict["feat"][:] = np.random.default_rng(4).normal(size=(2, 4, 4, 4))
    outs = ex.forward(is_train=True)
    assert outs[2].shape == (2, 48, 6)
    ex.backward()
    assert np.abs(ex.grad_dict["cls_weight"].asnumpy()).sum() > 0
    assert np.abs(ex.grad_dict["loc_weight"].asnumpy()).sum() > 0


def test_faster_rcnn_head():
    feat = mx.sym.var("feat")
    im_info = mx.sym.var("im_info")
    rpn_cls = mx.sym.Convolution(feat, kernel=(1, 1), num_filter=2 * 6, name="rpn_cls")
    rpn_prob = mx.sym.reshape(mx.sym.softmax(mx.sym.reshape(rpn_cls, shape=(0, 2, -1, 0)),
                                             axis=1), shape=(0, 12, -1, 0))
    rpn_bbox = mx.sym.Convolution(feat, kernel=(1, 1), num_filter=4 * 6, name="rpn_bbox")
    rois = mx.sym.contrib.Proposal(rpn_prob, rpn_bbox, im_info, scales=(2, 4),
                                   ratios=(0.5, 1, 2), feature_stride=8, rpn_pre_nms_top_n=60,
                                   rpn_post_nms_top_n=16, rpn_min_size=4)
    pooled = mx.sym.ROIPooling(feat, rois, pooled_size=(2, 2), spatial_scale=0.125)
    aligned = mx.sym.contrib.ROIAlign(feat, rois, pooled_size=(2, 2), spatial_scale=0.125)
    head = mx.sym.FullyConnected(mx.sym.concat(pooled, aligned, dim=1), num_hidden=3,
                                 name="head")
    ex = _bind(mx.sym.MakeLoss(mx.sym.sum(head)), feat=(1, 5, 6, 6), im_info=(1, 3))
    ex.arg_dict["feat"][:] = np.random.default_rng(2).normal(size=(1, 5, 6, 6))
    ex.arg_dict["im_info"][:] = [[48, 48, 1]]
    ex.forward(is_train=True)
    ex.backward()
    assert np.abs(ex.grad_dict["feat"].asnumpy()).sum() > 0
    assert np.abs(ex.grad_dict["head_weight"].asnumpy()).sum() > 0


def test_groupnorm_bilinear_decoder():
    data = mx.sym.var("data")
    net = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=8, name="enc")
    net = mx.sym.GroupNorm(net, num_groups=4, name="gn")
    net = mx.sym.UpSampling(mx.sym.relu(net), scale=2, sample_type="bilinear", num_filter=8,
                            name="up")
    ex = _bind(mx.sym.MakeLoss(mx.sym.mean(mx.sym.square(net))), data=(2, 3, 5, 5))
    ex.arg_dict["data"][:] = np.random.default_rng(5).normal(size=(2, 3, 5, 5))
    assert ex.arg_dict["gn_gamma"].shape == (4,)
    assert ex.arg_dict["up_weight"].shape == (8, 1, 4, 4)
    ex.forward(is_train=True)
    ex.backward()
    for name in ("gn_gamma", "gn_beta", "up_weight", "enc_weight"):
        assert np.abs(ex.grad_dict[name].asnumpy()).sum() > 0, name


def test_ctc_head_trains():
    data = mx.sym.var("data")                                        # (T, N, features)
    label = mx.sym.var("label")
    scores = mx.sym.FullyConnected(data, num_hidden=5, flatten=False, name="proj")
    loss = mx.sym.MakeLoss(mx.sym.mean(mx.sym.contrib.ctc_loss(scores, label)))
    ex = _bind(loss, data=(8, 3, 4), label=(3, 3))
    rng = np.random.default_rng(3)
    ex.arg_dict["data"][:] = rng.normal(size=(8, 3, 4))
    ex.arg_dict["label"][:] = [[1, 2, 3], [4, 4, 0], [2, 0, 0]]
    values = []
    for _ in range(20):
        values.append(float(ex.forward(is_train=True)[0].asnumpy().sum()))
        ex.backward()
        for name in ("proj_weight", "proj_bias"):
            ex.arg_dict[name][:] -= 0.5 * ex.grad_dict[name]
    assert values[-1] < values[0]


def test_mx_contrib_names_the_contrib_ops():
    assert mx.contrib.ndarray.CTCLoss is mx.nd.contrib.CTCLoss
    assert mx.contrib.sym.MultiBoxPrior is mx.sym.contrib.MultiBoxPrior
    assert mx.contrib.nd is mx.contrib.ndarray and mx.contrib.symbol is mx.sym.contrib
