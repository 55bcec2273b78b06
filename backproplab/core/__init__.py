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

# Networks without biases, the quadratic cost, and the conventions a trace can be shown in.
from .conventions import CONVENTIONS, CourseArray, course_arrays, params_from_stored, params_to_stored  # noqa: E402
from .linear import Linear  # noqa: E402
from .quadratic import Quadratic, SigmoidQuadratic  # noqa: E402

__all__ += ["CONVENTIONS", "CourseArray", "Linear", "Quadratic", "SigmoidQuadratic", "course_arrays",
            "params_from_stored", "params_to_stored"]
