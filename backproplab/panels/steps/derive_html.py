"""How the derivation checker's verdict and the chain of Jacobians are drawn: HTML snippets.

Everything here formats what a :class:`~backproplab.core.derivation.DerivationCheck` or a
``trace.chain(...)`` already holds; nothing computes. A failure is marked in red *and* with
"✗ stops here" (colour is never the only signal).
"""

from __future__ import annotations

from ...core.jacobian import format_shape
from .html import esc

__all__ = ["chain_html", "check_html"]

_RED, _GREEN = "#c62828", "#2e7d32"
_TABLE = 'style="font-family:monospace;font-size:12.5px;border-collapse:collapse" cellpadding="3"'


def check_html(check) -> str:
    """The verdict, the sub-expressions with their shapes (the first failure marked), notes, mistakes."""
    color = _GREEN if check.ok else _RED
    verdict = check.message.split("\n", 1)[0]  # "✓ Right: …" or "✗ Not yet: …"
    parts = [f'<div style="color:{color};font-weight:bold">{esc(verdict)}</div>']
    if check.error_pos is not None:
        caret = " " * check.error_pos + "^"
        parts.append(f'<pre style="margin:2px 0">{esc(check.text)}\n{esc(caret)}</pre>')
    rows = [r for r in check.rows() if r["rule"] != "number"]
    if rows:
        head = "<tr><th align=left>sub-expression</th><th>shape</th><th align=left>how</th><th></th></tr>"
        body = []
        for r in rows:
            failed = r["status"] == "failed"
            style = f' style="color:{_RED};font-weight:bold;background:#ffebee"' if failed else ""
            mark = "✗ stops here" if failed else "✓"
            body.append(f"<tr{style}><td>{esc(' '.join(r['text'].split()))}</td>"
                        f"<td align=center>{esc(r['shape'])}</td><td>{esc(r['rule'])}</td>"
                        f"<td>{mark}</td></tr>")
        parts.append(f"<table {_TABLE}>{head}{''.join(body)}</table>")
    parts += [f'<div style="color:#455a64">Note: {esc(n)}.</div>' for n in check.notes]
    for code, text in check.explanations:
        parts.append(f'<div style="margin-top:3px"><b style="color:{_RED}">✗ {esc(code)}</b>: '
                     f"{esc(text)}</div>")
    return f'<div style="line-height:1.45">{"".join(parts)}</div>'


def chain_html(chain) -> str:
    """Every Jacobian factor from L down to the quantity, left to right, and the running product."""
    rows = []
    for i, link in enumerate(chain):
        structure = "" if link.structure in ("gradient", "dense") else f" {link.structure}"
        rows.append(f"<tr><td>{'' if i == 0 else '·'}</td><td><b>{esc(link.name)}</b></td>"
                    f"<td>{esc(format_shape(link.shape) + structure)}</td>"
                    f"<td>→ {esc(link.running_name)} is {esc(format_shape(link.running_shape))}</td></tr>")
    head = ("<tr><th></th><th align=left>factor</th><th align=left>dimensions</th>"
            "<th align=left>running product</th></tr>")
    return (f'<div style="line-height:1.4"><div><b>The whole chain for {esc(chain.target)}</b>, '
            f"from L down, left to right:</div>"
            f'<div style="font-family:monospace">{esc(chain.factors_text())} → '
            f"{esc(format_shape(chain.shape))}</div>"
            f"<table {_TABLE}>{head}{''.join(rows)}</table></div>")
