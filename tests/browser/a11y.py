"""axe-core in the browser tests: the critical and serious violations inside one panel's DOM.

axe-core (Deque's accessibility engine, the one browsers' devtools use) comes with the
axe-playwright-python package (pinned in the test extra), as axe.min.js; it is injected
into the page and run on the panel's element only, so JupyterLab's and Voilà's own
chrome are not judged here.

    problems = axe_violations(page, ".bpl-draw")
    assert not problems, describe(problems)
"""

from __future__ import annotations

from pathlib import Path

SEVERE = ("critical", "serious")


def axe_source() -> str:
    """The axe-core script shipped by axe-playwright-python."""
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page, selector: str, *, exclude: tuple[str, ...] = (),
                   impacts: tuple[str, ...] = SEVERE) -> list[dict]:
    """axe-core's violations of ``impacts`` inside the elements matching ``selector``.

    ``exclude`` lists selectors left out (e.g. a nested panel judged on its own).
    Each violation: ``{"id", "impact", "help", "nodes": [{"target", "html", "summary"}]}``.
    Raises AssertionError if nothing matches ``selector`` (an empty context would pass).
    """
    assert page.locator(selector).count() > 0, f"no element matches {selector!r} to check with axe"
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        """async ([include, exclude]) => {
            const context = {include: [[include]], exclude: exclude.map(s => [s])};
            return await axe.run(context, {resultTypes: ["violations"]});
        }""", [selector, list(exclude)])
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [{"target": n["target"], "html": n["html"][:200],
                        "summary": n.get("failureSummary", "")} for n in v["nodes"]]}
            for v in result["violations"] if v["impact"] in impacts]


def describe(violations: list[dict]) -> str:
    """One readable block per violation, for an assertion message or a report."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} elements)")
        for node in v["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['html']}")
            lines.extend(f"      {s}" for s in node["summary"].splitlines()[:4])
    return "\n".join(lines) or "no violations"
