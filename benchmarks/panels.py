"""The panels, kernel side: time per step-through click, and the live dashboard's throughput.

Widgets run here without a browser: ``Button.click()`` runs the same callbacks a
click in JupyterLab does, and the time measured is the kernel's (the browser's
drawing is not included).
"""

from __future__ import annotations

import statistics
import time
from typing import NamedTuple


class Clicks(NamedTuple):
    median: float  # seconds, all clicks
    first_visits: float  # median of clicks that showed a step for the first time (its PNG is drawn)
    revisits: float  # median of clicks onto a step already shown (its PNG is cached)
    worst: float
    count: int
    steps: int  # steps in the trace


def step_through_clicks(X, y, *, clicks: int = 50) -> Clicks:
    """Median seconds per Next / Previous click of a StepThroughPanel on the classic net.

    The panel opens on ``X[:8]`` (one sample shown, quiz off so every detail is
    drawn); the clicks walk forward to the last step, back to the first, and so on.
    """
    from backproplab import MLP
    from backproplab.panels import StepThroughPanel

    panel = StepThroughPanel(MLP(), X[:8], y[:8], quiz=False)
    next_, prev = panel.control("bpl-step-next"), panel.control("bpl-step-prev")
    n = len(panel.trace)
    seen, first, again, direction = {0}, [], [], 1
    for _ in range(clicks):
        if panel.step == n - 1:
            direction = -1
        elif panel.step == 0:
            direction = 1
        button = next_ if direction > 0 else prev
        t0 = time.perf_counter()
        button.click()
        dt = time.perf_counter() - t0
        (again if panel.step in seen else first).append(dt)
        seen.add(panel.step)
    if panel.errors.widget.value:  # a callback error is shown in the panel, not raised
        raise RuntimeError(f"the step-through panel showed an error: {panel.errors.widget.value[:300]}")
    all_ = first + again
    return Clicks(statistics.median(all_), statistics.median(first) if first else float("nan"),
                  statistics.median(again) if again else float("nan"), max(all_), len(all_), n)


class Frames(NamedTuple):
    fast: float  # seconds per frame of the four figures as the dashboard draws them now (median)
    matplotlib: float  # the same frames drawn as matplotlib figures to PNG, as before (median)
    frames: int


def frame_times(*, frames: int = 20, points: int = 2000) -> Frames:
    """Median seconds to draw one dashboard frame: the four figures, filters, loss and accuracy
    curves, confusion matrix, each frame with new weights, one more curve point and new counts.

    ``fast`` is the dashboard's FigureSet (indexed PNG, SVG, HTML); ``matplotlib`` the figures
    of backproplab.viz (FiltersFigure, CurvesFigure, ConfusionFigure) rendered to PNG, which
    the dashboard drew before. Both in this process, on the same inputs.
    """
    import numpy as np

    from backproplab.panels.training.render import FigureSet
    from backproplab.viz import ConfusionFigure, CurvesFigure, FiltersFigure

    rng = np.random.default_rng(0)
    W1 = rng.normal(0, 0.1, (785, 100)).astype(np.float32)
    x = np.linspace(0, 10, points + frames)
    loss, acc = 2.3 * np.exp(-x / 3), 1 - 0.9 * np.exp(-x)
    fast_set = FigureSet()
    filters, curves, confusion = FiltersFigure(), CurvesFigure(), ConfusionFigure()

    def job(k):
        n = points + k
        W1[1 + k % 784] += 0.01  # new weights every frame
        return {"filters": (W1, f"W1 filters, step {k}"),
                "curves": {"steps": list(x[:n]), "train_loss": list(loss[:n]), "train_acc": list(acc[:n]),
                           "test_steps": list(range(1, 10)), "test_acc": [0.9] * 9, "x_max": 10.0},
                "confusion": (rng.integers(0, 500, (10, 10)), f"test set, step {k}")}

    def slow(j):
        filters.update(j["filters"][0], title=j["filters"][1])
        curves.update(**{key: v for key, v in j["curves"].items() if key != "x_max"})
        confusion.update(*j["confusion"][:1], title=j["confusion"][1])
        return filters.to_png(), curves.to_png(), confusion.to_png()

    times = {"fast": [], "matplotlib": []}
    for k in range(frames):
        for name, draw in (("fast", fast_set.render), ("matplotlib", slow)):
            j = job(k)
            t0 = time.perf_counter()
            draw(j)
            times[name].append(time.perf_counter() - t0)
    return Frames(statistics.median(times["fast"][1:]), statistics.median(times["matplotlib"][1:]), frames)


class Dashboard(NamedTuple):
    ratio: float | None  # dashboard samples/s over headless samples/s, wall clock of the run
    dashboard_sps: float | None
    headless_sps: float | None
    note: str


def _training_panel():
    try:
        from backproplab.panels import TrainingPanel
    except ImportError:
        from backproplab.panels.training import TrainingPanel
    return TrainingPanel


def dashboard_throughput(data, *, epochs: int, batch_size: int = 32, rounds: int = 2) -> Dashboard:
    """The live dashboard's training throughput relative to the headless trainer.

    Both train a fresh classic net on ``data`` for ``epochs`` epochs with the same
    settings and test-set evaluation at each epoch end (the Trainer with
    ``confusion=True, snapshots=True``, as the dashboard's session asks).
    Throughput is samples over the run's wall time: for the dashboard
    ``run_seconds`` (its training thread, epoch-end evaluation included, while
    the redraw thread draws a frame at each tick); for the headless
    trainer the loop over ``Trainer.run``. Rounds alternate headless, dashboard.
    Skipped (ratio None, the reason in ``note``) when ``TrainingPanel`` cannot
    be imported or fails.
    """
    try:
        TrainingPanel = _training_panel()
    except Exception as exc:  # noqa: BLE001 - another helper may be mid-edit: skip, say why
        return Dashboard(None, None, None, f"skipped: TrainingPanel cannot be imported ({exc})")
    from backproplab import MLP
    from backproplab.core.training import Trainer

    n = len(data.y_train) * epochs
    head, dash, head_clock, dash_clock, stats = [], [], [], [], {}
    try:
        for _ in range(rounds):
            trainer = Trainer(MLP(seed=0), epochs=epochs, batch_size=batch_size, seed=0, confusion=True,
                              snapshots=True)
            t0 = time.perf_counter()
            for record in trainer.run(data.x_train, data.y_train, data.x_test, data.y_test):
                pass
            head.append(n / (time.perf_counter() - t0))
            head_clock.append(record.samples_per_second)

            panel = TrainingPanel(MLP(seed=0), data, epochs=epochs, batch_size=batch_size, seed=0)
            try:
                helper = panel.wait_for_renderer(timeout=0)  # figures drawn in the kernel by default
                panel.start()
                if not panel.wait(timeout=600.0):
                    raise TimeoutError("the dashboard's run did not end within 600 s")
                if panel.state != "finished":
                    raise RuntimeError(f"the dashboard's run ended in state {panel.state!r}")
                dash.append(n / panel.run_seconds)
                dash_clock.append(panel.samples_per_second)
                stats = panel.redraw_stats
            finally:
                panel.close()
    except Exception as exc:  # noqa: BLE001 - report, don't crash the other sections
        return Dashboard(None, None, None, f"skipped: the dashboard run failed ({type(exc).__name__}: {exc})")
    h, d = statistics.median(head), statistics.median(dash)
    note = (f"Batch {batch_size} (the dashboard's default), {epochs} epoch(s) of {len(data.y_train):,} "
            f"images, {rounds} alternating rounds. On the trainer's own clock (steps only, evaluation "
            f"excluded) the ratio is {statistics.median(dash_clock) / statistics.median(head_clock):.0%}. "
            f"Redraws in the last run: {stats.get('ticks', 0)} ticks of {stats.get('tick_ms', 0):.1f} ms "
            f"in the kernel, {stats.get('frames', 0)} figure frames of {stats.get('render_ms', 0):.0f} ms "
            f"({'in the helper process' if stats.get('render_process') else 'in the kernel'}).")
    return Dashboard(d / h, d, h, note)
