"""Issue 15 without a browser: text contrast, the quiz's symbols, the pictures' text
alternatives, the keyboard shortcuts (as the browser sends them) and ``scale=``."""

from __future__ import annotations

import re

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import ConfigError
from backproplab.panels import StepThroughPanel
from backproplab.panels._common import walk
from backproplab.panels.training import text as dash_text

TEXT_COLOR = re.compile(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})")


def contrast_on_white(hex_color: str) -> float:
    """WCAG 2.x contrast ratio of ``hex_color`` on white, from the standard's definition."""
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(int(hex_color[i:i + 2], 16) / 255) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def test_the_contrast_formula_on_known_pairs():
    assert contrast_on_white("#000000") == pytest.approx(21.0)
    assert contrast_on_white("#ffffff") == pytest.approx(1.0)
    assert contrast_on_white("#767676") == pytest.approx(4.54, abs=0.01)  # the usual 4.5:1 grey


def _panel(**kw):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (2, 784)).astype(np.uint8)
    return StepThroughPanel(bl.MLP(), x, np.array([3, 7]), quiz=False, **kw)


def _html(panel) -> str:
    return "\n".join(str(w.value) for w in walk(panel) if isinstance(getattr(w, "value", None), str))


def test_every_text_colour_of_the_step_through_panel_reads_at_4_5_to_1():
    panel = _panel()
    seen = set()
    for i in range(16):
        panel.go_to(i)
        seen |= set(TEXT_COLOR.findall(_html(panel)))
    panel.quiz = True
    for answer in ("1x784", "3x3", "no"):
        panel.go_to(0)
        panel.answer(answer) if not panel.state.answered else None
        seen |= set(TEXT_COLOR.findall(_html(panel)))
    assert "#b33c00" in seen  # the backward phase: was #e65100, 3.8:1
    low = {c: round(contrast_on_white(c), 2) for c in seen if contrast_on_white(c) < 4.5}
    assert not low, low


@pytest.mark.parametrize("state", ["ready", "running", "paused", "finished", "stopped", "failed"])
def test_the_dashboard_status_word_reads_at_4_5_to_1(state):
    html = dash_text.status_html(state=state, latest=None, epochs=1, steps_per_epoch=1, evaluation=None,
                                 samples_per_second=0.0, n_train=10)
    colors = TEXT_COLOR.findall(html)
    assert colors and all(contrast_on_white(c) >= 4.5 for c in colors), colors


def test_quiz_feedback_has_a_word_and_a_class_that_draws_a_symbol():
    from backproplab.panels import keys
    panel = _panel()
    panel.quiz = True
    feedback = panel.control("bpl-quiz-feedback")
    assert panel.answer("784x1").startswith("Not quite")
    assert 'class="bpl-quiz-wrong"' in feedback.value
    assert panel.answer("1x784").startswith("Right")
    assert 'class="bpl-quiz-right"' in feedback.value
    assert '.bpl-quiz-right::before { content: "✓ "' in keys.PanelKeys._css
    assert '.bpl-quiz-wrong::before { content: "✗ "' in keys.PanelKeys._css


def test_the_step_pictures_say_what_they_show_now():
    panel = _panel()
    image = panel.control("bpl-step-value-image")
    panel.go_to("z1")
    z1 = panel.current.value  # (1, 100)
    lo, hi = (f"{v:.3g}".replace("-", "−") for v in (z1.min(), z1.max()))
    assert image.alt == (f"Heatmap of z1, 1×100: 1 row by 100 columns, values from {lo} to {hi} "
                         "(blue below 0, white 0, red above).")
    panel.batch = True
    assert image.alt.startswith("Heatmap of z1, 2×100: 2 rows by 100 columns")
    panel.go_to("x")
    assert image.alt.startswith("x drawn as 2 images side by side of 28×28 pixels")
    panel.batch = False
    panel.go_to("dL/dW2")
    panel.show_jacobian = True
    jac = panel.control("bpl-jacobian-image")
    assert jac.alt.startswith("Heatmap of the full Jacobian ∂z2/∂W2, 10×101×10, values from 0 to 1 ")
    panel.go_to("L")  # a scalar: no picture, no alt
    assert image.alt == ""


def test_the_filter_mosaic_alt_names_the_step_tiles_and_range():
    W1 = np.zeros((785, 100))
    W1[0, 0] = 9.0  # the bias row is not drawn: not in the range
    W1[5, 3], W1[700, 99] = -0.41, 0.4372
    alt = dash_text.filters_alt(W1, "W1 filters, epoch 0.50 (step 734)")
    assert alt == ("W1 filters, epoch 0.50 (step 734): 100 tiles of 28×28, one per hidden unit, "
                   "weights from −0.41 to 0.437 (blue below 0, white 0, red above).")


def test_arrow_keys_home_and_end_move_the_step_through_panel():
    panel = _panel()
    keys = panel.shortcuts
    assert keys.scope == "bpl-step-through" and set(keys.shortcuts) == {"ArrowLeft", "ArrowRight", "Home", "End"}
    keys._on_msg(keys, {"key": "ArrowRight"}, None)  # what the browser sends
    keys.press("ArrowRight")
    assert panel.step == 2
    keys.press("ArrowLeft")
    assert panel.step == 1
    keys.press("End")
    assert panel.step == 15
    keys.press("ArrowRight")
    assert panel.step == 15
    keys.press("Home")
    keys.press("ArrowLeft")
    assert panel.step == 0
    keys.press("x")  # not a shortcut: nothing
    assert panel.step == 0 and panel.shown("bpl-error") == ""
    assert keys.labels == {".bpl-step-slider [role=slider]": "step"}


def test_scale_enlarges_the_step_through_panel_and_refuses_nonsense():
    panel = _panel(scale=1.5)
    assert "bpl-scale-150" in panel._dom_classes
    with pytest.raises(ConfigError, match="scale must be a number from 0.5 to 3"):
        _panel(scale=10)


def test_the_projector_toggle_rescales_every_panel_added_to_it():
    from backproplab.panels import ProjectorToggle
    first, second = _panel(), _panel()
    toggle = ProjectorToggle(first)
    assert repr(toggle) == "ProjectorToggle(normal size, 1 panel)"
    toggle.value = 1.5
    assert "bpl-scale-150" in first._dom_classes
    toggle.add(second)  # added while on: takes the scale now
    assert "bpl-scale-150" in second._dom_classes
    assert repr(toggle) == "ProjectorToggle(projector (1.5×), 2 panels)"
    toggle.value = 1.0
    assert not any(c.startswith("bpl-scale") for p in (first, second) for c in p._dom_classes)
    with pytest.raises(ConfigError, match="projector must be a scale from 0.5 to 3 other than 1"):
        ProjectorToggle(projector=1)
