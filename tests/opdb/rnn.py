"""Op-database cases for the fused RNN op.

Sizes are tiny (seq 3, batch 2, input 3, state 2): the numeric gradient perturbs every entry of the
flat parameter vector. Dropout between layers (``p`` in training) is random and lives in
tests/test_rnn.py; here ``p`` appears only in an inference case, where it must do nothing.
"""
from opdb.core import ErrorCase, OpCase, add, integers, uniform
from reference import rnn as R

from mxlite.base import MXNetError

SEQ, BATCH, INPUT, STATE = 3, 2, 3, 2


def _ref(x, p):
    clip = None
    if p.get("lstm_state_clip_min") is not None:
        clip = (p["lstm_state_clip_min"], p["lstm_state_clip_max"])
    return R.rnn(x["data"], x["parameters"], x["state"], x.get("state_cell"),
                 state_size=p["state_size"], num_layers=p["num_layers"], mode=p["mode"],
                 bidirectional=p.get("bidirectional", False),
                 state_outputs=p.get("state_outputs", False), clip=clip,
                 sequence_length=x.get("sequence_length"))


def _case(name, mode, layers=1, bidir=False, state_outputs=False, extra=None, errors=(),
          grad=True, is_train=False):
    params = {"state_size": STATE, "num_layers": layers, "mode": mode,
              "bidirectional": bidir, "state_outputs": state_outputs, **(extra or {})}
    rows = layers * (2 if bidir else 1)
    shapes = {"data": (SEQ, BATCH, INPUT),
              "parameters": (R.param_size(mode, INPUT, STATE, layers, bidir),),
              "state": (rows, BATCH, STATE)}
    if mode == "lstm":
        shapes["state_cell"] = (rows, BATCH, STATE)
    draw, lengths = {"parameters": uniform(-0.8, 0.8)}, {}
    if params.get("use_sequence_length"):
        shapes["sequence_length"] = (BATCH,)
        draw["sequence_length"] = integers(1, SEQ + 1)
        lengths = {"sequence_length": "int32"}
    return OpCase("RNN", shapes, _ref, params=params, name=name, grad=grad, is_train=is_train,
                  draw=draw, input_dtypes=lengths, no_grad=tuple(lengths), errors=list(errors),
                  # float16 rounding of 50-250 packed weights feeds every step
                  tol={"float16": (3e-2, 3e-2)})


_ERRORS = [
    ErrorCase("bad-mode", params={"mode": "lstm2"}, exc=MXNetError, match="mode='lstm2'"),
    ErrorCase("p-one", params={"p": 1.0}, exc=MXNetError, match="dropout value p=1.0"),
    ErrorCase("projection", params={"projection_size": 1}, exc=MXNetError,
              match="projection_size is not supported"),
    ErrorCase("sequence-length-shape", params={"use_sequence_length": True},
              shapes={"sequence_length": (BATCH + 1,)}, exc=MXNetError,
              match="\\(sequence_length\\): Shape inconsistent"),
    ErrorCase("clip-one-side", params={"lstm_state_clip_min": -1.0}, exc=MXNetError,
              match="lstm_state_clip_min and lstm_state_clip_max must be specified together"),
    ErrorCase("clip-min-above-max", params={"lstm_state_clip_min": 1.0,
                                            "lstm_state_clip_max": 0.5},
              exc=MXNetError,
              match="lstm_state_clip_max must be greater or equal to lstm_state_clip_min"),
    ErrorCase("data-2d", shapes={"data": (SEQ, INPUT)}, exc=MXNetError,
              match="Input data should be rank-3"),
    ErrorCase("parameters-size", shapes={"parameters": (7,)}, exc=MXNetError,
              match="\\(parameters\\): Shape inconsistent"),
    ErrorCase("state-shape", shapes={"state": (2, BATCH, STATE)}, exc=MXNetError,
              match="\\(state\\): Shape inconsistent"),
    ErrorCase("state-dtype", dtypes={"state": "float64"}, exc=MXNetError,
              match="state must have the same type as data"),
]

add(_case("rnn_tanh", "rnn_tanh"),
    _case("rnn_relu", "rnn_relu"),
    _case("lstm", "lstm", errors=_ERRORS),
    _case("gru", "gru",
          errors=[ErrorCase("clip-gru", params={"lstm_state_clip_min": -1.0,
                                                "lstm_state_clip_max": 1.0},
                            exc=MXNetError, match="lstm_state_clip")]),
    _case("rnn_tanh-bidir-states", "rnn_tanh", bidir=True, state_outputs=True),
    _case("rnn_relu-2layer-states", "rnn_relu", layers=2, state_outputs=True),
    _case("lstm-2layer-states", "lstm", layers=2, state_outputs=True),
    _case("lstm-2layer-bidir-states", "lstm", layers=2, bidir=True, state_outputs=True),
    _case("gru-bidir", "gru", bidir=True),
    _case("gru-2layer-bidir-states", "gru", layers=2, bidir=True, state_outputs=True),
    _case("lstm-clip", "lstm", state_outputs=True,
          extra={"lstm_state_clip_min": -0.3, "lstm_state_clip_max": 0.35}),
    _case("lstm-bidir-seqlen-states", "lstm", bidir=True, state_outputs=True,
          extra={"use_sequence_length": True}),
    _case("gru-2layer-seqlen", "gru", layers=2, extra={"use_sequence_length": True}),
    _case("rnn_tanh-bidir-seqlen-states", "rnn_tanh", bidir=True, state_outputs=True,
          extra={"use_sequence_length": True}),
    # dropout only acts in training: an inference forward with p > 0 is deterministic
    _case("gru-2layer-p-inference", "gru", layers=2, extra={"p": 0.4}, grad=False))
