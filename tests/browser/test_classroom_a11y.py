"""Issue 15 in a real browser: the step-through panel driven by the arrow keys only, the
dashboard by Space; axe-core finds no critical or serious violation inside the step-through
panel and the dashboard, in JupyterLab and in Voilà; screenshots at scale 1 and 1.5 at
1280×720 (a classroom projector) in test-artifacts/browser/."""

from __future__ import annotations

import re
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .a11y import axe_violations, describe
from .conftest import ARTIFACTS, Server, free_port, server_env

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture reports it: skipped locally, a failure in CI
    expect = None

VIEWPORT = {"width": 1280, "height": 720}
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
STEPS = ("import backproplab as bl\n"
         "panel = bl.step_through(batch=2{scale})\n"
         "panel.quiz = False\n"
         "panel")
JACOBIAN = ("big = bl.step_through(batch=2{scale})\n"
            "big.quiz = False\n"
            "big.go_to('dL/dW2')\n"
            "big.show_jacobian = True\n"
            "big")
DASHBOARD = ("import backproplab as bl\n"
             "dash = bl.training_dashboard(n_train=2000, n_test=500, epochs=200{scale})\n"
             "dash")


def notebook(path, *sources: str) -> None:
    nbformat.write(new_notebook(cells=[new_code_cell(s) for s in sources], metadata=KERNEL), path)


def assert_accessible(page, selector: str) -> None:
    problems = axe_violations(page, selector)
    assert not problems, "axe-core found in " + selector + ":\n" + describe(problems)


def projector_shot(page, name: str) -> None:
    """The 1280×720 view from the top of the page, as a projector shows it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# --------------------------------------------------------------------------- JupyterLab
def test_step_through_with_the_arrow_keys_only_in_jupyterlab(lab, notebook_root, page, shot):
    notebook(notebook_root / "a11y_steps.ipynb", STEPS.format(scale=""), JACOBIAN.format(scale=", scale=1.5"))
    page.set_viewport_size(VIEWPORT)
    lab.open(page, "a11y_steps.ipynb")
    lab.run_all(page)
    panels = page.locator(".bpl-step-through")
    expect(panels).to_have_count(2, timeout=120_000)
    panel, big = panels.nth(0), panels.nth(1)
    counter, name = panel.locator(".bpl-step-counter"), panel.locator(".bpl-step-name")
    expect(counter).to_have_text("step 1 of 16")
    expect(panel).to_have_attribute("role", "region")  # the keyboard helper has found its panel

    # Tab reaches the panel itself (its name says which keys work), then only keys
    panel.locator(".bpl-step-title").click()  # a click on the title gives the panel focus
    assert panel.evaluate("p => document.activeElement === p")
    active_cell = page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("step 4 of 16")
    expect(name).to_contain_text("z2")
    page.keyboard.press("ArrowLeft")
    expect(counter).to_have_text("step 3 of 16")
    expect(name).to_contain_text("H1")
    page.keyboard.press("End")
    expect(counter).to_have_text("step 16 of 16")
    expect(name).to_contain_text("dL/dW1")
    page.keyboard.press("ArrowRight")  # nothing after the last step
    expect(counter).to_have_text("step 16 of 16")
    page.keyboard.press("Home")
    expect(counter).to_have_text("step 1 of 16")
    # right after a click on one of its buttons, the keys still work
    panel.locator("button.bpl-step-next").click()
    expect(counter).to_have_text("step 2 of 16")
    page.keyboard.press("ArrowRight")
    expect(counter).to_have_text("step 3 of 16")
    # JupyterLab did not take the keys: the same cell is active, and the other panel did not move
    assert page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex") == active_cell
    expect(big.locator(".bpl-step-counter")).to_have_text("step 13 of 16")

    # the slider's handle has a name; the pictures have text alternatives
    expect(panel.locator(".bpl-step-slider [role=slider]")).to_have_attribute("aria-label", "step")
    expect(panel.locator("img.bpl-step-value-image")).to_have_attribute(
        "alt", re.compile(r"^Heatmap of H1, 1×100: 1 row by 100 columns, values from 0\.\d+ to 0\.\d+"))
    expect(big.locator("img.bpl-jacobian-image")).to_have_attribute(
        "alt", re.compile(r"^Heatmap of the full Jacobian ∂z2/∂W2, 10×101×10, values from −?\d"))
    expect(panel.locator(".bpl-error")).to_be_hidden()

    # focus shows: a 3 px outline on a button reached with Tab
    panel.locator("button.bpl-step-next").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("() => { const s = getComputedStyle(document.activeElement); "
                            "return s.outlineStyle + ' ' + s.outlineWidth; }")
    assert outline == "solid 3px", outline

    assert_accessible(page, ".bpl-step-through")
    panel.evaluate("e => e.scrollIntoView({block: 'start'})")
    projector_shot(page, "15-lab-step-through-scale-100-1280x720")
    big.evaluate("e => e.scrollIntoView({block: 'start'})")
    projector_shot(page, "15-lab-step-through-jacobian-scale-150-1280x720")
    lab.delete_sessions()


def test_space_starts_and_pauses_the_dashboard_in_jupyterlab(lab, notebook_root, page):
    notebook(notebook_root / "a11y_dash.ipynb", DASHBOARD.format(scale=""))
    page.set_viewport_size(VIEWPORT)
    lab.open(page, "a11y_dash.ipynb")
    lab.run_all(page)
    dash = page.locator(".bpl-training")
    expect(dash).to_be_visible(timeout=120_000)
    status = dash.locator(".bpl-train-status")
    expect(status).to_contain_text("ready")
    assert_accessible(page, ".bpl-training")
    dash.evaluate("e => e.scrollIntoView({block: 'start'})")
    projector_shot(page, "15-lab-dashboard-scale-100-1280x720")

    dash.locator(".bpl-train-title").click()
    page.keyboard.press("Space")
    expect(status).to_contain_text("running")
    expect(dash.locator("img.bpl-filters")).to_have_attribute(
        "alt", re.compile(r"^W1 filters, epoch \d\.\d\d \(step [\d,]+\): 100 tiles of 28×28, one per "
                          r"hidden unit, weights from −\d"), timeout=15_000)
    page.keyboard.press("Space")
    expect(status).to_contain_text("paused", timeout=5_000)
    # on the Resume button Space resumes (no second click), and pauses again
    dash.locator("button.bpl-train-start").focus()
    page.keyboard.press("Space")
    expect(status).to_contain_text("running")
    dash.locator(".bpl-train-title").click()
    page.keyboard.press("Space")
    expect(status).to_contain_text("paused", timeout=5_000)
    assert_accessible(page, ".bpl-training")
    expect(dash.locator(".bpl-train-error")).to_be_hidden()
    dash.locator("button.bpl-train-stop").click()
    expect(status).to_contain_text("stopped", timeout=5_000)
    lab.delete_sessions()


# -------------------------------------------------------------------------------- Voilà
@pytest.fixture(scope="module")
def voila_panels(tmp_path_factory, chromium):
    """Voilà serving one-cell pages: the step-through panel and the dashboard at scale 1 and 1.5."""
    root = tmp_path_factory.mktemp("voila-panels")
    for scale, arg in (("100", ""), ("150", ", scale=1.5")):
        notebook(root / f"steps_{scale}.ipynb", STEPS.format(scale=arg), JACOBIAN.format(scale=arg))
        notebook(root / f"dash_{scale}.ipynb", DASHBOARD.format(scale=arg))
    home = tmp_path_factory.mktemp("voila-panels-home")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "voila", str(root), "--no-browser", "--Voila.ip=127.0.0.1",
            f"--port={port}", "--Voila.port_retries=0", f"--Voila.root_dir={root}",
            "--show_tracebacks=True"]
    server = Server("voila-panels", argv, server_env(home), f"{url}/voila/static/voila.js", url)
    yield server
    server.stop()


def _fits(page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"the page scrolls sideways: {width} px wide"


@pytest.mark.parametrize("scale", ["100", "150"])
def test_step_through_in_voila(voila_panels, page, scale):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{voila_panels.url}/voila/render/steps_{scale}.ipynb", timeout=180_000)
    panels = page.locator(".bpl-step-through")
    expect(panels).to_have_count(2, timeout=180_000)
    panel = panels.nth(0)
    if scale == "150":
        expect(panel).to_have_class(re.compile(r"\bbpl-scale-150\b"))
    expect(panel).to_have_attribute("role", "region")
    panel.locator(".bpl-step-title").click()
    page.keyboard.press("End")
    expect(panel.locator(".bpl-step-counter")).to_have_text("step 16 of 16")
    page.keyboard.press("ArrowLeft")
    expect(panel.locator(".bpl-step-counter")).to_have_text("step 15 of 16")
    expect(panels.nth(1).locator("img.bpl-jacobian-image")).to_be_visible()
    assert_accessible(page, ".bpl-step-through")
    _fits(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    projector_shot(page, f"15-voila-step-through-scale-{scale}-1280x720")
    panels.nth(1).evaluate("e => e.scrollIntoView({block: 'start'})")
    projector_shot(page, f"15-voila-step-through-jacobian-scale-{scale}-1280x720")


@pytest.mark.parametrize("scale", ["100", "150"])
def test_dashboard_in_voila(voila_panels, page, scale):
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{voila_panels.url}/voila/render/dash_{scale}.ipynb", timeout=180_000)
    dash = page.locator(".bpl-training")
    expect(dash).to_be_visible(timeout=180_000)
    status = dash.locator(".bpl-train-status")
    expect(status).to_contain_text("ready")
    dash.locator(".bpl-train-title").click()
    page.keyboard.press("Space")
    expect(status).to_contain_text("running")
    expect(dash.locator("img.bpl-filters")).to_have_attribute("alt", re.compile(r"step [\d,]+\): 100 tiles"),
                                                              timeout=15_000)
    page.keyboard.press("Space")
    expect(status).to_contain_text("paused", timeout=5_000)
    assert_accessible(page, ".bpl-training")
    _fits(page)
    page.evaluate("() => window.scrollTo(0, 0)")
    projector_shot(page, f"15-voila-dashboard-scale-{scale}-1280x720")
