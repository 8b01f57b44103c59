"""Op-database cases for the ctc family: CTCLoss with padded labels (blank first and last), with
data and label lengths, and a label with repeats (which needs a blank between them). The
reference enumerates every path, so sequences and alphabets are tiny. label and the lengths take
no gradient.
"""
import numpy as np

from opdb.core import OpCase, add, error
from reference import ctc as R


def fixed(values):
    return lambda rng, shape, dtype: np.array(values, dtype=dtype).reshape(shape)


def _ref(x, p):
    return [R.ctc_loss(x["data"], x["label"], x.get("data_lengths"), x.get("label_lengths"),
                       p.get("blank_label", "first"))]


for shapes, draws, params, name in (
        ({"data": (4, 3, 3), "label": (3, 2)},
         {"label": fixed([[1, 2], [2, 0], [1, 1]])}, {}, ""),
        ({"data": (5, 2, 3), "label": (2, 3)},
         {"label": fixed([[0, 1, 1], [1, -1, -1]])}, {"blank_label": "last"}, "blank-last"),
        ({"data": (5, 3, 3), "label": (3, 3), "data_lengths": (3,), "label_lengths": (3,)},
         {"label": fixed([[1, 2, 1], [2, 2, 1], [1, 0, 0]]),
          "data_lengths": fixed([5, 4, 2]), "label_lengths": fixed([3, 1, 1])},
         {"use_data_lengths": True, "use_label_lengths": True}, "lengths")):
    add(OpCase("CTCLoss", shapes, _ref, params=params, name=name, draw=draws,
               no_grad=tuple(k for k in shapes if k != "data"),
               errors=[error("2d-data", r"data shape \(4,3\)", shapes={"data": (4, 3)}),
                       error("label-batch", r"label shape \(2,2\)", shapes={"label": (2, 2)}),
                       error("label-too-long", r"label shape \(3,5\)",
                             shapes={"label": (3, 5)})]
               if not name else []))
