"""A small Pratt parser for a learner's expression, with its optional left side and claim.

Precedence, loosest first: ``+ −``; products (matrix ``· @ *`` and juxtaposition,
elementwise ``⊙ .*``, ``/`` by a number) on one level, left to right; unary minus;
postfix transpose, index ``[1:]`` and power. ``H2(1 − H2)``, a name followed by a
parenthesised factor, binds tightest and is decided at evaluation (elementwise when
the shapes are equal). In the NumPy dialect ``*`` is elementwise, ``**`` a power, and
juxtaposition is an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from .nodes import BinOp, Call, Deriv, Index, Name, Neg, Node, Num, Ones, Power, Transpose, walk
from .tokens import MAX_DEPTH, ParseFailure, Token, tokenize

_DIMS = r"(\d+(?:\s*(?:×|x|X|\\times|\*|,|\\,)\s*\d+)*)"
_CLAIM_SET = re.compile(
    r"(?:∈|\\in(?![A-Za-z]))\s*(?:ℝ|R|\\mathbb\s*\{?\s*R\s*\}?|\\R(?![A-Za-z])|\\mathbf\s*\{?\s*R\s*\}?)"
    r"\s*\^?\s*[{(]?\s*" + _DIMS + r"\s*[})]?\s*$")
_CLAIM_PAREN = re.compile(r"[(\[]\s*(\d+\s*(?:×|x|X|\\times|,)\s*\d+(?:\s*(?:×|x|X|\\times|,)\s*\d+)*)"
                          r"\s*[)\]]\s*$")
_SCALARS = {"B", "m"}
_GENERIC_KEY = re.compile(r"@l([+-]\d)?")
_STARTS = {"NUM", "NAME", "DERIV", "FUNC", "LP", "LC", "LB", "FRAC"}
_NUMPY_HINTS = re.compile(r"np\.|numpy\.|\.T(?![A-Za-z0-9_])|\*\*|keepdims|axis\s*=")


@dataclass(frozen=True)
class Parsed:
    """A parsed derivation: the left side (a token or None), the right side, the claim."""

    lhs: Token | None
    rhs: Node
    claimed_shape: tuple[int, ...] | None
    dialect: str


def detect_dialect(text: str) -> str:
    """ "numpy" when the text looks like NumPy code (np., .T, **, keepdims, axis=), else "math"."""
    return "numpy" if _NUMPY_HINTS.search(text) else "math"


def split_claim(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Cut a trailing claimed shape (∈ ℝ^{101×1}, \\in \\mathbb{R}^{…}, (101x1)) off the text."""
    for pattern in (_CLAIM_SET, _CLAIM_PAREN):
        m = pattern.search(text)
        if m:
            dims = tuple(int(d) for d in re.findall(r"\d+", m.group(1)))
            return text[:m.start()], dims
    return text, None


def parse(text: str, dialect: str | None = None) -> Parsed:
    """Parse ``[lhs =] rhs [claim]``; raises :class:`ParseFailure` pointing at the character."""
    if not isinstance(text, str):
        raise ParseFailure(0, f"the derivation must be text (a str); got {type(text).__name__}")
    body, claim = split_claim(text)
    dialect = dialect or detect_dialect(body)
    tokens = tokenize(body)
    eq = _top_level_equals(tokens)
    lhs = None
    if eq is not None:
        left = tokens[:eq]
        if len(left) != 1 or left[0].kind not in ("NAME", "DERIV"):
            at = left[0].pos if left else tokens[eq].pos
            raise ParseFailure(at, "the left side of = should name what you computed, such as "
                                   "dL/dW2, \\frac{\\partial L}{\\partial W_2}, dW2 or δ2")
        lhs = left[0]
        tokens = tokens[eq + 1:]
        if not tokens:
            raise ParseFailure(len(body), "nothing follows =: write the expression after it")
    if not tokens:
        raise ParseFailure(0, "the text is empty: write an expression such as [1 H1]^T δ2")
    parser = _Parser(tokens, dialect, len(body))
    rhs = parser.expression(0)
    if parser.i < len(tokens):
        t = tokens[parser.i]
        raise ParseFailure(t.pos, f"unexpected {t.text!r} here: the expression seems to end before it; "
                                   f"remove it, or add the operator or ( it belongs to")
    return Parsed(lhs, rhs, claim, dialect)


def generic_layers(parsed: Parsed) -> bool:
    """Whether the text names layers by a letter l (δ^l, w^{l+1}), as Nielsen writes them."""
    keys = [n.key for n in walk(parsed.rhs) if isinstance(n, Name)]
    if parsed.lhs is not None:
        keys += [v for v in (parsed.lhs.value if isinstance(parsed.lhs.value, tuple) else (parsed.lhs.value,))]
    return any("@l" in k for k in keys)


def instantiate(parsed: Parsed, layer: int) -> Parsed:
    """The same derivation with the letter l replaced by ``layer`` (w@l+1 -> w3 for layer 2)."""
    def key(k: str) -> str:
        return _GENERIC_KEY.sub(lambda m: str(layer + int(m.group(1) or 0)), k)

    def node(n: Node) -> Node:
        if isinstance(n, Name):
            return replace(n, key=key(n.key))
        changes = {}
        for f in fields(n):
            v = getattr(n, f.name)
            if isinstance(v, Node):
                changes[f.name] = node(v)
            elif isinstance(v, tuple) and v and all(isinstance(x, Node) for x in v):
                changes[f.name] = tuple(node(x) for x in v)
        return replace(n, **changes) if changes else n

    lhs = parsed.lhs
    if lhs is not None:
        value = tuple(key(v) for v in lhs.value) if isinstance(lhs.value, tuple) else key(lhs.value)
        lhs = replace(lhs, value=value)
    return replace(parsed, lhs=lhs, rhs=node(parsed.rhs))


def _top_level_equals(tokens: list[Token]) -> int | None:
    depth = 0
    for k, t in enumerate(tokens):
        depth += t.kind in ("LP", "LB", "LC")
        depth -= t.kind in ("RP", "RB", "RC")
        if t.kind == "EQ" and depth == 0:
            return k
    return None


class _Parser:
    def __init__(self, tokens: list[Token], dialect: str, length: int) -> None:
        self.tokens = tokens
        self.dialect = dialect
        self.length = length
        self.i = 0
        self.depth = 0

    # ------------------------------------------------------------- helpers
    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def next(self) -> Token:
        t = self.peek()
        if t is None:
            raise ParseFailure(self.length, "the expression ends too early: add the missing "
                                            "factor at the end, or remove the last operator")
        self.i += 1
        return t

    def expect(self, kind: str, what: str, opened: Token) -> Token:
        t = self.peek()
        if t is None or t.kind != kind:
            at = t.pos if t is not None else self.length
            raise ParseFailure(at, f"expected {what} to close the {opened.text!r} at character "
                                   f"{opened.pos + 1}")
        return self.next()

    def nested(self, at: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseFailure(at, f"the expression nests more than {MAX_DEPTH} levels deep; "
                                   f"check one factor at a time")

    # ---------------------------------------------------------- binding power
    def left_bp(self, t: Token) -> int:
        if t.kind == "OP":
            return 10 if t.value in ("+", "−") else 20
        if t.kind == "STAR":
            return 20
        if t.kind in ("T", "PRIME", "POW", "POWOP"):
            return 40
        if t.kind == "LB" and not t.space_before and self.is_index():
            return 40
        if t.kind in _STARTS:
            return 20  # juxtaposition
        return 0

    def is_index(self) -> bool:
        """Whether the [ at self.i holds an index such as [1:], [0] or [1:, :]."""
        j = self.i + 1
        while j < len(self.tokens) and self.tokens[j].kind in ("NUM", "COLON", "COMMA", "OP"):
            j += 1
        inside = self.tokens[self.i + 1:j]
        return (j < len(self.tokens) and self.tokens[j].kind == "RB" and bool(inside)
                and (any(t.kind == "COLON" for t in inside) or len(inside) == 1))

    # -------------------------------------------------------------- parsing
    def expression(self, rbp: int) -> Node:
        first = self.peek()
        self.nested(first.pos if first else self.length)
        left = self.nud(self.next())
        while True:
            t = self.peek()
            if t is None or self.left_bp(t) <= rbp:
                break
            left = self.led(t, left)
        self.depth -= 1
        return left

    def nud(self, t: Token) -> Node:
        kind = t.kind
        if kind == "NUM":
            return Num(t.value, pos=t.pos, end=t.end)
        if kind == "NAME":
            return self.name(t)
        if kind == "DERIV":
            return Deriv(*t.value, pos=t.pos, end=t.end)
        if kind == "OP" and t.value in ("−", "+"):
            x = self.expression(30)
            return Neg(x, pos=t.pos, end=x.end) if t.value == "−" else x
        if kind in ("LP", "LC"):
            inner = self.expression(0)
            close = self.expect("RP" if kind == "LP" else "RC", "')'" if kind == "LP" else "'}'", t)
            return _respan(inner, t.pos, close.end)
        if kind == "LB":
            return self.ones(t)
        if kind == "FUNC":
            return self.call(t)
        if kind == "FRAC":
            a = self.group("the numerator of \\frac")
            b = self.group("the denominator of \\frac")
            return BinOp("/", a, b, "/", pos=t.pos, end=b.end + 1)
        raise ParseFailure(t.pos, f"{t.text!r} cannot start a factor here; a name, a number or "
                                  f"'(' should come first")

    def led(self, t: Token, left: Node) -> Node:
        kind = t.kind
        if kind in ("T", "PRIME"):
            self.next()
            return Transpose(left, pos=left.pos, end=t.end)
        if kind == "POW":
            self.next()
            return Power(left, t.value, pos=left.pos, end=t.end)
        if kind == "POWOP":
            self.next()
            n = self.next()
            if n.kind != "NUM" or n.value != int(n.value) or not 0 <= n.value <= 9:
                raise ParseFailure(n.pos, "after ** write a small whole power, such as ** 2")
            return Power(left, int(n.value), pos=left.pos, end=n.end)
        if kind == "LB" and not t.space_before and self.is_index():
            return self.index(left)
        if kind in ("OP", "STAR"):
            self.next()
            right = self.expression(20 if t.value not in ("+", "−") else 10)
            op = self.operator(t)
            return BinOp(op, left, right, t.text, pos=left.pos, end=right.end)
        # juxtaposition
        if self.dialect == "numpy":
            raise ParseFailure(t.pos, "in NumPy code two factors need an operator between them: "
                                      "@ or np.dot for a matrix product, * for elementwise")
        right = self.expression(20)
        return BinOp("matmul", left, right, "", pos=left.pos, end=right.end)

    def operator(self, t: Token) -> str:
        if t.kind == "STAR":
            return "elementwise" if self.dialect == "numpy" else "matmul"
        return {"+": "+", "−": "−", "/": "/", "⊙": "elementwise"}.get(t.value, "matmul")

    def name(self, t: Token) -> Node:
        node = Name(t.value, pos=t.pos, end=t.end)
        nxt = self.peek()
        if t.value in _SCALARS:  # 1/B (ŷ − y): the batch size is a number, not a factor to pair
            return node
        if nxt is not None and nxt.kind == "LP" and self.dialect == "math":
            self.next()
            inner = self.expression(0)
            close = self.expect("RP", "')'", nxt)
            group = _respan(inner, nxt.pos, close.end)
            postfixed = group
            while self.peek() is not None and self.left_bp(self.peek()) == 40:
                postfixed = self.led(self.peek(), postfixed)
            if postfixed is not group:  # A (B)^T: a plain product, not the H(1 − H) reading
                return BinOp("matmul", node, postfixed, "", pos=t.pos, end=postfixed.end)
            return BinOp("implicit", node, group, "", pos=t.pos, end=close.end)
        if nxt is not None and nxt.kind == "LP":
            raise ParseFailure(nxt.pos, f"{t.text} is not a function: in NumPy code write "
                                        f"{t.text} * (...) for an elementwise product")
        return node

    def group(self, what: str) -> Node:
        t = self.next()
        if t.kind != "LC":
            raise ParseFailure(t.pos, f"write {what} in braces, as in \\frac{{1}}{{B}}")
        inner = self.expression(0)
        close = self.expect("RC", "'}'", t)
        return _respan(inner, t.pos, close.end)

    def ones(self, t: Token) -> Node:
        one = self.next()
        if one.kind != "NUM" or one.value != 1:
            raise ParseFailure(one.pos, "brackets hold the input with its leading 1, as in [1 H1] "
                                        "or [1, x]; for grouping use parentheses")
        if self.peek() is not None and self.peek().kind == "COMMA":
            self.next()
        inner = self.expression(0)
        close = self.expect("RB", "']'", t)
        return Ones(inner, pos=t.pos, end=close.end)

    def index(self, left: Node) -> Node:
        t = self.next()
        items, current, seen_colon = [], [None, None], False
        while True:
            tok = self.next()
            if tok.kind == "NUM" or (tok.kind == "OP" and tok.value == "−"):
                sign = -1 if tok.kind == "OP" else 1
                if sign < 0:
                    tok = self.next()
                    if tok.kind != "NUM":
                        raise ParseFailure(tok.pos, "write a whole number in an index, as in W3[1:]")
                if tok.value != int(tok.value):
                    raise ParseFailure(tok.pos, "an index must be a whole number, as in W3[1:]")
                current[1 if seen_colon else 0] = sign * int(tok.value)
            elif tok.kind == "COLON":
                if seen_colon:
                    raise ParseFailure(tok.pos, "steps in slices are not supported; write W3[1:]")
                seen_colon = True
            elif tok.kind in ("COMMA", "RB"):
                items.append(tuple(current) if seen_colon else current[0])
                current, seen_colon = [None, None], False
                if tok.kind == "RB":
                    break
            else:
                raise ParseFailure(tok.pos, "an index holds numbers and colons only, as in W3[1:]")
        if len(items) > 2 or any(i is None for i in items):
            raise ParseFailure(t.pos, "index a matrix with at most two items, as in W3[1:] or W2[1:, :]")
        return Index(left, tuple(items), pos=left.pos, end=tok.end)

    def call(self, t: Token) -> Node:
        func = t.value
        prime = False
        while self.peek() is not None and self.peek().kind == "PRIME":
            self.next()
            prime = True
        if func in ("σ", "sigma", "sigmoid"):
            func = "σ"
        if func in ("f", "g") and not prime:
            raise ParseFailure(t.pos, f"{t.text}(…) is not a quantity here: write the activation by "
                                      f"name (σ, tanh, relu) or its derivative {t.text}′(z2)")
        if prime:
            if func not in ("σ", "tanh", "relu", "f", "g"):
                raise ParseFailure(t.pos, f"{t.text}′ is not a derivative the checker knows; use "
                                          f"σ′, tanh′, relu′ or f′")
            func = ("f" if func == "g" else func) + "′"
        opened = self.peek()
        if opened is None or opened.kind not in ("LP", "LC"):
            raise ParseFailure(t.end, f"write the argument of {t.text} in parentheses, as in "
                                      f"{t.text}(z2)")
        self.next()
        args, kwargs = [], []
        close = "RP" if opened.kind == "LP" else "RC"
        while True:
            nxt = self.peek()
            if nxt is not None and nxt.kind == close and (args or kwargs):
                break
            after = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
            if nxt is not None and nxt.kind == "NAME" and after is not None and after.kind == "EQ":
                self.i += 2
                value = self.next()
                if value.kind == "OP" and value.value == "−":
                    value = self.next()
                    kwargs.append((nxt.value, -value.value if value.kind == "NUM" else value.value))
                else:
                    kwargs.append((nxt.value, value.value))
            else:
                args.append(self.expression(0))
            if self.peek() is not None and self.peek().kind == "COMMA":
                self.next()
                continue
            break
        end = self.expect(close, "')'", opened)
        return Call(func, tuple(args), tuple(kwargs), pos=t.pos, end=end.end)


def _respan(node: Node, pos: int, end: int) -> Node:
    """The same node, its span widened to include the parentheses around it."""
    return replace(node, pos=pos, end=end)
