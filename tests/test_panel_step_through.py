"""The step-through panel, driven as a learner would: Button.click(), no browser."""

import re
import struct

import numpy as np
import pytest
import traitlets

import backproplab as bl
from backproplab.core import format_shape
from backproplab.errors import ConfigError, ShapeError
import backproplab.panels.steps.html as step_html
from backproplab.panels import StepThroughPanel
from backproplab.panels.step_through import step_through

CLASSES = ["bpl-step-prev", "bpl-step-next", "bpl-step-reset", "bpl-step-end", "bpl-step-slider",
           "bpl-step-name", "bpl-step-shape", "bpl-step-formula", "bpl-ledger", "bpl-full-jacobian",
           "bpl-batch", "bpl-gradcheck", "bpl-quiz-input", "bpl-quiz-submit", "bpl-quiz-feedback",
           "bpl-export", "bpl-step-phase", "bpl-step-counter", "bpl-diagram", "bpl-step-value",
           "bpl-error"]
NAMES = ("x z1 H1 z2 H2 z3 y_hat L dL/dz3 dL/dW3 dL/dH2 dL/dz2 dL/dW2 dL/dH1 dL/dz1 dL/dW1").split()


def w(panel, cls):
    return panel.control(cls)


def text(panel, cls) -> str:
    """What an element shows, as plain text (tags stripped, entities decoded)."""
    return panel.shown(cls)


def png_size(png) -> tuple[int, int]:
    """(width, height) of PNG bytes, from the IHDR chunk."""
    return struct.unpack(">II", bytes(png)[16:24])


def visible(widget) -> bool:
    return widget.layout.display != "none"


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.random((8, 784)).astype(np.float32), rng.integers(0, 10, 8)


@pytest.fixture
def panel(data):
    return StepThroughPanel(bl.MLP(), *data, quiz=False)


def test_every_css_class_is_there_once(panel):
    for cls in CLASSES:
        w(panel, cls)


def test_walk_forwards_and_back_with_clicks(panel, data):
    trace = bl.MLP().trace(data[0][:1], data[1][:1])
    assert tuple(NAMES) == trace.names
    seen = []
    for i in range(len(trace)):
        step = trace[i]
        seen.append(text(panel, "bpl-step-name").split(" ")[0])
        assert format_shape(step.shape) in text(panel, "bpl-step-shape")
        assert text(panel, "bpl-step-counter") == f"step {i + 1} of 16"
        assert text(panel, "bpl-step-phase") == step.phase
        ledger = text(panel, "bpl-ledger")
        for line in step.ledger():
            assert line.strip() in ledger
        assert w(panel, "bpl-step-formula").value == f"$${step.latex}$$"
        assert not visible(w(panel, "bpl-error"))
        if i < len(trace) - 1:
            w(panel, "bpl-step-next").click()
    assert seen == NAMES
    assert w(panel, "bpl-step-next").disabled and w(panel, "bpl-step-end").disabled
    for i in range(len(trace) - 1, 0, -1):
        assert text(panel, "bpl-step-name").startswith(trace[i].name + " ")
        w(panel, "bpl-step-prev").click()
    assert panel.step == 0 and w(panel, "bpl-step-prev").disabled


def test_dW2_shape_and_ledger(panel):
    panel.go_to("dL/dW2")
    assert text(panel, "bpl-step-shape") == "shape 101×10"
    assert "[1 H1]ᵀ (101×1) · δ2 (1×10) = 101×10 = shape of W2" in text(panel, "bpl-ledger")
    assert "inner dimensions 1 = 1 ✓" in text(panel, "bpl-ledger")
    assert panel.step == 12 and w(panel, "bpl-step-slider").value == 13


def test_bias_row_note_at_every_dL_dH_step(panel):
    panel.go_to("dL/dH2")
    note = w(panel, "bpl-step-note")
    assert visible(note)
    assert "The bias row" in text(panel, "bpl-step-note")
    assert "W3[1:] (10×10)" in text(panel, "bpl-step-note")
    assert "1×11" in text(panel, "bpl-step-note")  # what keeping it would give
    panel.go_to("dL/dH1")
    assert "W2[1:] (100×10)" in text(panel, "bpl-step-note")
    panel.go_to("H1")
    assert not visible(w(panel, "bpl-step-note"))


def test_diagram_sizes_highlight_and_direction(panel):
    diagram = text(panel, "bpl-diagram")
    for part in ("784", "100", "W1", "785×100", "W2", "101×10", "W3", "11×10", "forward pass →"):
        assert part in diagram
    panel.go_to("dL/dW2")
    diagram = text(panel, "bpl-diagram")
    assert "← backward pass" in diagram and "←" in diagram
    assert "font-weight:bold;background:#fff8e1" in w(panel, "bpl-diagram").value  # W2 arrow


def test_reset_end_and_slider(panel):
    w(panel, "bpl-step-end").click()
    assert panel.step == 15 and text(panel, "bpl-step-name").startswith("dL/dW1")
    w(panel, "bpl-step-reset").click()
    assert panel.step == 0 and text(panel, "bpl-step-counter") == "step 1 of 16"
    w(panel, "bpl-step-slider").value = 10
    assert panel.step == 9 and text(panel, "bpl-step-name").startswith("dL/dW3")
    panel.step = 4
    assert w(panel, "bpl-step-slider").value == 5
    with pytest.raises(traitlets.TraitError, match="step must be 0..15"):
        panel.step = 16


def test_x_is_drawn_as_a_28x28_image(panel):
    assert bytes(w(panel, "bpl-step-value-image").value).startswith(b"\x89PNG")
    assert "28×28" in text(panel, "bpl-step-value")
    panel.go_to("L")
    assert not visible(w(panel, "bpl-step-value-image"))
    assert re.search(r"L = \d+\.\d+", text(panel, "bpl-step-value"))
    panel.go_to("H2")
    assert "heatmap" in text(panel, "bpl-step-value") and "values: [" in text(panel, "bpl-step-value")


def test_batch_toggle(panel):
    toggle = w(panel, "bpl-batch")
    panel.go_to("H1")
    toggle.value = True
    assert panel.batch and panel.step == 2  # same step
    assert text(panel, "bpl-step-shape") == "shape 8×100"
    panel.go_to("x")
    assert text(panel, "bpl-step-shape") == "shape 8×784"
    assert "8 images side by side" in text(panel, "bpl-step-value")
    panel.go_to("dL/dW2")
    assert text(panel, "bpl-step-shape") == "shape 101×10"
    assert "[1 H1]ᵀ (101×8) · δ2 (8×10) = 101×10 = shape of W2" in text(panel, "bpl-ledger")
    note = text(panel, "bpl-step-note")
    assert "sum over the batch happens in this product" in note and "B = 8" in note
    assert repr(panel).endswith("step 13 of 16: dL/dW2, batch of 8)")
    toggle.value = False
    assert not panel.batch and panel.step == 12
    assert not visible(w(panel, "bpl-step-note"))


def test_batch_toggle_disabled_for_one_sample(data):
    p = StepThroughPanel(bl.MLP(), data[0][:1], data[1][:1], quiz=False)
    toggle = w(p, "bpl-batch")
    assert toggle.disabled and "one row" in toggle.tooltip
    with pytest.raises(traitlets.TraitError, match="one row"):
        p.batch = True


def test_quiz_grades_and_keeps_score(data):
    p = StepThroughPanel(bl.MLP(), *data, step=12)  # dL/dW2, quiz on
    box, submit = w(p, "bpl-quiz-input"), w(p, "bpl-quiz-submit")
    assert text(p, "bpl-step-shape") == "shape ?"
    assert not visible(p.details.box) and visible(w(p, "bpl-quiz-gate"))
    box.value = "100x10"
    submit.click()
    assert (p.score, p.attempts) == (0, 1)
    feedback = text(p, "bpl-quiz-feedback")
    assert "Not quite" in feedback
    assert "dL/dW2 always has the shape of W2 (101×10): [1 H1]ᵀ is 101×1 and δ2 is 1×10" in feedback
    box.value = "a hundred and one"
    submit.click()
    assert (p.score, p.attempts) == (0, 1) and "No point lost" in text(p, "bpl-quiz-feedback")
    box.value = "(101, 10)"
    submit.click()
    assert (p.score, p.attempts) == (1, 2) and text(p, "bpl-quiz-feedback").startswith("Right")
    assert text(p, "bpl-step-shape") == "shape 101×10" and visible(p.details.box)
    assert box.disabled and submit.disabled
    submit.click()  # an answered step cannot be scored twice
    assert (p.score, p.attempts) == (1, 2)
    assert text(p, "bpl-quiz-score") == "score 1 / 2"
    # other formats, other steps
    for name, answer in (("L", "scalar"), ("H2", "1 × 10"), ("dL/dW1", "[785 100]"), ("x", "1,784")):
        p.go_to(name)
        assert w(p, "bpl-quiz-input").value == "" and text(p, "bpl-step-shape") == "shape ?"
        box.value = answer
        submit.click()
        assert text(p, "bpl-quiz-feedback").startswith("Right"), name
    assert (p.score, p.attempts) == (5, 6)
    # reveal: no point, but the shape and details show
    p.go_to("z2")
    w(p, "bpl-quiz-reveal").click()
    assert text(p, "bpl-step-shape") == "shape 1×10" and (p.score, p.attempts) == (5, 6)
    # the batch has its own answers: the shapes differ
    p.batch = True
    assert text(p, "bpl-step-shape") == "shape ?"
    p.quiz = False
    assert text(p, "bpl-step-shape") == "shape 8×10" and not visible(p.quizbox.box)


def test_export_latex_and_markdown(panel):
    panel.go_to("dL/dW2")
    export = w(panel, "bpl-export")
    step = panel.current
    assert export.value == step.to_latex()
    assert r"\frac{\partial L}{\partial W_{2}}" in export.value and r"101\times10" in export.value
    w(panel, "bpl-export-format").value = "Markdown"
    assert panel.export_format == "Markdown" and export.value == step.to_markdown()
    assert "**dL/dW2** (backward, shape 101×10)" in export.value
    export.value = "edited"  # read-only: edits are undone
    assert export.value == step.to_markdown()
    panel.go_to("z1")
    assert export.value == panel.current.to_markdown()


def test_full_jacobian_small_enough_is_drawn(panel):
    panel.go_to("dL/dW3")
    button = w(panel, "bpl-full-jacobian")
    assert not button.disabled
    button.click()
    info = text(panel, "bpl-jacobian-info")
    assert "∂z3/∂W3" in info and "10×11×10 = 1,100 entries" in info and "outer" in info
    assert "110 entries" in info
    # one block per entry of z3, shaped like W3, in a grid (not a 10×110 strip)
    assert "drawn as 10 blocks, one per entry of z3" in info
    assert "block j is ∂z3[j]/∂W3, 11×10 like W3; 5 blocks per line" in info
    image = w(panel, "bpl-jacobian-image")
    assert visible(image) and bytes(image.value).startswith(b"\x89PNG")
    width, height = png_size(image.value)
    assert height >= 100 and width <= 3 * height
    button.click()
    assert not panel.show_jacobian and not visible(image)


def test_full_jacobian_of_W2_is_a_grid_of_W2_shaped_blocks(panel):
    panel.go_to("dL/dW2")
    w(panel, "bpl-full-jacobian").click()
    info = text(panel, "bpl-jacobian-info")
    assert "10×101×10 = 10,100 entries" in info
    assert "drawn as 10 blocks, one per entry of z2 (10): block j is ∂z2[j]/∂W2, 101×10 like W2" in info
    width, height = png_size(w(panel, "bpl-jacobian-image").value)
    assert height >= 300 and width >= 300  # each entry 3 px: a picture, not a strip 10 px high
    panel.batch = True
    w(panel, "bpl-full-jacobian").click()
    info = text(panel, "bpl-jacobian-info")
    assert "block (b, j) is ∂z2[b, j]/∂W2, 101×10 like W2, for sample b and unit j" in info
    assert "4 samples per line" in info
    width, height = png_size(w(panel, "bpl-jacobian-image").value)
    assert height >= 400 and width <= 1000


def test_full_jacobian_too_large_is_refused_politely(panel):
    panel.go_to("dL/dW1")
    w(panel, "bpl-full-jacobian").click()
    info = text(panel, "bpl-jacobian-info")
    assert "Not drawn" in info and "7,850,000" in info and "78,500" in info and "250,000" in info
    assert not visible(w(panel, "bpl-jacobian-image"))
    assert not visible(w(panel, "bpl-error"))
    panel.go_to("x")
    assert w(panel, "bpl-full-jacobian").disabled and not panel.show_jacobian


def test_full_jacobian_of_a_batch_is_reshaped(panel):
    panel.batch = True
    panel.go_to("dL/dz3")
    w(panel, "bpl-full-jacobian").click()
    info = text(panel, "bpl-jacobian-info")
    assert "8×10×8×10" in info and "drawn as 80×80" in info and "block-diagonal" in info
    assert not visible(w(panel, "bpl-error"))


def test_answer_and_shown_drive_the_quiz_from_code(data):
    p = StepThroughPanel(bl.MLP(), *data, step=12)  # dL/dW2, quiz on
    feedback = p.answer("101x1")
    assert feedback.startswith("Not quite") and feedback == p.shown("bpl-quiz-feedback")
    assert "<" not in feedback and (p.score, p.attempts) == (0, 1)
    assert p.answer("(101, 10)").startswith("Right: dL/dW2 is 101×10")
    assert p.shown("bpl-quiz-score") == "score 1 / 2" and p.shown("bpl-step-shape") == "shape 101×10"
    with pytest.raises(ConfigError, match="already answered"):
        p.answer("101x10")
    p.quiz = False
    with pytest.raises(ConfigError, match="quiz is off"):
        p.answer("1x10")
    # control() is the widget a browser test would address; shown() its text, one line per block
    assert p.control("bpl-step-next") is w(p, "bpl-step-next")
    assert p.shown("bpl-step-next") == "Next"
    ledger = p.shown("bpl-ledger").splitlines()
    assert ledger[0] == "ledger" and ledger[1].startswith("chain rule: ∂L/∂z2 (10, gradient) · ")
    with pytest.raises(LookupError, match="bpl-nothing"):
        p.control("bpl-nothing")
    with pytest.raises(TypeError, match="IntSlider"):
        p.shown("bpl-step-slider")


def test_gradient_check(panel):
    panel.go_to("dL/dz2")
    assert w(panel, "bpl-gradcheck").disabled
    panel.go_to("dL/dW2")
    w(panel, "bpl-gradcheck").click()
    result = text(panel, "bpl-gradcheck-result")
    assert "analytic (float64)" in result and "numeric (float64)" in result
    assert result.count("[") >= 5  # five entries
    err = float(re.search(r"relative error over these entries: ([0-9.e+-]+)", result).group(1))
    assert err < 1e-6 and "agrees" in result
    panel.go_to("dL/dW1")
    assert text(panel, "bpl-gradcheck-result") == ""
    w(panel, "bpl-gradcheck").click()
    assert len(re.findall(r"\[(\d+), (\d+)\]", text(panel, "bpl-gradcheck-result"))) == 5


def test_an_error_inside_a_callback_is_shown_in_the_panel(panel, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom in the renderer")

    monkeypatch.setattr(step_html, "value_view", boom)
    w(panel, "bpl-step-next").click()  # no exception escapes the click
    error = w(panel, "bpl-error")
    assert visible(error)
    assert "RuntimeError" in error.value and "boom in the renderer" in error.value
    monkeypatch.undo()
    w(panel, "bpl-step-next").click()
    assert not visible(error) and error.value == ""


def test_gradcheck_on_a_non_parameter_step_shows_an_error(panel):
    panel.details.gradcheck_button.disabled = False  # as if a stale page still showed it enabled
    w(panel, "bpl-gradcheck").click()
    assert "parameter gradients" in text(panel, "bpl-error")


@pytest.mark.parametrize("sizes,activation", [((20, 16, 12, 8, 5), "tanh"), ((6, 4, 3), "relu")])
def test_other_networks(sizes, activation):
    net = bl.MLP(sizes, activation=activation, seed=3)
    rng = np.random.default_rng(3)
    x, y = rng.random((4, sizes[0])), rng.integers(0, sizes[-1], 4)
    p = StepThroughPanel(net, x, y, quiz=False)
    trace = net.trace(x[:1], y[:1])
    assert "heatmap" in text(p, "bpl-step-value") and "28×28" not in text(p, "bpl-step-value")
    for size in sizes:
        assert str(size) in text(p, "bpl-diagram")
    for batch in (False, True):
        p.batch = batch
        for i in range(len(trace)):
            p.step = i
            assert text(p, "bpl-step-name").startswith(trace[i].name + " ")
            if not w(p, "bpl-full-jacobian").disabled:
                w(p, "bpl-full-jacobian").click()
            if not w(p, "bpl-gradcheck").disabled:
                w(p, "bpl-gradcheck").click()
                assert "agrees" in text(p, "bpl-gradcheck-result")
            assert not visible(w(p, "bpl-error")), w(p, "bpl-error").value
    assert p.trace.batch_size == 4
    last = len(sizes) - 1
    assert repr(p) == (f"StepThroughPanel({net!r}, step {len(trace)} of {len(trace)}: dL/dW1, "
                       "batch of 4)")
    p.go_to(f"dL/dH{last - 1}")
    assert "bias row" in text(p, "bpl-step-note")


def test_repr_is_short_and_deterministic(data):
    a = StepThroughPanel(bl.MLP(), *data, step=12)
    b = StepThroughPanel(bl.MLP(), *data, step=12)
    expected = "StepThroughPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), step 13 of 16: dL/dW2)"
    assert repr(a) == repr(b) == expected
    assert a._repr_mimebundle_()["text/plain"] == expected


def test_uint8_pixels_and_bad_inputs(data):
    pixels = (data[0] * 255).astype(np.uint8)
    p = StepThroughPanel(bl.MLP(), pixels, data[1])
    assert p.trace["x"].value.dtype == np.float32
    with pytest.raises(ShapeError, match="reshape"):
        StepThroughPanel(bl.MLP(), data[0][0].reshape(28, 28), data[1][:1])


def test_step_through_opens_on_an_mnist_test_image():
    p = step_through(sample=0, batch=4)  # the MNIST bundled with the package
    assert isinstance(p, StepThroughPanel) and repr(p).startswith("StepThroughPanel(MLP(784")
    assert "label 7" in text(p, "bpl-step-title")  # the first MNIST test digit is a 7
    assert p.trace.batch_size == 1 and p.state.traces[True].batch_size == 4
    assert "28×28" in text(p, "bpl-step-value")
    p.quiz = False
    p.go_to("dL/dW1")
    w(p, "bpl-gradcheck").click()  # most of dL/dW1 is 0 (blank pixels): non-zero entries are checked
    entries = re.findall(r"\[(\d+), (\d+)\]", text(p, "bpl-gradcheck-result"))
    assert len(entries) == 5
    assert all(p.current.value[int(i), int(j)] != 0 for i, j in entries)
    assert "agrees" in text(p, "bpl-gradcheck-result")
    with pytest.raises(ValueError, match="sample"):
        step_through(sample=-1)


@pytest.mark.parametrize(("bias", "says_bias_row"), [(True, True), (False, False)])
def test_the_value_caption_names_a_bias_row_only_where_there_is_one(bias, says_bias_row):
    net = bl.MLP((6, 4, 3), bias=bias, seed=1)
    p = StepThroughPanel(net, np.random.default_rng(2).random((1, 6), dtype=np.float32), [1], quiz=False)
    p.go_to("dL/dW2")
    assert ("(the bias row)" in p.shown("bpl-step-value")) is says_bias_row
    if bias:
        p.convention = "column"  # dL/dW2 is then 3×4: row 0 is a unit's weights, not a bias
        p.go_to("dL/dW2")
        assert "(the bias row)" not in p.shown("bpl-step-value")
