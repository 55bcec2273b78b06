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
    the redraw thread and the helper render process draw); for the headless
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
                # a learner's panel is open a moment before Start: its drawing process has started
                helper = panel.wait_for_renderer(timeout=30.0)
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
            f"({'in the helper process' if stats.get('render_process') else 'in the kernel'}; helper "
            f"process {'ready' if helper else 'not ready' if helper is False else 'unknown'} at Start).")
    return Dashboard(d / h, d, h, note)
