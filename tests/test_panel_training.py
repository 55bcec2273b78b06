"""The training dashboard, driven as a learner would (Button.click), no browser.

Background runs are awaited with events and joins (``wait``, ``wait_for_steps``),
never with sleeps.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from backproplab.core import MLP, Trainer, evaluate
from backproplab.data import load_mnist
from backproplab.panels._common import walk
from backproplab.panels.training import TrainingPanel, training_dashboard
from backproplab.panels.training.render import FigureSet, RenderProcess
from backproplab.panels.training.text import filters_title
from backproplab.viz import PNG_SIGNATURE
from figures_check import confusion_counts, mosaic_shows

CLASSES = ["bpl-train-start", "bpl-train-pause", "bpl-train-stop", "bpl-train-step", "bpl-train-reset",
           "bpl-train-progress", "bpl-train-status", "bpl-filters", "bpl-confusion", "bpl-curves",
           "bpl-drilldown", "bpl-snapshots", "bpl-train-error", "bpl-per-class", "bpl-saturation",
           "bpl-why-slow", "bpl-save", "bpl-save-folder", "bpl-save-result", "bpl-train-epochs",
           "bpl-train-lr", "bpl-train-batch-size", "bpl-train-momentum", "bpl-train-seed",
           "bpl-train-n-train", "bpl-train-hidden", "bpl-train-activation", "bpl-drill-grid"]
TIMEOUT = 60.0
SETTINGS = {"lr": 0.1, "batch_size": 32, "momentum": 0.9, "lr_decay": 0.8, "seed": 0}


@pytest.fixture(scope="module")
def data(mnist_dir):
    return load_mnist(data_dir=mnist_dir, n_train=2000, n_test=500, dtype=np.uint8, progress=False)


@pytest.fixture
def make_panel(data):
    panels = []

    def make(**kw):
        kw.setdefault("render_process", False)
        panel = TrainingPanel(MLP(), data, **kw)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.close()


def w(panel, cls):
    return panel.control(cls)


def click(panel, cls):
    w(panel, cls).click()


def text(panel, cls) -> str:
    return panel.shown(cls)


def visible(widget) -> bool:
    return widget.layout.display != "none"


def png(panel, cls) -> bytes:
    return bytes(w(panel, cls).value)  # ipywidgets keeps Image.value as a memoryview


def images(panel) -> dict:
    """What the three live figures show: the filters' PNG, the confusion table's and the curves' markup."""
    return {"bpl-filters": png(panel, "bpl-filters"), "bpl-confusion": w(panel, "bpl-confusion").value,
            "bpl-curves": w(panel, "bpl-curves").value}


def assert_figures_look_right(figures: dict) -> None:
    assert figures["bpl-filters"].startswith(PNG_SIGNATURE)
    assert "<table" in figures["bpl-confusion"] and figures["bpl-curves"].startswith("<svg")


def headless_weights(data, steps, *, epochs):
    """The weights the core's trainer reaches after ``steps`` steps, same settings."""
    net = MLP()
    for record in Trainer(net, epochs=epochs, **SETTINGS).run(data.x_train, data.y_train,
                                                             data.x_test, data.y_test):
        if record.step == steps:
            break
    return net.weights


def assert_weights_equal(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_every_css_class_is_there_once(make_panel):
    panel = make_panel()
    for cls in CLASSES:
        w(panel, cls)
    assert_figures_look_right(images(panel))
    assert not visible(w(panel, "bpl-train-error"))
    assert panel.state == "ready"
    assert w(panel, "bpl-train-pause").disabled and w(panel, "bpl-train-stop").disabled


def test_repr_is_short_and_deterministic(make_panel):
    panel = make_panel(epochs=10)
    assert repr(panel) == ("TrainingPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), "
                           "2000 train / 500 test images, epoch 0 of 10)")
    panel.run_steps(63)  # 2000 / 32 → 63 steps per epoch
    assert repr(panel).endswith("epoch 1 of 10)")


def test_one_batch_updates_every_view(make_panel, data):
    panel = make_panel()
    before = images(panel)
    click(panel, "bpl-train-step")
    assert not visible(w(panel, "bpl-train-error")), w(panel, "bpl-train-error").value
    assert panel.latest.step == 1 and panel.state == "paused"
    after = images(panel)
    assert_figures_look_right(after)
    for cls in after:
        assert after[cls] != before[cls], cls
    assert mosaic_shows(after["bpl-filters"], panel.net.weights[0])
    np.testing.assert_array_equal(confusion_counts(after["bpl-confusion"]),
                                  evaluate(panel.net, data.x_test, data.y_test).confusion)
    assert "figures: step 1 " in text(panel, "bpl-frame-step") + " "
    cm = panel.session.evaluation.confusion
    assert cm.sum() == len(data.y_test)
    np.testing.assert_array_equal(cm, evaluate(panel.net, data.x_test, data.y_test).confusion)
    assert w(panel, "bpl-train-progress").value == 1
    status = text(panel, "bpl-train-status")
    assert "paused" in status and "epoch 1 of 10" in status and "step 1 of 63" in status
    assert "samples/s" in status
    assert "per-class" in text(panel, "bpl-per-class")
    assert len(panel.history.steps) == 1  # every step is a curve point at this size


def test_a_few_batches(make_panel, data):
    panel = make_panel()
    panel.run_steps(5)
    first = images(panel)
    records = panel.run_steps(3)
    assert [r.step for r in records] == [6, 7, 8]
    assert panel.latest.step == 8 and len(panel.history.steps) == 8
    assert all(first[c] != v for c, v in images(panel).items())
    assert panel.session.evaluation.confusion.sum() == len(data.y_test)
    assert panel.session.evaluation.label == "step 8"
    assert_weights_equal(panel.net.weights, headless_weights(data, 8, epochs=10))
    # settings are fixed once a run has begun; the architecture is edited for the next reset
    assert w(panel, "bpl-train-lr").disabled and not w(panel, "bpl-train-hidden").disabled


def test_background_start_pause_resume_stop_keep_a_consistent_network(make_panel, data):
    panel = make_panel(epochs=1000)  # long enough never to finish here
    click(panel, "bpl-train-start")
    assert panel.state == "running"
    assert w(panel, "bpl-train-step").disabled is False and w(panel, "bpl-train-start").disabled
    assert panel.wait_for_steps(40, TIMEOUT)
    click(panel, "bpl-train-pause")
    assert panel.state == "paused" and panel.wait(0)
    k = panel.latest.step
    assert k >= 40 and len(panel.history.steps) == k
    assert all(np.isfinite(W).all() for W in panel.net.weights)
    assert_weights_equal(panel.net.weights, headless_weights(data, k, epochs=1000))
    assert w(panel, "bpl-train-progress").value == k
    assert panel.session.evaluation.step == k  # the paused network was evaluated
    assert w(panel, "bpl-train-start").description == "Resume"

    click(panel, "bpl-train-start")  # resume the same run
    assert panel.wait_for_steps(k + 70, TIMEOUT)  # across an epoch end
    click(panel, "bpl-train-stop")
    assert panel.state == "stopped" and panel.wait(0)
    k2 = panel.latest.step
    assert k2 >= k + 70 and len(panel.history.steps) == k2
    assert len(panel.history.epochs) >= 1 and len(panel.snapshots) >= 2
    assert_weights_equal(panel.net.weights, headless_weights(data, k2, epochs=1000))
    assert panel.session.evaluation.confusion.sum() == len(data.y_test)
    assert w(panel, "bpl-train-start").disabled and w(panel, "bpl-train-step").disabled
    assert not visible(w(panel, "bpl-train-error"))


def test_a_run_to_the_end_in_the_background(make_panel, data):
    panel = make_panel(epochs=2)
    before = images(panel)
    panel.start()
    assert panel.wait(TIMEOUT)
    assert panel.state == "finished" and panel.latest.step == 126
    assert [s.label for s in panel.snapshots] == ["untrained", "epoch 1", "epoch 2"]
    assert all(before[c] != v for c, v in images(panel).items())
    assert "finished" in text(panel, "bpl-train-status")
    assert panel.samples_per_second > 0 and panel.run_seconds > 0
    assert repr(panel).endswith("epoch 2 of 2)")


def wait_for_frames(panel, n: int, timeout: float = TIMEOUT) -> bool:
    """Wait (on training steps, no sleeps) until the redraw thread has shown ``n`` figure frames."""
    deadline = time.monotonic() + timeout
    while panel.redraw_stats["frames"] < n and panel.state == "running":
        if time.monotonic() > deadline:
            return False
        panel.wait_for_steps(panel.latest.step + 20 if panel.latest else 20, TIMEOUT)
    return panel.redraw_stats["frames"] >= n


def test_figures_drawn_in_the_helper_process(make_panel):
    panel = make_panel(epochs=1000, render_process=True)
    assert panel.wait_for_renderer(TIMEOUT)
    before = images(panel)
    panel.start()
    assert wait_for_frames(panel, 2)
    panel.stop()
    assert all(before[c] != v for c, v in images(panel).items())
    assert panel.redraw_stats["render_process"]
    helper = panel.live.renderer.helper
    panel.close()
    assert not panel.wait_for_renderer(0) and helper._process.exitcode is not None


def test_pause_resume_and_stop_never_wait_for_the_helper(make_panel):
    panel = make_panel(epochs=1000, render_process=True)
    assert panel.wait_for_renderer(TIMEOUT)
    for _ in range(3):  # a pause drops the frame being drawn; the next run must not block on it
        panel.start()
        assert "running" in text(panel, "bpl-train-status")  # at once, not at the first tick
        assert wait_for_frames(panel, panel.redraw_stats["frames"] + 1)
        assert panel.pause(timeout=TIMEOUT) and panel.state == "paused"
    panel.start()
    assert panel.wait_for_steps(panel.latest.step + 10, TIMEOUT)
    assert panel.stop(timeout=TIMEOUT) and panel.state == "stopped"
    assert not visible(w(panel, "bpl-train-error"))


def test_the_helper_reads_a_dropped_answer_before_taking_the_next_job():
    helper = RenderProcess()
    try:
        assert helper.ready(TIMEOUT)
        job = {"filters": (np.ones((785, 100), np.float32), "a job larger than a pipe's buffer")}
        helper.submit(job)
        helper.discard()  # e.g. a pause: nobody wants this answer any more
        assert not helper.busy
        with pytest.raises(RuntimeError, match="still on another job"):
            helper.submit({})  # the child may be sending the dropped answer: a big job would block both
        deadline = time.monotonic() + TIMEOUT
        while not helper.idle():  # reads and drops the answer when it comes
            assert time.monotonic() < deadline, "the dropped answer never came"
            helper._conn.poll(0.1)
        helper.submit(job)
        assert sorted(helper.receive(TIMEOUT)[0]) == ["filters", "filters_caption"]
    finally:
        helper.close()
    assert helper._process.exitcode is not None


@pytest.mark.parametrize("render_process", [False, True], ids=["in-kernel", "helper"])
def test_live_filters_show_the_weights_of_the_step_in_their_title(make_panel, data, monkeypatch,
                                                                  render_process):
    """After Reset then Start, every filters frame shows the weights of the step its title names.

    (The first live frame used to show the weights published at Reset, or a few steps
    in, under the title of a step hundreds of steps later.)
    """
    frames = []  # (W1, title) of every filters frame drawn in the kernel or sent to the helper
    real_render, real_submit = FigureSet.render, RenderProcess.submit

    def render(self, job):
        if "filters" in job:
            frames.append((job["filters"][0].copy(), job["filters"][1]))
        return real_render(self, job)

    def submit(self, job):
        if "filters" in job:
            frames.append((job["filters"][0].copy(), job["filters"][1]))
        return real_submit(self, job)

    monkeypatch.setattr(FigureSet, "render", render)
    monkeypatch.setattr(RenderProcess, "submit", submit)
    panel = make_panel(epochs=1000, render_process=render_process)
    assert not render_process or panel.wait_for_renderer(TIMEOUT)
    panel.run_steps(100)
    click(panel, "bpl-train-reset")  # publishes the new, untrained weights
    frames.clear()
    click(panel, "bpl-train-start")
    assert wait_for_frames(panel, 2)
    click(panel, "bpl-train-pause")
    assert panel.state == "paused" and not visible(w(panel, "bpl-train-error"))
    live = [(W1, title) for W1, title in frames if "untrained" not in title]
    assert len(live) >= 2, [title for _, title in frames]

    # the step(s) each title can mean, and the weights the core's trainer has there
    per_epoch = panel.latest.steps_per_epoch
    named = []
    for W1, title in live:
        epoch = re.search(r"epoch (\d+\.\d\d)", title).group(1)
        steps = {s for s in range(1, panel.latest.step + 1)
                 if f"{epoch_fraction_of(s, per_epoch):.2f}" == epoch}
        assert steps, title
        named.append((W1, title, steps))
    wanted = set().union(*(steps for _, _, steps in named))
    net, at = MLP(), {}
    for record in Trainer(net, epochs=1000, **SETTINGS).run(data.x_train, data.y_train,
                                                          data.x_test, data.y_test):
        if record.step in wanted:
            at[record.step] = net.weights[0].copy()
        if record.step >= max(wanted):
            break
    untrained = MLP().weights[0]
    for W1, title, steps in named:
        assert not np.array_equal(W1, untrained), f"{title} shows the untrained weights"
        assert any(np.array_equal(W1, at[s]) for s in steps), f"{title} shows another step's weights"


def epoch_fraction_of(step: int, per_epoch: int) -> float:
    """Progress.epoch_fraction of a step (steps count from 1; epoch k ends at step k·per_epoch)."""
    epoch = -(-step // per_epoch)
    return epoch - 1 + (step - (epoch - 1) * per_epoch) / per_epoch


def assert_unchanged(seen: dict, now: dict, when: str) -> None:
    for cls in now:
        assert seen[cls] == now[cls], f"{cls} changed after the status said {when}"


def _first_shown_with(panel, predicate):
    """Record what the figures show when the status first satisfies ``predicate``."""
    seen = {}

    def on_status(change):
        if not seen and predicate(change["new"]):
            seen.update(images(panel))

    w(panel, "bpl-train-status").observe(on_status, names="value")
    return seen


@pytest.mark.parametrize("render_process", [False, True], ids=["in-kernel", "helper"])
def test_the_status_says_paused_only_once_the_final_figures_are_on_show(make_panel, render_process):
    panel = make_panel(epochs=1000, render_process=render_process)
    assert not render_process or panel.wait_for_renderer(TIMEOUT)
    click(panel, "bpl-train-start")
    assert wait_for_frames(panel, 1)
    seen = _first_shown_with(panel, lambda status: "paused" in status)
    click(panel, "bpl-train-pause")
    assert_unchanged(seen, images(panel), "paused")
    k = panel.latest.step
    assert mosaic_shows(seen["bpl-filters"], panel.net.weights[0])  # the paused network's filters
    assert f"figures: step {k:,} " in text(panel, "bpl-frame-step") + " "
    evaluation = panel.session.evaluation  # "step k", or "epoch n" if the pause fell on an epoch's end
    assert evaluation.step == k
    np.testing.assert_array_equal(confusion_counts(seen["bpl-confusion"]), evaluation.confusion)
    assert f"test set, {evaluation.label}" in seen["bpl-confusion"]

    paused = panel.net.weights[0].copy()
    seen = _first_shown_with(panel, lambda status: f"({k + 1:,} in all)" in status)
    click(panel, "bpl-train-step")
    assert_unchanged(seen, images(panel), f"step {k + 1}")
    assert not mosaic_shows(seen["bpl-filters"], paused)
    assert mosaic_shows(seen["bpl-filters"], panel.net.weights[0])
    assert f"figures: step {k + 1:,} " in text(panel, "bpl-frame-step") + " "


def test_reset_applies_sizes_and_activation(make_panel):
    panel = make_panel()
    panel.run_steps(3)
    old_filters = png(panel, "bpl-filters")
    w(panel, "bpl-train-hidden").value = "36, 12"
    w(panel, "bpl-train-activation").value = "tanh"
    assert panel.net.sizes == (784, 100, 10, 10)  # applied on reset only
    click(panel, "bpl-train-reset")
    assert not visible(w(panel, "bpl-train-error"))
    assert panel.net.sizes == (784, 36, 12, 10) and panel.net.activation == "tanh"
    assert panel.state == "ready" and panel.latest is None and panel.history.steps == []
    assert [s.label for s in panel.snapshots] == ["untrained"]
    assert png(panel, "bpl-filters") != old_filters
    assert "tanh" in repr(panel) and "epoch 0 of" in repr(panel)
    assert not w(panel, "bpl-train-lr").disabled
    panel.run_steps(2)  # the new network trains
    assert panel.latest.step == 2

    w(panel, "bpl-train-hidden").value = "ten"
    click(panel, "bpl-train-reset")
    assert visible(w(panel, "bpl-train-error"))
    assert "hidden sizes" in text(panel, "bpl-train-error")
    assert panel.net.sizes == (784, 36, 12, 10) and panel.latest.step == 2  # nothing changed


def _off_diagonal_cell(cm):
    off = cm.copy()
    np.fill_diagonal(off, 0)
    t, p = np.unravel_index(np.argmax(off), off.shape)
    assert off[t, p] > 0
    return int(t), int(p)


def test_drilldown_opens_the_right_image(make_panel, data):
    panel = make_panel()
    panel.run_steps(20)
    checkpoint = panel.session.evaluation
    t, p = _off_diagonal_cell(checkpoint.confusion)
    w(panel, "bpl-train-tabs").selected_index = 1  # the grid is drawn while its tab is on show
    grid_button = w(panel, f"bpl-drill-cell-{t}-{p}")
    assert grid_button.description == str(checkpoint.confusion[t, p])
    grid_button.click()
    drill = panel.drilldown
    assert drill.cell == (t, p)
    predictions = evaluate(panel.net, data.x_test, data.y_test).predictions
    expected = np.flatnonzero((data.y_test == t) & (predictions == p))[:16]
    np.testing.assert_array_equal(drill.indices, expected)
    thumbs = [b for b in walk(drill) if "bpl-drill-thumb" in b._dom_classes]
    assert sum(visible(b) or visible_parent(drill, b) for b in thumbs) >= len(expected)
    assert f"true {t}, predicted {p}" in text(panel, "bpl-drill-caption")

    w(panel, "bpl-drill-thumb-0").click()
    assert not visible(w(panel, "bpl-train-error")), w(panel, "bpl-train-error").value
    i = int(expected[0])
    assert drill.example == i
    stp = drill.step_through
    x = stp.trace["x"].value
    assert x.shape == (1, 784)
    np.testing.assert_allclose(x[0], data.x_test[i] / 255.0, atol=1e-6)
    assert f"true {int(data.y_test[i])}" in text(panel, "bpl-drill-example")
    assert f"predicted {p}" in text(panel, "bpl-drill-example")
    # the step-through network is a copy at the evaluated weights, not the live one
    assert stp.net is not panel.net
    assert_weights_equal(stp.net.weights, checkpoint.weights)
    # where this image pushes each filter: the two mosaics and the top units
    assert png(panel, "bpl-drill-gradients").startswith(PNG_SIGNATURE)
    assert png(panel, "bpl-drill-filters").startswith(PNG_SIGNATURE)
    assert len(w(panel, "bpl-drill-units").children) == 6
    # training on does not touch the open example
    panel.run_steps(2)
    assert_weights_equal(stp.net.weights, checkpoint.weights)


def visible_parent(root, widget) -> bool:
    """The thumbnail's box is what is shown or hidden."""
    for box in walk(root):
        if widget in getattr(box, "children", ()):
            return visible(box)
    return False


def test_drilldown_grid_is_blank_until_drawn_and_its_caption_has_its_room(make_panel):
    panel = make_panel()
    cells = [b for b in walk(panel.drilldown) if "bpl-drill-cell" in b._dom_classes]
    assert len(cells) == 100 and all(b.description == "" and b.disabled for b in cells)
    caption = w(panel, "bpl-drill-grid-caption")
    assert caption.layout.min_height == "40px"  # drawing the grid does not move it down
    assert "Not drawn yet" in text(panel, "bpl-drill-grid-caption")
    w(panel, "bpl-train-tabs").selected_index = 1
    counts = panel.session.evaluation.confusion.ravel()
    assert [b.description for b in cells] == [str(n) for n in counts]
    assert [b.disabled for b in cells] == [n == 0 for n in counts]
    assert "test confusion matrix at untrained" in text(panel, "bpl-drill-grid-caption")
    w(panel, "bpl-train-tabs").selected_index = 0
    panel.run_steps(3)
    click(panel, "bpl-train-reset")  # a new network: blank until the tab is on show again
    assert all(b.description == "" and b.disabled for b in cells)
    w(panel, "bpl-train-tabs").selected_index = 1
    assert [b.description for b in cells] == [str(n) for n in panel.session.evaluation.confusion.ravel()]


def test_drilldown_rejects_bad_input(make_panel):
    panel = make_panel()
    from backproplab.errors import ConfigError

    with pytest.raises(ConfigError, match="class 0..9"):
        panel.drilldown.choose_cell(3, 10)
    with pytest.raises(ConfigError, match="test image"):
        panel.drilldown.open_example(10**6)


def test_snapshot_replay_shows_that_epochs_filters(make_panel, data):
    panel = make_panel(epochs=2)
    panel.run_steps(126)
    assert panel.state == "finished"
    assert [s.label for s in panel.snapshots] == ["untrained", "epoch 1", "epoch 2"]
    epoch1 = panel.snapshots[1]
    assert_weights_equal(epoch1.weights, headless_weights(data, 63, epochs=2))
    live = png(panel, "bpl-filters")
    slider = w(panel, "bpl-snapshots")
    assert [label for label, _ in slider.options] == ["untrained", "epoch 1", "epoch 2", "live"]
    slider.value = 1
    assert panel.replay == 1
    assert mosaic_shows(png(panel, "bpl-filters"), epoch1.weights[0])
    assert "W1 filters at epoch 1 (replay)" in text(panel, "bpl-filters-caption")
    assert "epoch 1 (replay), step 63" in text(panel, "bpl-frame-step")
    assert "replaying epoch 1" in text(panel, "bpl-replay-caption")
    assert panel.drilldown._checkpoint is epoch1  # the drill-down follows the replay
    slider.value = -1  # live
    assert panel.replay is None and png(panel, "bpl-filters") == live


def test_saturation_per_epoch(make_panel):
    panel = make_panel(epochs=1)
    panel.run_steps(63)
    table = text(panel, "bpl-saturation")
    assert "untrained" in table and "epoch 1" in table
    for name in ("σ′(z1)", "σ′(z2)", "‖δ3‖", "‖δ2‖", "‖δ1‖"):
        assert name in table
    assert "1/4" in text(panel, "bpl-why-slow")
    layers = panel.snapshots[1].saturation
    assert [s.layer for s in layers] == [1, 2, 3]


def assert_divergence_told(panel, lr):
    """The status says the run diverged, that the last good weights are back, and what to change."""
    assert panel.state == "failed"
    status = text(panel, "bpl-train-status")
    assert "Training diverged" in status and "last good step were restored" in status, status
    assert f"it was {lr:g}" in status and "Reset" in status, status
    assert all(np.isfinite(W).all() for W in panel.net.weights)
    assert w(panel, "bpl-train-start").disabled and not w(panel, "bpl-train-reset").disabled


def test_divergence_is_shown_in_the_panel(make_panel):
    panel = make_panel(lr=1e38, epochs=3)
    click(panel, "bpl-train-start")
    assert panel.wait(TIMEOUT)
    assert_divergence_told(panel, 1e38)

    panel2 = make_panel(lr=1e38)
    for _ in range(5):
        if panel2.state == "failed":
            break
        click(panel2, "bpl-train-step")
    assert_divergence_told(panel2, 1e38)
    w(panel2, "bpl-train-lr").value = 0.1  # the fix the panel names works
    click(panel2, "bpl-train-reset")
    panel2.run_steps(3)
    assert panel2.state == "paused" and "diverged" not in text(panel2, "bpl-train-status")


def test_bad_settings_are_shown_not_raised(make_panel):
    panel = make_panel()
    w(panel, "bpl-train-lr").value = -1.0
    click(panel, "bpl-train-start")
    error = w(panel, "bpl-train-error")
    assert visible(error) and "lr must be" in text(panel, "bpl-train-error")
    assert panel.state == "ready"
    w(panel, "bpl-train-lr").value = 0.1
    click(panel, "bpl-train-step")  # the next action clears the error
    assert not visible(error) and panel.latest.step == 1


def test_training_set_size(make_panel):
    panel = make_panel(epochs=1)
    w(panel, "bpl-train-n-train").value = 640
    panel.run_steps(20)
    assert panel.state == "finished" and panel.latest.steps_per_epoch == 20
    assert repr(panel).startswith("TrainingPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), 640 train")


def test_save_writes_the_model_and_figures(make_panel, tmp_path):
    panel = make_panel()
    panel.run_steps(5)
    w(panel, "bpl-save-folder").value = str(tmp_path / "run")
    click(panel, "bpl-save")
    assert not visible(w(panel, "bpl-train-error"))
    names = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert names == ["confusion.png", "curves.png", "filters.png", "metrics.json", "model.npz"]
    result = text(panel, "bpl-save-result")
    for name in names:
        assert str(tmp_path / "run" / name) in result
    assert_weights_equal(MLP.load(tmp_path / "run" / "model.npz").weights, panel.net.weights)
    assert (tmp_path / "run" / "filters.png").read_bytes() == png(panel, "bpl-filters")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["model"] == repr(panel.net) and metrics["settings"]["lr"] == 0.1


def test_saving_while_training_takes_a_consistent_copy(make_panel, tmp_path):
    panel = make_panel(epochs=1000)
    panel.start()
    assert panel.wait_for_steps(10, TIMEOUT)
    paths = panel.save(tmp_path)
    assert panel.state == "running"
    saved = MLP.load(paths[0])
    panel.stop()
    assert all(np.isfinite(W).all() for W in saved.weights)


def test_training_dashboard_opens_a_panel(mnist_dir):
    panel = training_dashboard(n_train=500, n_test=200, data_dir=mnist_dir, epochs=3,
                               render_process=False)
    try:
        assert isinstance(panel, TrainingPanel)
        assert repr(panel) == ("TrainingPanel(MLP(784 → 100 → 10 → 10, sigmoid, float32), "
                               "500 train / 200 test images, epoch 0 of 3)")
    finally:
        panel.close()


def test_control_and_shown(make_panel):
    panel = make_panel()
    assert panel.control("bpl-train-step") is panel.controls.step
    assert panel.shown("bpl-train-step") == "Step"
    status = panel.shown("bpl-train-status")
    assert status.startswith("ready · 2,000 training images") and "<" not in status
    with pytest.raises(LookupError, match="bpl-step-next"):  # no example open yet
        panel.control("bpl-step-next")


# The helper process, as a kernel starts it: the script below plays the kernel.
_KERNEL = r"""
import os, signal
from backproplab.panels.training.render import RenderProcess, _WARM_UP

signal.signal(signal.SIGINT, lambda *_: None)  # the kernel survives its interrupts
helper = RenderProcess()
os.killpg(0, signal.SIGINT)  # an interrupt while the helper starts (its imports take a second)
assert helper.ready(60), "the helper did not start"
os.killpg(0, signal.SIGINT)  # and while it waits for a job, as when a kernel shuts down
helper.submit(_WARM_UP)
assert sorted(helper.receive(60)[0]) == ["confusion", "curves", "filters", "filters_caption"]
print(helper.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the kernel dies without closing anything
"""


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux's pidfd_open")
def test_the_helper_process_ignores_interrupts_and_ends_with_the_kernel():
    import select

    # its own session: the interrupts reach the script and its helper, not pytest
    done = subprocess.run([sys.executable, "-c", _KERNEL], capture_output=True, text=True,
                          timeout=120, start_new_session=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    pid = int(done.stdout.split()[-1])
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already gone
    try:
        assert select.select([fd], [], [], 10)[0], f"the helper {pid} outlived its kernel"
    finally:
        os.close(fd)


def _step_in_all(status: str) -> int | None:
    match = re.search(r"\(([\d,]+) in all\)", status)
    return int(match.group(1).replace(",", "")) if match else None


def _frame_step(frame_text: str) -> int | None:
    match = re.search(r"step ([\d,]+)", frame_text)
    return int(match.group(1).replace(",", "")) if match else None


def test_the_figures_and_the_status_show_the_same_moment(make_panel):
    """Sampled as each frame completes (the status is its last update), "figures: step N" and the
    status's "(M in all)" are never more than 0.25 s of training apart (M − N steps at the run's
    samples per second). (Between the two assignments of one frame, microseconds in the kernel,
    the frame step is one frame ahead of the status: no page is drawn in between.)"""
    panel = make_panel(epochs=1000, redraw_hz=10)
    gaps = []

    def sample(change=None):
        status, frame = text(panel, "bpl-train-status"), text(panel, "bpl-frame-step")
        latest, shown = _step_in_all(status), _frame_step(frame)
        rate = re.search(r"([\d,]+) samples/s", status)
        if panel.state == "running" and latest and shown is not None and rate:
            sps = int(rate.group(1).replace(",", ""))
            gaps.append((latest - shown) * SETTINGS["batch_size"] / max(sps, 1))

    w(panel, "bpl-train-status").observe(sample, names="value")
    click(panel, "bpl-train-start")
    assert wait_for_frames(panel, 8)
    panel.stop()
    assert len(gaps) >= 8, gaps
    assert max(abs(g) for g in gaps) <= 0.25, sorted(gaps)[-5:]
    k = panel.latest.step
    assert _step_in_all(text(panel, "bpl-train-status")) == k == _frame_step(text(panel, "bpl-frame-step"))


def test_the_speed_control_slows_training_while_it_runs(make_panel):
    panel = make_panel(epochs=1000)
    speed = w(panel, "bpl-train-speed")
    assert speed.value == 0 and panel.speed is None  # full speed
    click(panel, "bpl-train-start")
    assert panel.wait_for_steps(20, TIMEOUT)
    speed.value = 10  # 10 steps per second, while running
    assert panel.speed == 10.0 and panel.session.speed == 10.0
    start, t0 = panel.latest.step, time.monotonic()
    assert panel.wait_for_steps(start + 6, TIMEOUT)
    slow = time.monotonic() - t0
    assert slow >= 0.45, slow  # at most one step is taken before the new speed applies: ≥ 5 × 0.1 s
    panel.refresh()
    assert "slowed to 10 steps/s" in text(panel, "bpl-train-status")
    speed.value = 0
    assert panel.speed is None
    assert panel.wait_for_steps(panel.latest.step + 200, TIMEOUT)  # full speed again (200 steps in < 60 s)
    panel.stop()
    k = panel.latest.step
    assert_weights_equal(panel.net.weights, headless_weights(panel._data, k, epochs=1000))
    panel.speed = 3  # from code: the control shows it
    assert speed.value == 3


def test_a_dying_render_helper_never_stops_the_dashboard(make_panel, data):
    panel = make_panel(epochs=1000, render_process=True)
    assert panel.wait_for_renderer(TIMEOUT)
    click(panel, "bpl-train-start")
    assert wait_for_frames(panel, 2) and panel.redraw_stats["render_process"]
    os.kill(panel.live.renderer.helper.pid, signal.SIGKILL)
    frames = panel.redraw_stats["frames"]
    assert wait_for_frames(panel, frames + 3)  # frames keep coming, drawn in the kernel
    assert panel.state == "running" and not panel.redraw_stats["render_process"]
    note = w(panel, "bpl-render-note")
    assert visible(note) and "ended (exit code -9)" in text(panel, "bpl-render-note")
    assert "Training was not affected" in text(panel, "bpl-render-note")
    panel.stop()
    assert panel.state == "stopped" and not visible(w(panel, "bpl-train-error"))
    k = panel.latest.step
    assert_weights_equal(panel.net.weights, headless_weights(data, k, epochs=1000))  # nothing lost
    assert mosaic_shows(png(panel, "bpl-filters"), panel.net.weights[0])
