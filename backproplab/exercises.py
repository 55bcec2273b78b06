"""Write the gradient yourself: check a learner's array against a recorded pass.

``check_gradient(answer, trace, name="dL/dW2")`` compares the learner's NumPy
array with ``trace[name].value``: first the shape, then the values. When they
differ it recognises the classic mistakes by comparing the answer with the
trace's own quantities (its values, transposes, slices and the shapes of the
step's recorded factors), never by recomputing backpropagation:

==========================  ======================================================
``mistake``                 recognised by
==========================  ======================================================
``"transposed"``            ``answer.T`` equals the value: δᵀ·[1 H] instead of
                            [1 H]ᵀ·δ for a weight gradient, a column for a row
``"one-column"``            a weight gradient of shape (n_in + 1, 1): the 101×1 of
                            the question this package grew from
``"bias-row-kept"``         an input gradient with one column too many, whose
                            columns 1: equal the value (the bias row went back)
``"bias-row-missing"``      a weight gradient without row 0, equal to ``value[1:]``
``"bias-row-wrong"``        rows 1: of a weight gradient right, row 0 wrong
``"not-summed-over-batch"`` one outer product per sample, (B, n_in + 1, n_out),
                            whose sum (or mean) over axis 0 equals the value
``"jacobian"``              the shape of the step's full local Jacobian
``"elementwise-product"``   the shape an elementwise (broadcast) product of the
                            step's two factors gives, where a matrix product belongs
``"matrix-product"``        (B, B) or (n, n), where an elementwise product belongs
``"not-a-row"``             a 1-D array where the package keeps a row (1, n)
``"batch-mean"``            B times (or 1/B times) the value: the 1/B of the mean
``"missing-derivative"``    the value the chain gives without the activation's
                            derivative (the diagonal ∂H_j/∂z_j) of one hidden
                            layer, or of all of them
``"sign"``                  minus the value
``"wrong-shape"``           any other shape
``"wrong-values"``          the right shape, other values
``"not-an-array"``          not a finite real numeric array
==========================  ======================================================

Tolerance: relative 1e-4, plus 1e-5 of the largest |value|, plus ten times
what the recorded value owes to its float type (``trace.rounding_error``): the
exact answer of a float32 trace is accepted, and no constant absolute floor
lets a wrong answer through when every true value is tiny.

Pure Python and NumPy: no widgets, no plotting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .core.jacobian import format_shape
from .core.linear import Linear
from .core.ops import Affine, get_activation
from .core.trace import StepKind
from .errors import ConfigError

__all__ = ["Feedback", "check_gradient"]

#: Relative tolerance, and absolute tolerance as a fraction of the largest |value|:
#: loose enough for float32 versus float64 arithmetic, tight enough for any mistake.
RTOL, ATOL_FRACTION = 1e-4, 1e-5


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: ``correct``, a ``message`` and the ``mistake`` recognised.

    ``str(feedback)`` is the message; ``repr(feedback)`` a one-line summary. In
    a notebook the message is shown.
    """

    name: str
    correct: bool
    message: str
    mistake: str | None = None
    expected_shape: tuple[int, ...] = ()
    answer_shape: tuple[int, ...] | None = None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        verdict = "correct" if self.correct else f"wrong ({self.mistake})"
        got = "?" if self.answer_shape is None else format_shape(self.answer_shape)
        return f"Feedback({self.name}: {verdict}, answer {got}, expected {format_shape(self.expected_shape)})"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the message
        printer.text(self.message)


def check_gradient(answer, trace, name: str = "dL/dW2") -> Feedback:
    """Check ``answer`` against the step ``name`` of ``trace`` (a recorded pass).

    Parameters
    ----------
    answer : array-like
        The learner's result, e.g. ``H1_ones.T @ delta2`` for dL/dW2 (101, 10).
    trace : Trace
        From ``net.trace(x, y)``; its step ``name`` holds the right value.
    name : str
        Any step of the trace: "dL/dW2" (default), "dL/dH2", "dL/dz3", "z1", ...

    Returns
    -------
    Feedback
        ``.correct``, ``.message`` (with a hint when wrong) and ``.mistake``.
    """
    if not isinstance(getattr(trace, "names", None), tuple):
        raise ConfigError(f"trace must be a recorded pass, trace = net.trace(x, y); got "
                          f"{type(trace).__name__}.")
    if not isinstance(name, str) or name not in trace.names:
        raise ConfigError(f"name must be a step of the trace, one of {', '.join(trace.names)}; "
                          f"got {name!r}.")
    step = trace[name]
    expected = np.asarray(step.value, dtype=np.float64)
    shape = tuple(expected.shape)
    if answer is None:
        return _wrong(step, None, "not-an-array",
                      f"replace None with your expression for {name} "
                      f"(a NumPy array of shape {format_shape(shape)}).")
    try:
        raw = np.asarray(answer)
        if np.iscomplexobj(raw):
            return _wrong(step, raw.shape, "not-an-array",
                          f"your array holds complex numbers; {name} is real. Look for a square "
                          f"root or a power of a negative number, or take .real if the imaginary "
                          f"part is 0 on purpose.")
        a = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        return _wrong(step, None, "not-an-array",
                      f"give a NumPy array of numbers (shape {format_shape(shape)}); got "
                      f"{type(answer).__name__}.")
    if not np.all(np.isfinite(a)):
        return _wrong(step, a.shape, "not-an-array",
                      "your array holds NaN or infinity; check each factor for an overflow or a "
                      "division by zero.")
    atol = _atol(expected, _rounding_error(trace, name))
    if a.shape == shape and _close(a, expected, atol):
        return Feedback(name, True, f"✓ Right: {name} is {format_shape(shape)} and every value "
                                    f"matches the recorded pass. {_how(step)}", None, shape, a.shape)
    for diagnose in _DIAGNOSES:
        found = diagnose(a, expected, step, trace, atol)
        if found:
            return _wrong(step, a.shape, *found)
    if a.shape != shape:
        return _wrong(step, a.shape, "wrong-shape",
                      f"your array is {format_shape(a.shape)}, but {name} is {format_shape(shape)}"
                      f"{_shape_reason(step)}. {_how(step)}")
    off = int(np.count_nonzero(~np.isclose(a, expected, rtol=RTOL, atol=atol)))
    return _wrong(step, a.shape, "wrong-values",
                  f"the shape {format_shape(shape)} is right, but {off:,} of {expected.size:,} values "
                  f"differ from the recorded pass. {_how(step)} Compare each factor with the "
                  f"trace (trace[{name!r}].ledger() lists them).")


# --------------------------------------------------------------- helpers
def _rounding_error(trace, name: str) -> float:
    error = getattr(trace, "rounding_error", None)
    return float(np.max(error(name), initial=0.0)) if error is not None else 0.0


def _atol(expected: np.ndarray, rounding_error: float = 0.0) -> float:
    """1e-5 of the largest |value| plus ten times the trace's own rounding error; no constant floor."""
    return ATOL_FRACTION * float(np.max(np.abs(expected), initial=0.0)) + 10.0 * rounding_error


def _close(a: np.ndarray, expected: np.ndarray, atol: float) -> bool:
    return a.shape == expected.shape and bool(np.allclose(a, expected, rtol=RTOL, atol=atol))


def _wrong(step, answer_shape, mistake: str, text: str) -> Feedback:
    return Feedback(step.name, False, f"✗ Not yet: {text}", mistake, tuple(step.shape),
                    None if answer_shape is None else tuple(answer_shape))


def _how(step) -> str:
    text = step.product_text()
    return f"It is computed as {text}." if text else ""


def _shape_reason(step) -> str:
    if step.target:
        return f", the shape of {step.target}: one number per weight"
    wrt = step.name[4:] if step.name.startswith("dL/d") else ""
    return f", the shape of {wrt}" if wrt else ""


def _transpose_name(name: str) -> str:
    """ "W2[1:]ᵀ" -> "W2[1:]", "δ2" -> "δ2ᵀ"."""
    return name[:-1] if name.endswith("ᵀ") else name + "ᵀ"


def _input_gradient_above(step, trace):
    """For dL/dW_k, the step dL/dH_k that reached layer k through W_{k+1} (or None)."""
    for other in trace:
        if other.kind == StepKind.INPUT_GRADIENT and other.layer == step.layer + 1:
            return other
    return None


# ------------------------------------------------------------ diagnoses
# Each takes (answer, expected, step, trace) and returns (mistake, message) or None.
# They only compare the answer with the trace's values and recorded shapes.

def _transposed(a, expected, step, trace, atol):
    if expected.ndim != 2 or a.shape != expected.shape[::-1] or not _close(a.T, expected, atol):
        return None
    if step.target:
        first, second = step.operands
        return ("transposed",
                f"you have {format_shape(a.shape)}, the transpose of {step.name} "
                f"({format_shape(expected.shape)}). That is the outer product in the wrong order, "
                f"{second.name}ᵀ · {first.name.rstrip('ᵀ')}. The gradient has the shape of {step.target}: "
                f"its rows are {step.target}'s rows (the inputs, bias first), its columns "
                f"{step.target}'s columns (the units), so the inputs come first: {step.product_text()}.")
    return ("transposed",
            f"you have {format_shape(a.shape)}, the transpose of {step.name} "
            f"({format_shape(expected.shape)}): a column where the package keeps a row. Every "
            f"vector here is a row, one row per sample. {_how(step)}")


def _one_column(a, expected, step, trace, atol):
    if not step.target or a.ndim != 2 or a.shape != (expected.shape[0], 1) or expected.shape[1] == 1:
        return None
    first, second = step.operands
    text = (f"{step.name} must have the shape of {step.target}, {format_shape(expected.shape)}: one "
            f"number per weight. A {format_shape(a.shape)} column has one number per row of "
            f"{step.target} and cannot tell its {expected.shape[1]} units apart. The columns come "
            f"from {second.name} = ∂L/∂z{step.layer} ({format_shape(second.shape)}): "
            f"{step.product_text()}.")
    above = _input_gradient_above(step, trace)
    if above is not None:
        text += (f" To reach {second.name} you go back through the layer above, and there is the "
                 f"trap: {above.note}. So {above.name} = {above.product_text()}.")
    return "one-column", text


def _bias_row_kept(a, expected, step, trace, atol):
    if (not step.drops_bias_row or a.ndim != 2 or expected.ndim != 2
            or a.shape != (expected.shape[0], expected.shape[1] + 1) or not _close(a[:, 1:], expected, atol)):
        return None
    return ("bias-row-kept",
            f"you have {format_shape(a.shape)}, one column more than {step.name[4:]} "
            f"({format_shape(expected.shape)}); without its column 0 your answer is right. "
            f"{step.note}. So {step.name} = {step.product_text()}.")


def _bias_row_missing(a, expected, step, trace, atol):
    if (not getattr(trace, "bias", True) or not step.target
            or a.shape != (expected.shape[0] - 1, expected.shape[1]) or not _close(a, expected[1:], atol)):
        return None
    return ("bias-row-missing",
            f"you have {format_shape(a.shape)}: rows 1: of {step.name} are right, but row 0, the "
            f"bias row, is missing. {step.target} is {format_shape(expected.shape)} with the bias row "
            f"first, and its gradient has the same shape: put the column of ones in front of the "
            f"layer's input, {step.operands[0].name.rstrip('ᵀ')}. {_how(step)}")


def _bias_row_wrong(a, expected, step, trace, atol):
    if (not getattr(trace, "bias", True) or not step.target or a.shape != expected.shape
            or not _close(a[1:], expected[1:], atol) or _close(a[:1], expected[:1], atol)):
        return None
    if not np.any(np.abs(expected[1:]) > atol):  # the layer's input is all 0: rows 1: tell nothing
        return None
    return ("bias-row-wrong",
            f"rows 1: of {step.name} are right, but row 0, the bias row, is not. The bias row of "
            f"{step.target} meets the constant 1 in {step.operands[0].name.rstrip('ᵀ')}, so row 0 of its "
            f"gradient is {step.operands[1].name} summed over the batch. {_how(step)}")


def _not_summed(a, expected, step, trace, atol):
    if not step.target or a.ndim != 3 or a.shape[1:] != expected.shape:
        return None
    how = ("their sum over axis 0" if _close(a.sum(axis=0), expected, atol) else
           "their mean over axis 0" if _close(a.mean(axis=0), expected, atol) else None)
    if how is None:
        return None
    return ("not-summed-over-batch",
            f"you kept one outer product per sample, {format_shape(a.shape)}; {how} is right. "
            f"{step.name} is one {format_shape(expected.shape)} array for the whole batch (the loss "
            f"is the batch mean, and δ already carries its 1/B): the matrix product "
            f"{step.product_text()} sums over the batch in its inner dimension.")


def _jacobian(a, expected, step, trace, atol):
    if step.jacobian is None or a.shape == expected.shape:
        return None
    info = trace.jacobian_info(*step.jacobian)
    if a.shape != tuple(info.shape):
        return None
    return ("jacobian",
            f"{format_shape(a.shape)} is the shape of the local Jacobian ∂{info.of}/∂{info.wrt}, not "
            f"of the gradient {step.name} ({format_shape(expected.shape)}). The chain rule "
            f"contracts it with the gradient from above; training never builds it: "
            f"{step.product_text()}.")


def _elementwise_product(a, expected, step, trace, atol):
    if step.operator != "·" or len(step.operands) != 2 or a.shape == expected.shape:
        return None
    first, second = step.operands
    for other in (second.shape, second.shape[::-1]):
        try:
            broadcast = np.broadcast_shapes(first.shape, other)
        except ValueError:
            continue
        if a.shape == broadcast:
            return ("elementwise-product",
                    f"{format_shape(a.shape)} is what an elementwise product (`*`, with "
                    f"broadcasting) of {first.name} ({format_shape(first.shape)}) and "
                    f"{second.name if other == second.shape else _transpose_name(second.name)} "
                    f"({format_shape(other)}) gives. This step is a matrix product (`@`), "
                    f"which sums over the shared dimension: {step.product_text()}.")
    return None


def _matrix_product(a, expected, step, trace, atol):
    if step.operator != "⊙" or a.ndim != 2 or expected.ndim != 2 or a.shape == expected.shape:
        return None
    B, n = expected.shape
    if a.shape not in ((B, B), (n, n)):
        return None
    diagonal = next((f for f in step.factors if f.structure == "diagonal"), None)
    why = (f"{diagonal.name} is diagonal, so multiplying by it is an elementwise product"
           if diagonal else "this step is an elementwise product")
    return ("matrix-product",
            f"{format_shape(a.shape)} is what a matrix product (`@`) of two "
            f"{format_shape(expected.shape)} arrays gives, one of them transposed. {why} (`*`) "
            f"that keeps the shape: {step.product_text()}.")


def _not_a_row(a, expected, step, trace, atol):
    if a.ndim != 1 or expected.ndim != 2 or a.size != expected.size:
        return None
    right = _close(a.reshape(expected.shape), expected, atol)
    why = ("the package keeps every vector as a row, one row per sample" if expected.shape[0] == 1
           else "one row per sample")
    return ("not-a-row",
            f"your array is 1-D ({format_shape(a.shape)}), but {step.name} is "
            f"{format_shape(expected.shape)}: {why}. " + (
                f"The numbers are right: reshape it, answer.reshape{expected.shape}." if right
                else _how(step)))


def _batch_mean(a, expected, step, trace, atol):
    B = trace.batch_size
    if B == 1 or a.shape != expected.shape or step.phase != "backward":
        return None
    if _close(a, B * expected, B * atol):
        factor = f"{B} times"
    elif _close(a, expected / B, atol / B):
        factor = f"1/{B} of"
    else:
        return None
    return ("batch-mean",
            f"your values are {factor} the right ones. The loss is the mean over the batch of "
            f"B = {B}, so δ at the output carries one factor 1/B, and only one: it reaches every "
            f"gradient through the chain rule. {_how(step)}")


def _missing_derivative(a, expected, step, trace, atol):
    if a.shape != expected.shape or step.phase != "backward" or not trace.weights:
        return None
    hidden = [s.layer for s in trace if s.kind == StepKind.GRADIENT]  # layers with an activation
    if "dL/dy_hat" in trace.names:  # the quadratic cost's sigmoid output layer has one too
        hidden.append(trace["dL/dy_hat"].layer)
    for skipped in [[j] for j in hidden] + ([hidden] if len(hidden) > 1 else []):
        candidate = _without_derivative(step, trace, skipped)
        if candidate is not None and _close(a, candidate, atol + ATOL_FRACTION * np.abs(candidate).max()):
            steps = [trace[f"dL/dz{j}"] for j in skipped]
            which = " and ".join(f"{s.factors[1].name} = diag({s.operands[1].name})" for s in steps)
            layers = "every hidden layer" if len(skipped) > 1 else f"layer {skipped[0]}"
            return ("missing-derivative",
                    f"your values are what the chain rule gives without {which}. Going back "
                    f"through the {steps[0].activation} of {layers} multiplies elementwise by its "
                    f"derivative: {steps[0].name} = {steps[0].product_text()}. {_how(step)}")
    return None


def _without_derivative(step, trace, skipped: list[int]):
    """The trace's values carried down to ``step`` with the activation derivative of the layers
    in ``skipped`` left out (δ_j = dL/dH_j there); None if ``step`` does not lie below them."""
    top = max(skipped)
    act = get_activation(trace.activation)
    layer = Affine if getattr(trace, "bias", True) else Linear  # z = [1 H] · W, or H · W without biases
    above = f"dL/dH{top}" if f"dL/dH{top}" in trace.names else "dL/dy_hat"  # the output layer: ∂L/∂ŷ
    delta = np.asarray(trace[above].value, dtype=np.float64)  # δ_top without σ′
    for m in range(top, 0, -1):
        if step.name == f"dL/dz{m}":
            return delta
        source = np.asarray(trace["x" if m == 1 else f"H{m - 1}"].value, dtype=np.float64)
        dH, dW = layer.backward(delta, (source, np.asarray(trace.weights[m - 1], dtype=np.float64)),
                                 need_input_grad=m > 1)
        if step.name == f"dL/dW{m}":
            return dW
        if m == 1:
            return None
        if step.name == f"dL/dH{m - 1}":
            return dH
        H, z = (np.asarray(trace[f"{n}{m - 1}"].value, dtype=np.float64) for n in ("H", "z"))
        delta = dH if m - 1 in skipped else act.backward(dH, (H, z))
    return None


def _sign(a, expected, step, trace, atol):
    if a.shape != expected.shape or not np.any(expected) or not _close(-a, expected, atol):
        return None
    return ("sign",
            f"your values have the wrong sign. Gradient descent subtracts the gradient; the "
            f"gradient itself points uphill (at the output, δ = ŷ − y, not y − ŷ). {_how(step)}")


# Order matters where shapes coincide: a 10×10 answer for dL/dH2 is more likely δ3 * W3[1:]ᵀ
# (broadcast) than the Jacobian ∂z3/∂H2 itself, so the product checks come before _jacobian.
_DIAGNOSES = (_transposed, _one_column, _bias_row_kept, _bias_row_missing, _bias_row_wrong,
              _not_summed, _elementwise_product, _matrix_product, _jacobian, _not_a_row,
              _batch_mean, _sign, _missing_derivative)
