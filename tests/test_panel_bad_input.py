"""Bad input to the panels: every case gets a package error that names the fix, or is shown in the
panel, and never costs the learner anything (issue 11's table, the panels' rows)."""

from __future__ import annotations

import numpy as np
import pytest

import backproplab as bl
from backproplab.errors import BackproplabError, ConfigError, ShapeError
from backproplab.panels import StepThroughPanel, TrainingPanel
from backproplab.panels.quiz import AnswerError
from backproplab.panels.step_through import step_through

TIMEOUT = 60.0


@pytest.fixture
def stp():
    rng = np.random.default_rng(0)
    return StepThroughPanel(bl.MLP(), rng.random((4, 784)), rng.integers(0, 10, 4))


@pytest.fixture(scope="module")
def data(mnist_dir):
    return bl.load_mnist(data_dir=mnist_dir, n_train=640, n_test=200, dtype=np.uint8, progress=False)


@pytest.fixture
def make_training(data):
    made = []

    def make(**kw):
        panel = TrainingPanel(bl.MLP(), data, **kw)
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.close()


# (case, call, error type, words the message must hold: what is wrong and how to fix it)
STEP_CASES = [
    ("answer None", lambda p: p.answer(None), AnswerError, ["got None", "as text", 'answer("101x10")']),
    ("answer a number", lambda p: p.answer(101), AnswerError, ["got 101", "as text"]),
    ("answer a tuple", lambda p: p.answer((101, 10)), AnswerError, ["(101, 10)", "as text"]),
    ("answer bytes", lambda p: p.answer(b"101x10"), AnswerError, ["as text"]),
    ("go_to an unknown name", lambda p: p.go_to("dL/dW9"), ConfigError, ["no step 'dL/dW9'", "dL/dW2"]),
    ("go_to past the end", lambda p: p.go_to(99), ConfigError, ["0..15", "got 99"]),
    ("go_to a bool", lambda p: p.go_to(True), ConfigError, ["0..15", "got True"]),
    ("go_to a float", lambda p: p.go_to(1.5), ConfigError, ["0..15", "got 1.5"]),
    ("step = -1", lambda p: setattr(p, "step", -1), ConfigError, ["step must be 0..15"]),
    ("batch on one row", lambda p: setattr(StepThroughPanel(bl.MLP(), np.zeros((1, 784)), [0]), "batch",
                                           True), ConfigError, ["one row", "x[:8]"]),
    ("export format", lambda p: setattr(p, "export_format", "PDF"), ConfigError, ["export_format", "LaTeX"]),
    ("quiz off", lambda p: (setattr(p, "quiz", False), p.answer("1x784")), ConfigError, ["panel.quiz = True"]),
    ("twice: answered", lambda p: (p.answer("1x784"), p.answer("1x784")), ConfigError,
     ["already answered", "go_to"]),
    ("x of the wrong shape", lambda p: StepThroughPanel(bl.MLP(), np.zeros((28, 28)), [0] * 28), ShapeError,
     ["784"]),
    ("open at a bad step", lambda p: StepThroughPanel(bl.MLP(), np.zeros((1, 784)), [0], step=40),
     ConfigError, ["0..15", "got 40"]),
    ("control that is not there", lambda p: p.control("bpl-nope"), LookupError, ["bpl-nope"]),
    ("shown() of an image", lambda p: p.shown("bpl-step-value-image"), TypeError, ["read its value"]),
    ("step_through sample -1", lambda p: step_through(sample=-1), ConfigError, ["sample", "≥ 0"]),
    ("step_through batch 0", lambda p: step_through(batch=0), ConfigError, ["batch", "≥ 1"]),
    ("step_through sample past the end", lambda p: step_through(sample=10**6), ConfigError,
     ["0..9999"]),
]


@pytest.mark.parametrize("case,call,error,words", STEP_CASES, ids=[c[0] for c in STEP_CASES])
def test_step_through_bad_input(stp, case, call, error, words, mnist_dir, monkeypatch):
    monkeypatch.setenv("BACKPROPLAB_DATA_DIR", str(mnist_dir))
    before = (stp.score, stp.attempts, stp.step)
    with pytest.raises(error) as info:
        call(stp)
    message = str(info.value)
    for word in words:
        assert word in message, (case, message)
    if error is not LookupError:
        assert isinstance(info.value, BackproplabError), type(info.value).__mro__
    if case.startswith("answer"):
        assert (stp.score, stp.attempts, stp.step) == before  # never graded, no attempt counted
        assert stp.shown("bpl-quiz-feedback") == ""


@pytest.mark.parametrize("text", ["", "   ", "ten by ten", "x" * 500, "(101, 10", "1e3x10", "-1x10"])
def test_typed_answers_that_are_not_shapes_cost_nothing(stp, text):
    feedback = stp.answer(text)
    assert "No point lost" in feedback and stp.attempts == 0 and stp.score == 0
    assert not stp.errors.widget.value


TRAINING_CASES = [
    ("data of the wrong type", lambda make: TrainingPanel(bl.MLP(), "mnist"), TypeError,
     ["x_train", "load_mnist"]),
    ("n_train 0", lambda make: make(n_train=0), ConfigError, ["n_train", "1..640"]),
    ("n_train a string", lambda make: make(n_train="all"), ConfigError, ["n_train", "'all'"]),
    ("redraw_hz 0", lambda make: make(redraw_hz=0), ConfigError, ["redraw_hz", "(0, 30]"]),
    ("speed -1", lambda make: make(speed=-1), ConfigError, ["speed", "> 0", "None for full speed"]),
    ("speed NaN", lambda make: make(speed=float("nan")), ConfigError, ["speed", "> 0"]),
    ("speed from code", lambda make: setattr(make(), "speed", "fast"), ConfigError, ["speed"]),
    ("lr -1", lambda make: make(lr=-1.0), ConfigError, ["lr"]),
    ("epochs 0", lambda make: make(epochs=0), ConfigError, ["epochs"]),
    ("run_steps 0", lambda make: make().run_steps(0), ConfigError, ["n must be", "≥ 1"]),
    ("run_steps True", lambda make: make().run_steps(True), ConfigError, ["n must be"]),
    ("run_steps 1.5", lambda make: make().run_steps(1.5), ConfigError, ["n must be"]),
    ("replay past the snapshots", lambda make: setattr(make(), "replay", 5), ConfigError,
     ["replay must be a snapshot 0..0", "None for live"]),
    ("drill cell 10", lambda make: make().drilldown.choose_cell(3, 10), ConfigError, ["class 0..9"]),
    ("drill image 10**6", lambda make: make().drilldown.open_example(10**6), ConfigError,
     ["test image 0..199"]),
    ("drill before a checkpoint", lambda make: _no_checkpoint(make()).drilldown.choose_cell(1, 1),
     ConfigError, ["train or step first"]),
]


def _no_checkpoint(panel):
    panel.dash.checkpoint = None
    panel.drilldown._checkpoint = None
    return panel


@pytest.mark.parametrize("case,call,error,words", TRAINING_CASES, ids=[c[0] for c in TRAINING_CASES])
def test_training_panel_bad_input(make_training, case, call, error, words):
    with pytest.raises(error) as info:
        call(make_training)
    message = str(info.value)
    for word in words:
        assert word in message, (case, message)
    assert isinstance(info.value, BackproplabError), type(info.value).__mro__


def test_bad_settings_typed_into_the_panel_are_shown_and_change_nothing(make_training):
    panel = make_training()
    panel.control("bpl-train-hidden").value = "ten"
    panel.control("bpl-train-reset").click()  # no exception escapes the click
    assert "hidden sizes must be positive whole numbers" in panel.shown("bpl-train-error")
    assert panel.net.sizes == (784, 100, 10, 10) and panel.state == "ready"
    panel.control("bpl-train-hidden").value = "100,10"
    panel.control("bpl-train-batch-size").value = 0  # a BoundedIntText clamps it to 1
    assert panel.control("bpl-train-batch-size").value == 1
    panel.control("bpl-train-lr").value = float("nan")
    panel.control("bpl-train-step").click()
    assert "lr" in panel.shown("bpl-train-error") and panel.latest is None


def test_saving_into_a_file_is_shown_in_the_panel(make_training, tmp_path):
    panel = make_training()
    panel.run_steps(2)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    panel.control("bpl-save-folder").value = str(blocker / "run")
    panel.control("bpl-save").click()
    shown = panel.shown("bpl-train-error")
    assert "save" in shown and str(blocker) in shown  # which action failed, and where
    assert panel.latest.step == 2 and panel.state == "paused"  # the run is not lost


def _assert_divergence_told(panel, lr: float) -> None:
    assert panel.state == "failed"
    status = panel.shown("bpl-train-status")
    assert "Training diverged" in status and "last good step were restored" in status, status
    assert f"it was {lr:g}" in status and "Reset" in status, status
    assert all(np.isfinite(W).all() for W in panel.net.weights)


def test_a_diverging_run_stops_and_says_what_to_change(make_training):
    panel = make_training(lr=1e38, epochs=3)
    panel.start()
    assert panel.wait(TIMEOUT)
    _assert_divergence_told(panel, 1e38)


def test_lr_1e6_stops_and_says_what_to_change(make_training):
    panel = make_training(lr=1e6, epochs=3)
    panel.start()
    assert panel.wait(TIMEOUT)
    _assert_divergence_told(panel, 1e6)
