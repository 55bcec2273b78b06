"""``check_derivation``: read a learner's derivation, evaluate it on a trace, name the mistakes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Sequence

import numpy as np

from ...errors import ConfigError
from ..jacobian import format_shape
from .diagnose import Context, Diagnosis, close
from .evaluate import EvalStep, Evaluator, Failure
from .grammar import Parsed, generic_layers, instantiate, parse
from .names import CONVENTIONS, MAX_LOCAL_JACOBIAN, Names, Network, Target, UnknownName, _split
from .nodes import Call, Deriv, Name, walk
from .tokens import ParseFailure, tokenize

DIALECTS = ("math", "numpy")


@dataclass(frozen=True)
class DerivationCheck:
    """The verdict on one derivation.

    ``ok`` is True exactly when the value equals the trace's target (float tolerance) and any
    claimed shape is right; ``mistakes`` (codes from :data:`~.diagnose.MISTAKES`) is then empty.
    ``steps`` lists every evaluated sub-expression with ``.text``, ``.shape``, ``.rule``; the
    step with ``ok`` False is where evaluation stopped. ``message`` is plain text.
    """

    text: str
    ok: bool
    target: str | None
    shape: tuple[int, ...] | None
    claimed_shape: tuple[int, ...] | None
    expected_shape: tuple[int, ...] | None
    steps: tuple[EvalStep, ...]
    mistakes: tuple[str, ...]
    explanations: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]
    convention: str
    dialect: str
    error_pos: int | None = None
    value: np.ndarray | None = field(default=None, repr=False, compare=False)

    @property
    def failed_step(self) -> int | None:
        """The index in ``steps`` of the step where evaluation stopped, or None."""
        return next((i for i, s in enumerate(self.steps) if not s.ok), None)

    def rows(self) -> list[dict]:
        """The sub-expression table: text, shape ("1×10" or "✗"), rule, status ("ok"/"failed")."""
        return [{"text": s.text, "shape": format_shape(s.shape) if s.shape is not None else "✗",
                 "rule": s.rule, "status": "ok" if s.ok else "failed", "depth": s.depth}
                for s in self.steps]

    def table(self) -> str:
        """The sub-expressions as aligned text (numbers left out): text, shape, rule; ✗ where it stops."""
        rows = [r for r in self.rows() if r["rule"] != "number"]
        if not rows:
            return ""
        texts = [" ".join(r["text"].split()) for r in rows]
        width = min(max(len(t) for t in texts), 48)
        shape = max(len(r["shape"]) for r in rows)
        return "\n".join(f"  {t.ljust(width)}  {r['shape'].rjust(shape)}  {r['rule']}"
                         for t, r in zip(texts, rows))

    @property
    def message(self) -> str:
        if self.error_pos is not None:
            return (f"✗ Cannot read this: {self.explanations[0][1]}\n  {self.text}\n"
                    f"  {' ' * self.error_pos}^")
        lines = []
        name = self.target or "your expression"
        if self.ok:
            claim = ", as claimed" if self.claimed_shape else ""
            lines.append(f"✓ Right: {name} is {format_shape(self.shape)}{claim}, and every value equals "
                         f"the recorded pass.")
        else:
            got = f"is {format_shape(self.shape)}" if self.shape is not None else "does not evaluate"
            want = f" (the trace's {name} is {format_shape(self.expected_shape)})" \
                if self.expected_shape is not None and self.target else ""
            lines.append(f"✗ Not yet: your expression {got}{want}.")
            failed = self.failed_step
            if failed is not None:
                s = self.steps[failed]
                lines.append(f"It stops at {s.text}: {s.rule}.")
            if self.steps:
                lines.append("Step by step:\n" + self.table())
        lines += [f"Note: {n}." for n in self.notes]
        lines += [f"{code}: {text}" for code, text in self.explanations]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else ", ".join(self.mistakes)
        got = "—" if self.shape is None else format_shape(self.shape)
        return f"DerivationCheck({self.target or '?'}: {verdict}; shape {got})"

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython shows the message
        printer.text(self.message)

    def to_markdown(self) -> str:
        """The verdict, the sub-expression table (the failed row marked) and the mistakes."""
        head = "✓ Right" if self.ok else "✗ Not yet"
        out = [f"**{head}**: `{self.text}`", ""]
        if self.steps:
            out += ["| sub-expression | shape | rule |", "|---|---|---|"]
            for r in self.rows():
                mark = "**✗**" if r["status"] == "failed" else r["shape"]
                out.append(f"| `{_md(r['text'])}` | {mark} | {_md(r['rule'])} |")
            out.append("")
        out += [f"- Note: {_md(n)}" for n in self.notes]
        out += [f"- **{code}**: {_md(text)}" for code, text in self.explanations]
        if self.error_pos is not None:
            out += ["```", self.text, " " * self.error_pos + "^", "```"]
        return "\n".join(out) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


# --------------------------------------------------------------------- entry
def check_derivation(trace, text: str, target: str | None = None, *, convention: str = "row-folded",
                     dialect: str | None = None,
                     weights: Sequence[np.ndarray] | None = None) -> DerivationCheck:
    """Check a learner's derivation, such as ``"dL/dW2 = [1 H1]^T δ2"``, against ``trace``.

    ``target`` names what the expression should equal when the text has no left side
    (``"dL/dW2"``, ``"dH2/dz2"``, ``"dW2"``, ``"δ2"``). ``convention`` is "row-folded" (the
    package's), "row-separate" or "column"; ``dialect`` "math" or "numpy" (detected when None).
    ``weights`` (the network's W_k) is only needed for traces that do not carry them.
    Parse errors and unknown names come back as results, never as exceptions.
    """
    # Its products are small: one BLAS thread is many times faster than several fighting
    # over a busy machine's cores (22 ms against 0.6 ms for 785×100 · 100×10 on 2 shared cores).
    from threadpoolctl import ThreadpoolController

    with ThreadpoolController().limit(limits=1, user_api="blas"):
        return _check(trace, text, target, convention, dialect, weights)


def _check(trace, text, target, convention, dialect, weights) -> DerivationCheck:
    if convention not in CONVENTIONS:
        raise ConfigError(f"convention must be one of {', '.join(CONVENTIONS)}; got {convention!r}.")
    if dialect is not None and dialect not in DIALECTS:
        raise ConfigError(f"dialect must be \"math\", \"numpy\" or None (detect it); got {dialect!r}.")
    if not isinstance(text, str):
        raise ConfigError(f"the derivation must be text (a str), such as \"dL/dW2 = [1 H1]^T δ2\"; "
                          f"got {type(text).__name__}.")
    if target is not None and not isinstance(target, str):
        raise ConfigError(f"target must be a name such as \"dL/dW2\"; got {type(target).__name__}.")
    base = dict(text=text, convention=convention, dialect=dialect or "math")
    try:
        parsed = parse(text, dialect)
    except ParseFailure as e:
        return _result(base, mistakes=[("parse-error", e.message + ".")], error_pos=min(e.pos, len(text)))
    base["dialect"] = parsed.dialect
    names = Names(Network(trace, weights), convention)
    if generic_layers(parsed):
        return _check_every_layer(names, parsed, target, base)
    return _check_parsed(names, parsed, target, base)


def _check_every_layer(names: Names, parsed: Parsed, target, base) -> DerivationCheck:
    """Nielsen's δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l): check it at every layer l it names."""
    results = []
    for layer in range(1, names.net.n + 1):
        concrete = instantiate(parsed, layer)
        if _unknown_names(names, concrete) or (concrete.lhs is None and target is None):
            continue
        results.append((layer, _check_parsed(names, concrete, target, base)))
    if not results:
        return _result(base, mistakes=[("unknown-name", "the layer index l fits no layer of this network; "
                                                         "write the layers as numbers, such as δ2")])
    layers = ", ".join(str(layer) for layer, _ in results)
    wrong = [(layer, r) for layer, r in results if not r.ok]
    layer, result = wrong[0] if wrong else results[0]
    note = (f"checked for every layer l where its names exist (l = {layers})" if not wrong else
            f"read with l = {layer}, the first layer where it fails (checked l = {layers})")
    return replace(result, notes=result.notes + (note,))


def _check_parsed(names: Names, parsed: Parsed, target, base) -> DerivationCheck:
    text = base["text"]
    unknown = _unknown_names(names, parsed)
    if unknown:
        return _result(base, mistakes=[("unknown-name", " ".join(unknown))], claim=parsed.claimed_shape)
    ev = Evaluator(names, text, parsed.dialect)
    value, failure = None, None
    try:
        value = ev.value(parsed.rhs)
    except Failure as f:
        failure = f
    except UnknownName as u:
        return _result(base, mistakes=[("unknown-name", u.hint)], claim=parsed.claimed_shape)
    try:
        t, note = _target(names, parsed, target, value, text)
    except UnknownName as u:
        return _result(base, mistakes=[("unknown-name", u.hint)], claim=parsed.claimed_shape,
                       steps=ev.steps, shape=None if value is None else value.shape)
    notes = list(dict.fromkeys(ev.notes + ([note] if note else [])))
    ctx = Context(names, t, text, parsed.rhs, parsed.dialect, value, failure, parsed.claimed_shape)
    found = Diagnosis(ctx).run()
    value_ok = value is not None and (close(value, t.value) if t.value is not None else value.shape == t.shape)
    if t.value is None and value_ok:
        notes.append(f"{t.name} is too large to build, so only its shape was compared")
    if not value_ok and not found:
        found = {"wrong-value" if value is not None and value.shape == t.shape else "shape-mismatch":
                 f"the result differs from the trace's {t.name}."}
    return _result(base, target=t, mistakes=list(found.items()), claim=parsed.claimed_shape,
                   steps=ev.steps, shape=None if value is None else value.shape, notes=notes, value=value)


def _result(base, *, mistakes, target: Target | None = None, claim=None, steps=(), shape=None,
            notes=(), error_pos=None, value=None) -> DerivationCheck:
    return DerivationCheck(
        text=base["text"], ok=not mistakes, target=_trace_name(target) if target else None,
        shape=None if shape is None else tuple(shape), claimed_shape=claim,
        expected_shape=target.shape if target else None, steps=tuple(steps),
        mistakes=tuple(code for code, _ in mistakes), explanations=tuple(mistakes),
        notes=tuple(notes), convention=base["convention"], dialect=base["dialect"], error_pos=error_pos,
        value=value)


def _trace_name(t: Target) -> str:
    return t.name


# ------------------------------------------------------------------- names
def _unknown_names(names: Names, parsed: Parsed) -> list[str]:
    out = []
    for node in walk(parsed.rhs):
        try:
            if isinstance(node, Name):
                names.lookup(node.key)
            elif isinstance(node, Deriv):
                names.gradient(node.wrt) if node.of == "L" else names.local(node.of, node.wrt)
            elif isinstance(node, Call) and node.func.startswith("np.") and node.func not in _NP:
                raise UnknownName(node.func, f"{node.func} is not a function the checker knows; use "
                                             f"{', '.join(sorted(_NP))}")
        except UnknownName as u:
            if u.hint not in out:
                out.append(u.hint)
    return [h if h.endswith(".") else h + "." for h in out]


_NP = {"np.dot", "np.matmul", "np.multiply", "np.sum", "np.mean", "np.power", "np.tanh", "np.exp",
       "np.transpose", "np.outer", "np.diag"}


# ------------------------------------------------------------------ target
def _target(names: Names, parsed: Parsed, target: str | None, value, text: str) -> tuple[Target, str]:
    token = parsed.lhs
    note = ""
    if token is None and target is not None:
        try:
            toks = tokenize(target.strip())
        except ParseFailure:
            toks = []
        if len(toks) != 1 or toks[0].kind not in ("NAME", "DERIV"):
            raise UnknownName(target, f"target {target!r} is not a name the checker knows; use "
                                      f"\"dL/dW2\", \"dL/dz2\", \"dH2/dz2\" or a step of the trace")
        token = toks[0]
    elif token is not None and target is not None:
        note = f"checked against {' '.join(token.text.split())}, the left side you wrote"
    if token is None:
        return _infer(names, value), "no left side: the target was recognised from the value"
    if token.kind == "DERIV":
        of, wrt = token.value
        if of == "L":
            q = names.gradient(wrt)
            return _gradient_target(names, q.grad_of, q.layer, q.value, f"dL/d{wrt}", ""), note
        return _local_target(names, of, wrt), note
    q = names.lookup(token.value)
    if q.kind == "gradient":
        d, base, _ = _split(token.value)
        ng = names.column and d and base in ("z", "H")
        reading = (f"Ng's reading: {token.value} stacks the per-sample gradients (B = {names.net.B} "
                   f"times ∂L/∂{token.value[1:]} of the mean loss)") if ng and names.net.B > 1 else ""
        if names.column:
            label = token.value if d or base != "δ" else f"δ{q.layer}"
        else:  # the package's own name of the gradient
            label = f"dL/d{q.grad_of}{q.layer}"
        return _gradient_target(names, q.grad_of, q.layer, q.value, label, reading), \
            "; ".join(x for x in (note, reading) if x)
    if q.kind in ("batch", "derivative"):
        raise UnknownName(token.value, f"{token.text} is not something to derive; name a gradient "
                                       f"such as dL/dW2 on the left")
    return Target(token.value, tuple(q.value.shape), q.value, "quantity", layer=q.layer,
                  answer=_forward_answer(names, q)), note


def _infer(names: Names, value) -> Target:
    if value is None:
        raise UnknownName("?", "say what your expression is: start with its name, as in "
                               "dL/dW2 = …, or pass target=")
    n = names.net.n
    keys = [f"δ{k}" for k in range(1, n + 1)] + [f"dW{k}" for k in range(1, n + 1)] + \
        [f"dA{k}" for k in range(1, n)]
    if names.convention != "row-folded":
        keys += [f"db{k}" for k in range(1, n + 1)]
    qs = [names.lookup(k) for k in keys]
    match = [q for q in qs if close(value, q.value)] or \
        [q for q in qs if q.value.shape == value.shape and q.kind == "gradient"]
    if len(match) != 1 and not (match and close(value, match[0].value)):
        raise UnknownName("?", "say what your expression is: start with its name, as in dL/dW2 = …, "
                               "or pass target=")
    q = match[0]
    value = q.value / names.net.B if q.grad_of == "H" and names.column else q.value  # Ng's dA: B·∂L/∂A
    return _gradient_target(names, q.grad_of, q.layer, value, f"dL/d{q.grad_of}{q.layer}", "")


def _gradient_target(names: Names, grad_of: str, layer: int, value, name: str, reading: str) -> Target:
    return Target(name, tuple(value.shape), value, "gradient", grad_of=grad_of, layer=layer,
                  reading=reading, answer=right_form(names, grad_of, layer, bool(reading) or
                                                     (names.column and name.startswith("d") and
                                                      not name.startswith("dL/"))))


def _local_target(names: Names, of: str, wrt: str) -> Target:
    pair = names.local(of, wrt)
    trace = names.net.trace
    info = trace.jacobian_info(*pair)
    value = (np.asarray(trace.jacobian(*pair), dtype=np.float64)
             if info.entries <= MAX_LOCAL_JACOBIAN else None)
    a, b = pair
    answer = ""
    if b.startswith("z") and a.startswith("H"):
        answer = f"diag({names.derivative_text(int(b[1:]))})"
    elif a.startswith("z") and not b.startswith("W"):
        answer = f"W{a[1:]}[1:]ᵀ" if names.convention == "row-folded" else f"W{a[1:]}"
    elif a == "y_hat":
        answer = "diag(ŷ) − ŷᵀ ŷ"
    return Target(f"d{a}/d{b}", tuple(info.shape), value, "local", layer=0,
                  structure=info.structure, local=pair, answer=answer)


def _forward_answer(names: Names, q) -> str:
    k = q.layer
    prev = "x" if k == 1 else f"H{k - 1}"
    if q.kind == "pre-activation" and names.convention == "row-folded":
        return f"[1 {prev}] W{k}"
    return ""


def right_form(names: Names, grad_of: str, k: int, ng: bool) -> str:
    """The right expression for a gradient in the learner's convention (what the fix shows)."""
    n, B, conv = names.net.n, names.net.B, names.convention
    mean = "" if B == 1 else "1/B "
    if conv == "column":
        prev = f"A{k - 1}"
        d = "dZ" if ng else "δ"
        if grad_of == "z":
            if k == n:
                return f"A{n} − Y" if ng or B == 1 else f"1/m (A{n} − Y)"
            return f"W{k + 1}ᵀ {d}{k + 1} ⊙ {names.derivative_text(k)}"
        if grad_of == "H":
            return f"W{k + 1}ᵀ {d}{k + 1}"
        if grad_of == "W":
            return f"1/m * np.dot(dZ{k}, {prev}.T)" if B > 1 else f"δ{k} {prev}ᵀ"
        return f"1/m * np.sum(dZ{k}, axis=1, keepdims=True)"
    prev = "x" if k == 1 else f"H{k - 1}"
    w = (lambda j: f"W{j}[1:]ᵀ") if conv == "row-folded" else (lambda j: f"W{j}")
    if grad_of == "z":
        if k == n:
            return f"{mean}(ŷ − y)"
        return f"(δ{k + 1} {w(k + 1)}) ⊙ {names.derivative_text(k)}"
    if grad_of == "H":
        return f"δ{k + 1} {w(k + 1)}"
    if grad_of == "W":
        return f"[1 {prev}]ᵀ δ{k}" if conv == "row-folded" else f"δ{k}ᵀ {prev}"
    return f"np.sum(δ{k}, axis=0, keepdims=True)"
