"""Operator declarations. Importing this package registers every op family."""
from . import registry  # noqa: F401
from . import elemwise, scalar, unary, nn, softmax, loss, reduce, shape, linalg  # noqa: F401
