"""Split a learner's expression into tokens: plain text, LaTeX and NumPy code.

Every token keeps the character offset where it starts, so that a parse error
can point at it. Nothing here evaluates anything; unknown characters become a
:class:`ParseFailure` with a message that names the character and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The longest expression the checker reads (characters) and the deepest nesting.
MAX_LENGTH = 600
MAX_DEPTH = 24
MAX_TOKENS = 300


class ParseFailure(Exception):
    """The text is not an expression the checker reads; ``pos`` is the offending character."""

    def __init__(self, pos: int, message: str) -> None:
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` (NUM, NAME, DERIV, FUNC, OP, T, POW, ...), its text and value."""

    kind: str
    text: str
    pos: int
    end: int
    value: object = None
    space_before: bool = False


# LaTeX commands by meaning. Sizing and spacing commands are read as spaces.
_SPACES = {"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
           "quad", "qquad", "displaystyle", "limits"}
_OPS = {"cdot": ("OP", "·"), "times": ("OP", "·"), "odot": ("OP", "⊙"), "circ": ("OP", "⊙"),
        "ast": ("OP", "*"), "top": ("T", "ᵀ"), "intercal": ("T", "ᵀ"), "prime": ("PRIME", "′"),
        "frac": ("FRAC", "frac"), "dfrac": ("FRAC", "frac"), "tfrac": ("FRAC", "frac")}
_FUNCTIONS = {"sigma": "σ", "tanh": "tanh", "exp": "exp"}
_WRAPPERS = {"operatorname", "mathrm", "text", "textrm", "mathit", "mathbf", "boldsymbol",
             "bm", "mathsf", "hat", "widehat", "tilde", "bar", "vec"}
_GREEK = {"delta": "δ", "Delta": "δ", "partial": "∂", "nabla": "∇", "epsilon": "ε"}

_UNICODE_OPS = {"·": "·", "⋅": "·", "×": "·", "∙": "·", "@": "@", "⊙": "⊙", "∘": "⊙", "◦": "⊙",
                "+": "+", "-": "−", "−": "−", "–": "−", "/": "/", "÷": "/"}
_SUBSCRIPT_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUPERSCRIPT_DIGITS = {"²": 2, "³": 3}
_PRIMES = "'′’"
_LAYER = re.compile(r"\^\s*\{?\s*[\[(]\s*(\d+)\s*[\])]\s*(T|\\top|⊤)?\s*\}?")
_GENERIC_LAYER = re.compile(r"\^\s*(?:\{\s*\[?\s*l\s*(?:([+\-−])\s*(\d))?\s*\]?\s*\}"
                            r"|\[\s*l\s*(?:([+\-−])\s*(\d))?\s*\]|l(?![A-Za-z0-9]))")
_NAME_START = re.compile(r"[A-Za-zδσŷε∂]")
_DIGITS = "0123456789"
_NUMBER = re.compile(r"\d+(\.\d+)?|\.\d+")
_QNAME = r"(?:\\hat\s*\{?\s*y\s*\}?|\\delta|[A-Za-zδŷ][A-Za-z0-9]*)(?:_\{?[A-Za-z0-9]+\}?)*(?:\^\{?[\[(]\d+[\])]\}?)?"
_D = r"(?:\\partial\s*|∂\s*|d\s*)"
_DERIV = re.compile(rf"{_D}(L|{_QNAME})\s*/\s*{_D}({_QNAME})")
_GROUP = r"([^{}]*(?:\{[^{}]*\}[^{}]*)*)"
_FRAC = re.compile(rf"\\[dt]?frac\s*\{{\s*{_D}{_GROUP}\}}\s*\{{\s*{_D}{_GROUP}\}}")


def _canonical(raw: str) -> str:
    """ "H_{1}" -> "H1", "y_hat" -> "yhat", "\\delta_2" -> "δ2", "ŷ" -> "yhat"."""
    out = raw.translate(_SUBSCRIPT_DIGITS).replace("ŷ", "yhat").replace("\u0302", "hat")
    return re.sub(r"[_{}\s]", "", out)


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.tokens: list[Token] = []
        self.space = False

    # ------------------------------------------------------------ helpers
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.text[j] if j < len(self.text) else ""

    def emit(self, kind: str, start: int, value=None) -> None:
        if len(self.tokens) >= MAX_TOKENS:
            raise ParseFailure(start, f"the expression has more than {MAX_TOKENS} tokens; "
                                      f"check one factor at a time")
        self.tokens.append(Token(kind, self.text[start:self.i], start, self.i, value, self.space))
        self.space = False

    def command(self) -> str:
        """Read a LaTeX command name after a backslash (the backslash is at self.i)."""
        j = self.i + 1
        if j < len(self.text) and not ("a" <= self.text[j].lower() <= "z"):
            self.i = j + 1
            return self.text[j]
        while j < len(self.text) and "a" <= self.text[j].lower() <= "z":
            j += 1
        name = self.text[self.i + 1:j]
        self.i = j
        return name

    def braced(self) -> str:
        """The content of a {...} group at self.i (no nesting beyond one level)."""
        start = self.i
        depth = 0
        while self.i < len(self.text):
            c = self.text[self.i]
            depth += c == "{"
            depth -= c == "}"
            self.i += 1
            if depth == 0:
                return self.text[start + 1:self.i - 1]
        raise ParseFailure(start, "this { is never closed: add the matching }")

    def skip_spaces(self) -> None:
        while self.peek() and (self.peek().isspace() or self.text.startswith("\\ ", self.i)
                               or self.text[self.i:self.i + 2] in ("\\,", "\\;", "\\!", "\\:")):
            self.i += 2 if self.peek() == "\\" else 1
            self.space = True

    # ----------------------------------------------------------- scanning
    def run(self) -> list[Token]:
        while True:
            self.skip_spaces()
            if self.i >= len(self.text):
                return self.tokens
            self.one()

    def one(self) -> None:
        t, i, c = self.text, self.i, self.peek()
        frac = _FRAC.match(t, i)
        if frac and frac.group(1).strip() and frac.group(2).strip():
            self.i = frac.end()
            return self.emit("DERIV", i, (_canonical(_latex_name(frac.group(1))),
                                          _canonical(_latex_name(frac.group(2)))))
        deriv = _DERIV.match(t, i)
        if deriv and (i == 0 or not (t[i - 1].isalnum() or t[i - 1] == "_")):
            self.i = deriv.end()
            return self.emit("DERIV", i, (_canonical(_latex_name(deriv.group(1))),
                                          _canonical(_latex_name(deriv.group(2)))))
        if c == "\\":
            return self.latex()
        if c in _DIGITS or (c == "." and self.peek(1) in _DIGITS and self.peek(1)):
            m = _NUMBER.match(t, i)
            self.i = m.end()
            return self.emit("NUM", i, float(m.group()))
        if t.startswith(".*", i):
            self.i += 2
            return self.emit("OP", i, "⊙")
        if t.startswith("**", i):
            self.i += 2
            return self.emit("POWOP", i)
        if re.match(r"\.T(?![A-Za-z0-9_])", t[i:]):
            self.i += 2
            return self.emit("T", i, "ᵀ")
        if c == "ŷ" or (c == "y" and self.peek(1) == "\u0302"):
            self.i += 1 if c == "ŷ" else 2
            return self.name_tail(i, "yhat")
        if _NAME_START.match(c):
            return self.name(i)
        if c in _UNICODE_OPS:
            self.i += 1
            return self.emit("OP", i, _UNICODE_OPS[c])
        if c == "*":
            self.i += 1
            return self.emit("STAR", i)
        if c in "([{":
            self.i += 1
            return self.emit({"(": "LP", "[": "LB", "{": "LC"}[c], i)
        if c in ")]}":
            self.i += 1
            return self.emit({")": "RP", "]": "RB", "}": "RC"}[c], i)
        if c in ",:=<>":
            self.i += 1
            return self.emit({",": "COMMA", ":": "COLON", "=": "EQ", "<": "CMP", ">": "CMP"}[c], i)
        if c == "ᵀ" or c == "⊤":
            self.i += 1
            return self.emit("T", i, "ᵀ")
        if c in _PRIMES:
            self.i += 1
            return self.emit("PRIME", i, "′")
        if c in _SUPERSCRIPT_DIGITS:
            self.i += 1
            return self.emit("POW", i, _SUPERSCRIPT_DIGITS[c])
        if c == "^":
            return self.superscript()
        if c == "_":
            raise ParseFailure(i, "a subscript _ must follow a name, as in H_1 or W_{2}")
        raise ParseFailure(i, f"the character {c!r} is not part of an expression the checker reads; "
                              f"use names such as H1, W2[1:], y_hat, operators · ⊙ + − and ^T")

    def name(self, start: int) -> None:
        m = re.compile(r"[A-Za-zδσε∂]+[0-9₀-₉]*").match(self.text, self.i)
        self.i = m.end()
        word = m.group()
        if word in ("np", "numpy") and self.peek() == ".":
            m2 = re.compile(r"\.\s*([A-Za-z_]+)").match(self.text, self.i)
            if not m2:
                raise ParseFailure(self.i, "after np. write a function name, such as np.dot")
            self.i = m2.end()
            return self.emit("FUNC", start, "np." + m2.group(1))
        self.name_tail(start, word)

    def name_tail(self, start: int, word: str) -> None:
        """Subscripts (_1, _{1}, _hat) and a layer superscript (^{[2]}, ^{(2)}) after a name."""
        while self.peek() == "_":
            self.i += 1
            if self.peek() == "{":
                word += self.braced()
            else:
                m = re.compile(r"[A-Za-z]+[0-9]*|[0-9]").match(self.text, self.i)
                if not m:
                    raise ParseFailure(self.i, "write the subscript after _, as in H_1 or H_{1}")
                self.i = m.end()
                word += m.group()
        layer = _LAYER.match(self.text, self.i)
        generic = _GENERIC_LAYER.match(self.text, self.i)
        transposed = None
        if layer:
            self.i = layer.end()
            word += layer.group(1)
            transposed = layer.start(2) if layer.group(2) else None
        elif generic:  # Nielsen's w^l, δ^{l+1}: a layer named by the letter l
            self.i = generic.end()
            sign, digit = generic.group(1) or generic.group(3), generic.group(2) or generic.group(4)
            word += "@l" + (f"{sign.replace('−', '-')}{digit}" if sign else "")
        key = _canonical(word)
        kind = "FUNC" if key in ("σ", "sigma", "sigmoid", "tanh", "relu", "diag", "sum", "exp",
                                 "f", "g", "dot", "softmax") else "NAME"
        if transposed is None:
            return self.emit(kind, start, key)
        end, self.i = self.i, transposed  # A^{[0]T}: the name, then its transpose
        self.emit(kind, start, key)
        self.i = end
        self.emit("T", transposed, "ᵀ")

    def superscript(self) -> None:
        start = self.i
        self.i += 1
        self.skip_spaces()
        c = self.peek()
        if c == "{":
            body = self.braced().strip()
        elif c == "\\":
            body = "\\" + self.command()
        elif c:
            self.i += 1
            body = c
        else:
            raise ParseFailure(start, "a ^ must be followed by T (transpose) or a power such as 2")
        body = body.replace(" ", "")
        if body in ("T", "\\top", "⊤", "\\intercal", "t", "ᵀ"):
            return self.emit("T", start, "ᵀ")
        if body in ("\\prime", "'", "′"):
            return self.emit("PRIME", start, "′")
        if re.fullmatch(r"[0-9]{1,2}", body):
            return self.emit("POW", start, int(body))
        if body in ("-1", "{-1}"):
            raise ParseFailure(start, "inverses never appear in backpropagation; write a "
                                      "transpose ^T, or divide by a number such as B")
        raise ParseFailure(start, f"the superscript ^{{{body}}} is not understood: write ^T for a "
                                  f"transpose, ^2 for a square, or the layer as a subscript (W_2)")

    def latex(self) -> None:
        start = self.i
        name = self.command()
        if name in _SPACES:
            self.space = True
            return
        if name in _OPS:
            kind, value = _OPS[name]
            return self.emit(kind, start, value)
        if name in _WRAPPERS:
            self.skip_spaces()
            if self.peek() == "{":
                inner = self.braced().strip()
            else:
                m = re.compile(r"\\?[A-Za-z]").match(self.text, self.i)
                if not m:
                    raise ParseFailure(self.i, f"\\{name} needs an argument, as in \\{name}{{y}}")
                self.i = m.end()
                inner = m.group()
            inner = _latex_name(inner)
            if name in ("hat", "widehat"):
                if inner not in ("y", "Y"):
                    raise ParseFailure(start, f"\\hat{{{inner}}} is not a quantity of the network; "
                                              f"\\hat{{y}} is the output")
                return self.name_tail(start, "yhat")
            return self.name_tail(start, inner)
        if name in _FUNCTIONS:
            return self.emit("FUNC", start, _FUNCTIONS[name])
        if name in _GREEK:
            return self.name_tail(start, _GREEK[name])
        if name in ("in",):
            raise ParseFailure(start, "write the claimed shape at the very end, as in "
                                      "\\in \\mathbb{R}^{101\\times 10}")
        if name in ("(", "["):
            return self.emit("LP" if name == "(" else "LB", start)
        if name in (")", "]"):
            return self.emit("RP" if name == ")" else "RB", start)
        if name in ("{", "}"):  # \{ \} as grouping
            return self.emit("LC" if name == "{" else "RC", start)
        raise ParseFailure(start, f"the LaTeX command \\{name} is not understood here; use \\cdot, "
                                  f"\\odot, ^\\top, \\frac{{1}}{{B}}, \\sigma'(z_2) or \\delta_2")


def _latex_name(text: str) -> str:
    r"""``\hat{y}`` -> ``yhat``, ``\delta_2`` -> ``δ_2``, ``W_{2}`` -> ``W_{2}`` (then canonical)."""
    text = text.strip()
    text = re.sub(r"\\(?:hat|widehat)\s*\{?\s*y\s*\}?", "yhat", text)
    text = re.sub(r"\\(?:mathrm|operatorname|text|mathbf|boldsymbol)\s*\{([^{}]*)\}", r"\1", text)
    for cmd, ch in _GREEK.items():
        text = re.sub(r"\\" + cmd + r"(?![A-Za-z])", ch, text)
    text = re.sub(r"\^\s*\{?\s*[\[(]\s*(\d+)\s*[\])]\s*\}?", r"\1", text)
    return text


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``; raises :class:`ParseFailure` at the first unreadable character."""
    if len(text) > MAX_LENGTH:
        raise ParseFailure(MAX_LENGTH, f"the expression is {len(text)} characters long, more than "
                                       f"{MAX_LENGTH}; check one factor or one layer at a time")
    return _Scanner(text).run()
