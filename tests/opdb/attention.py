"""Op-database cases for the attention family: the four _contrib_interleaved_matmul_* ops, one
head and several."""
from opdb.core import OpCase, add, error
from reference import attention as R

_P = "_contrib_interleaved_matmul_"

for heads, name in ((3, ""), (1, "one-head")):
    first = not name
    add(OpCase(_P + "selfatt_qk", {"queries_keys_values": (5, 2, 3 * heads * 4)},
               lambda x, p: [R.selfatt_qk(x["queries_keys_values"], p["heads"])],
               params={"heads": heads}, name=name,
               errors=[error("split", r"queries_keys_values \(5,2,35\)",
                             shapes={"queries_keys_values": (5, 2, 35)}),
                       error("2d", r"queries_keys_values shape \(5,36\)",
                             shapes={"queries_keys_values": (5, 36)})] if first else []))
    add(OpCase(_P + "selfatt_valatt", {"queries_keys_values": (5, 2, 3 * heads * 4),
                                       "attention": (2 * heads, 5, 5)},
               lambda x, p: [R.selfatt_valatt(x["queries_keys_values"], x["attention"],
                                              p["heads"])],
               params={"heads": heads}, name=name,
               errors=[error("attention", r"attention shape \(6,5,4\)",
                             shapes={"attention": (6, 5, 4)})] if first else []))
    add(OpCase(_P + "encdec_qk", {"queries": (4, 2, heads * 3),
                                  "keys_values": (6, 2, 2 * heads * 3)},
               lambda x, p: [R.encdec_qk(x["queries"], x["keys_values"], p["heads"])],
               params={"heads": heads}, name=name,
               errors=[error("kv-width", r"keys_values shape \(6,2,9\)",
                             shapes={"keys_values": (6, 2, 9)})] if first else []))
    add(OpCase(_P + "encdec_valatt", {"keys_values": (6, 2, 2 * heads * 3),
                                      "attention": (2 * heads, 4, 6)},
               lambda x, p: [R.encdec_valatt(x["keys_values"], x["attention"], p["heads"])],
               params={"heads": heads}, name=name,
               errors=[error("attention", r"attention shape \(6,4,5\)",
                             shapes={"attention": (6, 4, 5)})] if first else []))
