"""``mx.optimizer`` (also ``mx.opt``): optimizers, their registry, and the Updater."""
from . import adaptive, sgd  # noqa: F401  (registers the optimizers)
from .adaptive import FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam, RMSProp
from . import optimizer
from .optimizer import Optimizer, create, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, Test, ccSGD
from .updater import Updater, get_updater

__all__ = ["Optimizer", "create", "register", "Updater", "get_updater", "SGD", "NAG", "Signum",
           "SGLD", "DCASGD", "ccSGD", "Test", "Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax",
           "Nadam", "Ftrl", "FTML", "LAMB"]

# MXNet keeps every optimizer class in mxnet.optimizer.optimizer; programs (and pickles) that
# name them there find them on mxlite.optimizer.optimizer too
for _cls in (SGD, NAG, Signum, SGLD, DCASGD, ccSGD, Test, Adam, AdaGrad, RMSProp, AdaDelta, Adamax,
             Nadam, Ftrl, FTML, LAMB, Updater):
    setattr(optimizer, _cls.__name__, _cls)
optimizer.get_updater = get_updater
del _cls
