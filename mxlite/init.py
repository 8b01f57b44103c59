"""``mx.init``: the same initializers as ``mx.initializer`` (MXNet imports that module under both
names)."""
from .initializer import *  # noqa: F401,F403
from .initializer import __all__  # noqa: F401
