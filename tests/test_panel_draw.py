"""The draw-a-digit panel from Python: what it shows is what the network computes."""

import math
import re

import numpy as np
import pytest
import traitlets

from backproplab.core import MLP
from backproplab.core.pretrained import quick_train
from backproplab.errors import ConfigError, ShapeError
from backproplab.panels import DrawDigitPanel, draw_digit
from backproplab.panels.canvas import DrawingCanvas
from backproplab.panels.scale import use_scale


@pytest.fixture(scope="module")
def net(mnist_small):
    return quick_train(mnist_small.x_train, mnist_small.y_train, epochs=2)


@pytest.fixture(scope="module")
def digits(mnist_small, net):
    """MNIST test images the network reads right, as (28, 28) floats, with their labels."""
    x = mnist_small.x_test[:100] / 255.0
    right = net.predict(x) == mnist_small.y_test[:100]
    return x[right][:8].reshape(-1, 28, 28), mnist_small.y_test[:100][right][:8]


def _alt(html_value):
    return re.search(r'alt="([^"]*)"', html_value).group(1)


def test_blank_panel_says_what_to_do(net):
    panel = DrawDigitPanel(net)
    assert panel.shown("bpl-draw-prediction") == "prediction: none yet. Draw a digit (0 to 9) on the grid."
    assert panel.control("bpl-draw-step").disabled
    assert "all 0 (nothing drawn yet)" in _alt(panel.control("bpl-draw-input").value)
    assert panel.control("bpl-draw-canvas").description.startswith("Drawing canvas, a 28 by 28 grid, blank.")
    assert repr(panel) == "DrawDigitPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), nothing drawn)"


def test_a_drawn_mnist_digit_is_read_as_the_network_reads_mnist(net, digits):
    panel = DrawDigitPanel(net)
    images, labels = digits
    for image, label in zip(images, labels):
        panel.draw(image)  # 28×28 → the 112×112 canvas, each pixel a 4×4 block
        p = net.predict_proba(image.reshape(1, 784))[0]  # MNIST's own vector, no preprocessing
        order = np.argsort(-p)
        assert order[0] == label
        text = panel.shown("bpl-draw-prediction")
        assert text == (f"prediction: {label} ({p[label] * 100:.0f} %) · next: {order[1]} "
                        f"({'<1' if p[order[1]] < 0.005 else f'{p[order[1]] * 100:.0f}'} %)")
        rows = panel.shown("bpl-draw-probabilities").splitlines()
        assert rows[0] == "probability of each digit (ŷ)" and len(rows) == 11
        assert rows[1 + label].endswith("◀ prediction") and sum("prediction" in r for r in rows[1:]) == 1
        assert rows[1 + label].startswith(f"{label} {p[label] * 100:.0f} %")
        assert not panel.control("bpl-draw-step").disabled
        assert repr(panel) == f"DrawDigitPanel({net!r}, prediction: {label} ({p[label] * 100:.0f} %))"


def test_text_alternatives_describe_the_pictures(net, digits):
    panel = DrawDigitPanel(net)
    image = digits[0][0]
    panel.draw(image)
    rows, cols = np.nonzero(image)
    alt = _alt(panel.control("bpl-draw-input").value)
    assert f"{len(rows)} of 784 inked" in alt
    assert f"rows {rows.min()} to {rows.max()} and columns {cols.min()} to {cols.max()}" in alt
    mass = image.sum()
    assert f"centre of mass at row {(image.sum(1) @ np.arange(28)) / mass:.1f}" in alt
    described = panel.control("bpl-draw-canvas").description
    assert f"ink in {len(rows)} of 784 cells" in described  # one canvas cell per input pixel here
    assert panel.shown("bpl-draw-prediction") in described


def test_clear_and_the_tools(net, digits):
    panel = DrawDigitPanel(net)
    panel.draw(digits[0][0])
    panel.control("bpl-draw-clear").click()
    assert panel.control("bpl-draw-canvas").image.max() == 0
    assert panel.shown("bpl-draw-prediction").startswith("prediction: none yet")
    panel.control("bpl-draw-tool").value = "eraser"
    assert panel.control("bpl-draw-canvas").tool == "eraser"


def test_step_through_this_digit(net, digits):
    panel = DrawDigitPanel(net)
    image, label = digits[0][0], int(digits[1][0])
    panel.draw(image)
    panel.control("bpl-draw-step").click()
    trace = panel.step_panel.trace
    np.testing.assert_allclose(trace["x"].value, image.reshape(1, 784), atol=1e-7)
    p = net.predict_proba(image.reshape(1, 784))[0]
    assert math.isclose(float(trace["L"].value), -math.log(p[label]), rel_tol=1e-4)  # label = the guess
    assert f"uses label {label} (the network's guess)" in panel.shown("bpl-draw-step-note")
    other = (label + 1) % 10
    panel.control("bpl-draw-label").value = other
    panel.control("bpl-draw-step").click()
    assert math.isclose(float(panel.step_panel.trace["L"].value), -math.log(p[other]), rel_tol=1e-4)
    assert f"uses label {other} (your choice)" in panel.shown("bpl-draw-step-note")


def test_mistakes_are_explained(net):
    panel = DrawDigitPanel(net)
    panel.control("bpl-draw-step").click()  # blank: the error shows in the panel
    assert "draw a digit first" in panel.shown("bpl-draw-error")
    with pytest.raises(ConfigError, match="784 inputs"):
        DrawDigitPanel(MLP((100, 10)))
    with pytest.raises(ConfigError, match="MLP or None"):
        draw_digit("my net")
    with pytest.raises(ConfigError, match="multiple of 28"):
        DrawingCanvas(size=100)
    with pytest.raises(ShapeError, match="112×112"):
        DrawingCanvas().image = np.zeros((28, 29))
    with pytest.raises(traitlets.TraitError, match="0..9"):
        panel.digit.meant = 12


def test_scale(net):
    panel = DrawDigitPanel(net, scale=1.5)
    assert "bpl-scale-150" in panel._dom_classes and "bpl-scaled" in panel._dom_classes
    assert ".bpl-scale-150 { zoom: 150%; }" in panel.control("bpl-scale-style").value
    assert "bpl-scaled" not in DrawDigitPanel(net)._dom_classes
    n = len(panel.children)
    use_scale(panel, 2)  # a toggle: the new scale replaces the old
    assert [c for c in panel._dom_classes if c.startswith("bpl-scale-")] == ["bpl-scale-200"]
    assert len(panel.children) == n and ".bpl-scale-200 { zoom: 200%; }" in panel.control("bpl-scale-style").value
    use_scale(panel, 1)
    assert not [c for c in panel._dom_classes if c.startswith("bpl-scale-")] and len(panel.children) == n - 1
    for bad in (5, 0, float("nan"), "big", True):
        with pytest.raises(ConfigError, match="0.5 to 3"):
            use_scale(panel, bad)


def test_draw_digit_trains_a_network_once(mnist_dir):
    panel = draw_digit(data_dir=mnist_dir)
    assert "trained for 3 epochs on MNIST's 60,000 training images" in panel.shown("bpl-draw-title")
    again = draw_digit(data_dir=mnist_dir)
    for a, b in zip(panel.net.weights, again.net.weights):
        np.testing.assert_array_equal(a, b)


def test_a_small_digit_drawn_in_a_corner_reaches_the_network_as_mnist_made_it(net, digits):
    panel = DrawDigitPanel(net)
    image, label = digits[0][0], digits[1][0]
    canvas = np.zeros((112, 112))
    canvas[3:59, 50:106] = np.kron(image, np.ones((2, 2)))  # half the canvas's scale, top right
    panel.draw(canvas)
    np.testing.assert_allclose(panel.digit.image, image, atol=1e-12)  # MNIST digits are fixed points
    assert panel.shown("bpl-draw-prediction").startswith(f"prediction: {label} (")


def test_ink_from_the_browser_reaches_the_panel(net, digits):
    # the browser's drawing arrives as a binary buffer, which the kernel hands over as a memoryview
    panel = DrawDigitPanel(net)
    canvas = panel.control("bpl-draw-canvas")
    ink = (np.kron(digits[0][0], np.ones((4, 4))) * 255).round().astype(np.uint8)
    canvas.set_state({"ink": memoryview(ink.tobytes())})
    assert panel.shown("bpl-draw-prediction").startswith(f"prediction: {digits[1][0]} (")
