"""The pure-NumPy core: ops, the MLP, the recorded pass, gradient checks, training.

Nothing here imports matplotlib or ipywidgets.
"""

from .diagnostics import LayerSaturation, saturation
from .gradcheck import EntryCheck, check_gradients, check_parameter, check_vjp, relative_error
from .metrics import Evaluation, accuracy, confusion_matrix, evaluate, per_class_accuracy
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape
from .network import MLP
from .ops import (ACTIVATIONS, Affine, CrossEntropy, ReLU, Sigmoid, Softmax, SoftmaxCrossEntropy,
                  Tanh, get_activation, one_hot)
from .trace import Factor, Step, StepKind, Trace
from .training import Progress, Trainer

__all__ = [
    "ACTIVATIONS", "Affine", "CrossEntropy", "EntryCheck", "Evaluation", "Factor", "JacobianInfo",
    "Progress", "Trainer", "accuracy", "confusion_matrix", "evaluate", "per_class_accuracy",
    "MAX_JACOBIAN_ENTRIES", "MLP", "ReLU", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "Step", "StepKind",
    "Tanh", "Trace", "check_gradients", "check_parameter", "check_vjp", "format_shape",
    "get_activation", "one_hot", "relative_error", "LayerSaturation", "saturation",
]
