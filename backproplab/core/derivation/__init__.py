"""Check a learner's own derivation (issue 13), in their notation (issue 16).

``check_derivation(trace, "dL/dW2 = [1 H1]^T δ2")`` parses the text with a small grammar of
its own (plain text, LaTeX or NumPy code; never ``eval``), evaluates every sub-expression with
the trace's arrays, and names the mistakes from a fixed vocabulary (:data:`MISTAKES`).
``chain(trace, "dL/dW2")`` lists the Jacobian factors from L down to a quantity with the
shape of the running product. Pure NumPy: no widgets.
"""

from .chain import Chain, ChainLink, chain, shape_product
from .check import DIALECTS, DerivationCheck, check_derivation
from .diagnose import MISTAKES
from .evaluate import EvalStep
from .names import CONVENTIONS
from .tokens import MAX_DEPTH, MAX_LENGTH

__all__ = ["CONVENTIONS", "Chain", "ChainLink", "DIALECTS", "DerivationCheck", "EvalStep", "MAX_DEPTH",
           "MAX_LENGTH", "MISTAKES", "chain", "check_derivation", "shape_product"]
