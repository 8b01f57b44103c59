"""``mx.metric``: evaluation metrics, MXNet 1.9's python/mxnet/metric.py semantics."""
from .base import (CompositeEvalMetric, EvalMetric, alias, check_label_shapes, create,
                   register)
from .classification import F1, MCC, PCC, Accuracy, TopKAccuracy
from .likelihood import (Caffe, CrossEntropy, CustomMetric, Loss, NegativeLogLikelihood,
                         Perplexity, Torch, np)
from .regression import MAE, MSE, RMSE, PearsonCorrelation

__all__ = ["EvalMetric", "create", "register", "alias", "check_label_shapes",
           "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC", "Perplexity", "MAE",
           "MSE", "RMSE", "CrossEntropy", "NegativeLogLikelihood", "PearsonCorrelation", "PCC",
           "Loss", "Torch", "Caffe", "CustomMetric", "np"]
