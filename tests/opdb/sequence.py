"""Op-database cases for the sequence family: SequenceMask, SequenceLast and SequenceReverse with
and without lengths, on axis 0 and 1, with float and int32 lengths.

Sequence lengths are drawn to include out-of-range values, which both sides clamp.
"""
from opdb.core import OpCase, add, error, integers
from reference import sequence as R

# ----- SequenceMask / SequenceLast / SequenceReverse ----------------------------------------------
_LEN = integers(-1, 6)  # T = 4: negative and too-long lengths are clamped


def _seq(fn, **fixed):
    return lambda x, p: [fn(x["data"], x.get("sequence_length"), **fixed,
                            **{k: v for k, v in p.items() if k in ("value", "axis")})]


_seq_errors = [error("axis", "got axis=2", params={"axis": 2}),
               error("1d-data", "data array must be of rank 2", shapes={"data": (4,)}),
               error("length-shape", r"inferred shape=\(3\) for sequence_length",
                     shapes={"sequence_length": (5,)})]
for op, ref in (("SequenceMask", R.sequence_mask), ("SequenceLast", R.sequence_last)):
    add(OpCase(op, {"data": (4, 3, 2)}, _seq(ref), name="no-length"),
        OpCase(op, {"data": (4, 3, 2)}, _seq(ref), name="no-length-axis1", params={"axis": 1}),
        OpCase(op, {"data": (4, 3, 2), "sequence_length": (3,)}, _seq(ref), name="length",
               params={"use_sequence_length": True, **({"value": -1.5} if op == "SequenceMask"
                                                       else {})},
               draw={"sequence_length": _LEN}, no_grad=("sequence_length",),
               errors=list(_seq_errors)),
        OpCase(op, {"data": (3, 4, 2, 2), "sequence_length": (3,)}, _seq(ref),
               name="length-axis1-int32", params={"use_sequence_length": True, "axis": 1},
               draw={"sequence_length": _LEN}, input_dtypes={"sequence_length": "int32"},
               no_grad=("sequence_length",)))
add(OpCase("SequenceReverse", {"data": (4, 3, 2)}, _seq(R.sequence_reverse), name="no-length"),
    OpCase("SequenceReverse", {"data": (4, 3), "sequence_length": (3,)},
           _seq(R.sequence_reverse), name="length",
           params={"use_sequence_length": True}, draw={"sequence_length": _LEN},
           no_grad=("sequence_length",),
           errors=[error("axis1", "got axis=1", params={"axis": 1}),
                   error("length-shape", r"inferred shape=\(3\) for sequence_length",
                         shapes={"sequence_length": (4,)})]),
    OpCase("SequenceReverse", {"data": (4, 2, 3), "sequence_length": (2,)},
           _seq(R.sequence_reverse), name="length-int32", params={"use_sequence_length": True},
           draw={"sequence_length": _LEN}, input_dtypes={"sequence_length": "int32"},
           no_grad=("sequence_length",)))
