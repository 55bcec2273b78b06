"""A recorded pass shown in the row-separate or the column convention.

:func:`build_view` renders every step again from its facts (kind, layer,
source, activation, batch mean) with the arrays of the convention: transposed
where a sample is a column, weights split into W_k (n_out × n_in) and b_k. The
mapping is in :mod:`backproplab.core.conventions`. Nothing is recomputed:
every value is a transposed or split copy of the recorded one.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from .conventions import mapping, params_from_stored
from .jacobian import MAX_JACOBIAN_ENTRIES, JacobianInfo, format_shape, guard_size
from .trace import Factor, Step, StepKind, Trace


class TraceView(Trace):
    """A read-only :class:`Trace` of the same pass in another convention.

    ``weights`` are W_1..W_n of the convention (n_out × n_in) and ``biases``
    b_1..b_n (None without biases); ``mapping`` says how they come from the
    stored weights; ``source`` is the recorded (row-folded) trace.
    """

    def __init__(self, *, source: Trace, convention: str, biases, **kw) -> None:
        super().__init__(**kw)
        for b in biases:
            if b is not None:
                b.setflags(write=False)
        self._source, self._biases = source, tuple(biases)
        self.convention = convention
        self.mapping = mapping(convention, bias=source.bias)

    @property
    def source(self) -> Trace:
        """The recorded pass in the package's own row-folded convention."""
        return self._source

    @property
    def biases(self) -> tuple[np.ndarray | None, ...]:
        """b_1..b_n in this convention (n_out, or n_out × 1 in the column convention); None without biases."""
        return self._biases

    @property
    def batch_size(self) -> int:
        return self._source.batch_size

    def summary(self) -> str:
        head, _, rest = super().summary().partition("\n")
        return f"{head}\nmapping: {self.mapping}\n{rest}"

    __str__ = summary

    def __repr__(self) -> str:
        return f"<Trace of {self._source.description} in the {self.convention} convention: {len(self)} steps>"

    def to_markdown(self) -> str:
        head, _, rest = super().to_markdown().partition("\n")
        return f"{head}\n\nmapping: {self.mapping}\n{rest}"


def build_view(trace: Trace, convention: str) -> TraceView:
    """``trace`` (row-folded) in ``convention`` ("row-separate" or "column")."""
    v = _Builder(trace, convention)
    steps: list[Step] = []
    for s in trace:
        for new in v.convert(s):
            steps.append(Step(index=len(steps) + 1, **new))
    float64_pass = None
    if trace._float64_pass is not None:
        float64_pass = partial(_twin_view, trace, convention)
    return TraceView(source=trace, convention=convention, biases=[b for _, b in v.params],
                     steps=steps, description=f"{trace.description}, {convention} convention",
                     jacobians=v.jacobians(), weights=tuple(W for W, _ in v.params), labels=trace.labels,
                     activation=trace.activation, float64_pass=float64_pass, loss=trace.loss,
                     bias=trace.bias)


def _twin_view(trace: Trace, convention: str) -> Trace:
    """The float64 twin of ``trace`` (recorded once, shared with it) in ``convention``."""
    if trace._twin is None:
        trace._twin = trace._float64_pass()
    return trace._twin.view(convention)


def _tex(name: str) -> str:
    return name if name == "x" else f"{name[0]}_{{{name[1:]}}}"


class _Builder:
    """Converts one step at a time; knows the convention, the batch and the layer widths."""

    def __init__(self, trace: Trace, convention: str) -> None:
        self.trace, self.conv = trace, convention
        self.col = convention == "column"
        self.bias = trace.bias
        self.B = trace.batch_size
        self.params = params_from_stored(trace.weights, convention, bias=self.bias)
        for W, _ in self.params:
            W.setflags(write=False)

    # ----------------------------------------------------------- shapes
    def ps(self, m: int) -> tuple[int, int]:
        """The shape of a per-sample array of m units: m × B (column) or B × m (rows)."""
        return (m, self.B) if self.col else (self.B, m)

    def vec(self, m: int) -> tuple[int, ...]:
        """Its shape in a chain rule: one sample's row or column is read as the vector (m,)."""
        return (m,) if self.B == 1 else self.ps(m)

    def S(self, a: np.ndarray) -> np.ndarray:
        """A per-sample array (B, m) as stored -> this convention."""
        return np.array(a.T if self.col else a)

    def bshape(self, m: int) -> tuple[int, ...]:
        return (m, 1) if self.col else (m,)

    def widths(self, k: int) -> tuple[int, int]:
        n_out, n_in = self.params[k - 1][0].shape
        return n_in, n_out

    def _unit(self) -> str:
        return "column" if self.col else "row"

    # ------------------------------------------------------------ steps
    def convert(self, s: Step) -> list[dict]:
        base = dict(name=s.name, phase=s.phase, layer=s.layer, kind=s.kind, batch_size=s.batch_size,
                    batch_mean=s.batch_mean, activation=s.activation, jacobian=s.jacobian,
                    latex=s.latex, value=s.value, note=s.note, orientation=self._unit())
        handler = getattr(self, "_" + s.kind.name.lower())
        return handler(s, base)

    def _input(self, s, base):
        return [base | dict(value=self.S(s.value), note=f"the input, one {self._unit()} per sample")]

    def _pre_activation(self, s, base):
        k, a = s.layer, s.source
        n_in, n_out = self.widths(k)
        W, b = f"W{k}", f"b{k}"
        if self.col:
            ops = [Factor(W, (n_out, n_in)), Factor(a, self.ps(n_in))]
            latex = rf"z_{{{k}}} = W_{{{k}}}\,{_tex(a)}"
        else:
            ops = [Factor(a, self.ps(n_in)), Factor(f"{W}ᵀ", (n_in, n_out))]
            latex = rf"z_{{{k}}} = {_tex(a)}\,W_{{{k}}}^\top"
        if self.bias:
            ops.append(Factor(b, self.bshape(n_out)))
            latex += rf" + b_{{{k}}}"
            note = f"{b} is added to each {self._unit()} of the product: every sample gets the same bias"
        else:
            note = f"no bias: every row of {W} multiplies each {self._unit()} of {a}"
        return [base | dict(value=self.S(s.value), latex=latex, operands=tuple(ops),
                            operator="·+" if self.bias else "·", weight=W, source=a, note=note)]

    def _activation(self, s, base):
        (z,) = s.operands
        return [base | dict(value=self.S(s.value), operands=(Factor(z.name, self.ps(z.shape[1])),),
                            operator=s.operator)]

    def _output(self, s, base):
        C = s.shape[1]
        if s.operator == "softmax":
            note = f"each {self._unit()} sums to 1"
        else:
            note = f"a sigmoid output layer: each entry lies between 0 and 1, {self._unit()}s need not sum to 1"
        return [base | dict(value=self.S(s.value), operands=(Factor(s.operands[0].name, self.ps(C)),),
                            operator=s.operator, note=note)]

    def _loss(self, s, base):
        C = s.operands[0].shape[1]
        latex = s.latex.replace("_{b,j}", "_{j,b}") if self.col else s.latex
        note = (f"labels ({format_shape((self.B,))}) are the integer classes; y "
                f"({format_shape(self.ps(C))}, one-hot) has a 1 at each label"
                + ("" if self.B == 1 else f"; L is the mean over the batch of B = {self.B}"))
        return [base | dict(latex=latex, operands=(Factor("ŷ", self.ps(C)), Factor("labels", (self.B,))),
                            operator=s.operator, note=note)]

    def _flip_note(self, text: str) -> str:
        return text.replace("ŷᵀŷ", "ŷŷᵀ").replace("g·ŷᵀ", "ŷᵀ·g") if self.col else text

    def _loss_gradient(self, s, base):
        C = s.shape[1]
        return [base | dict(value=self.S(s.value),
                            operands=(Factor("ŷ", self.ps(C)), Factor("y", self.ps(C), note="one-hot")),
                            operator="−")]

    def _output_gradient(self, s, base):
        C = s.shape[1]
        ops = tuple(Factor(f.name, self.ps(C), note=f.note) for f in s.operands)
        g, J = s.factors
        factors = (Factor(g.name, self.vec(C), g.structure, note=g.note),
                   Factor(J.name, self.vec(C) + self.vec(C), J.structure, note=self._flip_note(J.note)))
        return [base | dict(value=self.S(s.value), operands=ops, operator=s.operator, factors=factors,
                            note=self._flip_note(s.note))]

    def _parameter_gradient(self, s, base):
        k, a = s.layer, s.source
        n_in, n_out = self.widths(k)
        W, b, d = f"W{k}", f"b{k}", f"δ{k}"
        (Wg, bg), = params_from_stored([s.value], self.conv, bias=self.bias)
        if self.col:
            ops = (Factor(d, self.ps(n_out), note=f"= ∂L/∂z{k}"), Factor(f"{a}ᵀ", (self.B, n_in)))
            latex, outer = rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = \delta_{{{k}}}\,{_tex(a)}^\top", \
                f"{d} · {a}ᵀ"
        else:
            ops = (Factor(f"{d}ᵀ", (n_out, self.B), note=f"= ∂L/∂z{k}"), Factor(a, self.ps(n_in)))
            latex, outer = rf"\frac{{\partial L}}{{\partial W_{{{k}}}}} = \delta_{{{k}}}^\top {_tex(a)}", \
                f"{d}ᵀ · {a}"
        jac = self.vec(n_out) + (n_out, n_in)
        factors = (Factor(f"∂L/∂z{k}", self.vec(n_out), "gradient"),
                   Factor(f"∂z{k}/∂{W}", jac, "outer",
                          note=f"{format_shape(jac)}, a {len(jac)}-D tensor that is zero except where "
                               f"output unit = row of {W}; contracted with {d} it collapses to the outer "
                               f"product {outer}"))
        out = [base | dict(value=Wg, latex=latex, operands=ops, operator="·", factors=factors, weight=W,
                           source=a, target=W)]
        if bg is not None:
            ones = Factor("1", (self.B, 1), note="a column of ones")
            if self.col:
                ops = (Factor(d, self.ps(n_out), note=f"= ∂L/∂z{k}"), ones)
                latex, op = rf"\frac{{\partial L}}{{\partial b_{{{k}}}}} = \delta_{{{k}}}\,\mathbf{{1}}", "·"
            else:
                ops = (Factor(d, self.ps(n_out), note=f"= ∂L/∂z{k}"),)
                latex, op = rf"\frac{{\partial L}}{{\partial b_{{{k}}}}} = \sum_{{\text{{rows}}}} \delta_{{{k}}}", \
                    "Σ_rows"
            jac = self.vec(n_out) + self.bshape(n_out)
            factors = (Factor(f"∂L/∂z{k}", self.vec(n_out), "gradient"),
                       Factor(f"∂z{k}/∂{b}", jac, "identity",
                              note=f"{format_shape(jac)}: each unit's bias adds to its own z only, once "
                                   f"per sample"))
            note = "" if self.B == 1 else (f"the sum over the batch happens here: each of the B = {self.B} "
                                           f"samples adds its δ to the one bias")
            out.append(base | dict(name=f"dL/d{b}", value=bg, latex=latex, operands=ops, operator=op,
                                   factors=factors, target=b, jacobian=(f"z{k}", b), batch_mean=False,
                                   note=note))
        return out

    def _input_gradient(self, s, base):
        k, a = s.layer, s.wrt
        n_in, n_out = self.widths(k)
        W, d = f"W{k}", f"δ{k}"
        if self.col:
            ops = (Factor(f"{W}ᵀ", (n_in, n_out)), Factor(d, self.ps(n_out), note=f"= ∂L/∂z{k}"))
            latex = rf"\frac{{\partial L}}{{\partial {_tex(a)}}} = W_{{{k}}}^\top \delta_{{{k}}}"
        else:
            ops = (Factor(d, self.ps(n_out), note=f"= ∂L/∂z{k}"), Factor(W, (n_out, n_in)))
            latex = rf"\frac{{\partial L}}{{\partial {_tex(a)}}} = \delta_{{{k}}}\,W_{{{k}}}"
        if self.bias:
            note = (f"b{k} is added to z{k} but does not depend on {a}: it has no path back. {W} "
                    f"({format_shape((n_out, n_in))}) holds only the weights, all of which multiply {a}, "
                    f"so nothing is dropped (in the row-folded convention this is the dropped bias row, "
                    f"W{k}[1:])")
        else:
            note = (f"no bias: all of {W} ({format_shape((n_out, n_in))}) multiplies {a}, so all of it "
                    f"carries the gradient back")
        J = s.factors[1]
        factors = (Factor(f"∂L/∂z{k}", self.vec(n_out), "gradient"),
                   Factor(J.name, self.vec(n_out) + self.vec(n_in), J.structure, note=f"= {W} for each sample"))
        return [base | dict(value=self.S(s.value), latex=latex, operands=ops, operator="·", factors=factors,
                            weight=W, drops_bias_row=False, note=note)]

    def _gradient(self, s, base):
        m = s.shape[1]
        ops = tuple(Factor(f.name, self.ps(m), note=f.note) for f in s.operands)
        g, J = s.factors
        factors = (Factor(g.name, self.vec(m), g.structure), Factor(J.name, self.vec(m) * 2 if self.B == 1
                                                                      else self.ps(m) * 2, J.structure,
                                                                      note=J.note))
        return [base | dict(value=self.S(s.value), operands=ops, operator=s.operator, factors=factors,
                            note="a diagonal Jacobian times a vector is an elementwise product")]

    # -------------------------------------------------------- Jacobians
    def jacobians(self) -> dict:
        out = {}
        for of, wrt in self.trace.jacobian_pairs:
            out[(of, wrt)] = self._pair(of, wrt, wrt)
            if wrt.startswith("W") and self.bias:
                out[(of, f"b{wrt[1:]}")] = self._pair(of, wrt, f"b{wrt[1:]}")
        return out

    def _role(self, name: str) -> str:
        return "scalar" if name == "L" else "weight" if name[0] in "Wb" and name[1:].isdigit() else "sample"

    def _pair(self, of: str, stored_wrt: str, wrt: str):
        stored = self.trace.jacobian_info(of, stored_wrt)
        wrt_role = "bias" if wrt.startswith("b") else self._role(wrt)
        of_role = self._role(of)
        shape = self._shape(of_role, stored.of_shape) + self._shape(wrt_role, stored.wrt_shape)
        of_ndim = len(self._shape(of_role, stored.of_shape))
        efficient, note, entries, structure = self._texts(of, wrt, stored)
        info = JacobianInfo(of=stored.of, wrt=wrt, shape=shape, structure=structure, efficient=efficient,
                            efficient_entries=entries, note=note, of_ndim=of_ndim)

        def materialise(max_entries: int = MAX_JACOBIAN_ENTRIES) -> np.ndarray:
            guard_size(info, max_entries)
            J = self.trace.jacobian(of, stored_wrt, max_entries=max(max_entries, stored.entries))
            J = self._axes(J, stored.of_ndim, wrt_role)
            return self._axes(J, 0, of_role)

        return (lambda: info), materialise

    def _shape(self, role: str, shape: tuple) -> tuple:
        if role == "sample":
            return shape[::-1] if self.col else shape
        if role == "weight":
            return (shape[1], shape[0] - self.bias)
        if role == "bias":
            return self.bshape(shape[1])
        return shape

    def _axes(self, J: np.ndarray, start: int, role: str) -> np.ndarray:
        """Convert the axes of one quantity, starting at axis ``start``, to this convention."""
        if role == "sample" and self.col and J.ndim >= start + 2 and self.B > 1:
            return np.swapaxes(J, start, start + 1)
        if role == "weight":
            if self.bias:
                J = np.take(J, np.arange(1, J.shape[start]), axis=start)
            return np.swapaxes(J, start, start + 1)
        if role == "bias":
            J = np.take(J, 0, axis=start)
            return np.expand_dims(J, start + 1) if self.col else J
        return J

    def _texts(self, of: str, wrt: str, stored: JacobianInfo) -> tuple[str, str, int, str]:
        if not of.startswith("z") or of == "z":
            return (self._flip_note(stored.efficient), self._flip_note(stored.note), stored.efficient_entries,
                    stored.structure)
        k = int(of[1:])
        n_in, n_out = self.widths(k)
        d, W = f"δ{k}", f"W{k}"
        if wrt == W:
            a = "x" if k == 1 else f"H{k - 1}"
            outer = (f"{d} · {a}ᵀ ({format_shape(self.ps(n_out))} · {format_shape((self.B, n_in))})" if self.col
                     else f"{d}ᵀ · {a} ({format_shape((n_out, self.B))} · {format_shape((self.B, n_in))})")
            return (f"the outer product {outer}", f"∂z_j/∂{W}_jm = {a}_m: row j of {W} meets the input",
                    n_in * n_out, "outer")
        if wrt.startswith("b"):
            return (f"the sum of {d} over the batch", "∂z_j/∂b_j = 1: each unit has its own bias",
                    n_out, "identity")
        how = f"W{k}ᵀ · {d}" if self.col else f"{d} · W{k}"
        return (f"a product with {W} ({format_shape((n_out, n_in))}): {how}",
                f"= {W} ({format_shape((n_out, n_in))}) for each sample; the bias has no path back to {wrt}",
                n_in * n_out, stored.structure)
