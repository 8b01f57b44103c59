"""``mx.optimizer`` (also ``mx.opt``): optimizers, their registry, and the Updater."""
from . import adaptive, sgd  # noqa: F401  (registers the optimizers)
from .adaptive import FTML, LAMB, AdaDelta, AdaGrad, Adam, Adamax, Ftrl, Nadam, RMSProp
from .optimizer import Optimizer, create, register
from .sgd import DCASGD, NAG, SGD, SGLD, Signum, Test, ccSGD
from .updater import Updater, get_updater

__all__ = ["Optimizer", "create", "register", "Updater", "get_updater", "SGD", "NAG", "Signum",
           "SGLD", "DCASGD", "ccSGD", "Test", "Adam", "AdaGrad", "RMSProp", "AdaDelta", "Adamax",
           "Nadam", "Ftrl", "FTML", "LAMB"]
