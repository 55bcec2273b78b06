"""The dashboard's figures, drawn here or in a helper process.

A figure redraw (matplotlib's Agg) holds Python's GIL for about 50-70 ms. The
training thread needs the GIL between its small NumPy calls, so every frame
drawn in the kernel's process costs training about as long as the frame
itself: at a few frames per second that is a third of the throughput. A
:class:`RenderProcess` draws the same :class:`FigureSet` in a child process
(started with ``spawn``, so no threads are forked) on the machine's other core;
the kernel only copies W1 into a pipe and PNG bytes out of it.

:class:`FigureSet` (no widgets) is also used directly, in the kernel, whenever
nothing is training (a step, a pause, a replay, saving).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import numpy as np

from ..viz import ConfusionFigure, CurvesFigure, FiltersFigure

__all__ = ["FigureSet", "RenderProcess", "image_shape"]


def image_shape(n_features: int) -> tuple[int, int]:
    """(28, 28) for 784 features; a single row for anything that is not square."""
    side = int(round(n_features ** 0.5))
    return (side, side) if side * side == n_features else (1, n_features)


class FigureSet:
    """The filters, curves and confusion figures, each built once and updated in place.

    ``render(job)`` takes a dict with any of the keys
    ``"filters": (W1, title)``, ``"curves": dict(steps=..., train_loss=..., ...)``,
    ``"confusion": (cm, title)`` and returns ``{key: png_bytes}`` for those keys.
    """

    def __init__(self) -> None:
        self._filters: dict[tuple, FiltersFigure] = {}
        self._confusion: dict[int, ConfusionFigure] = {}
        self._curves: CurvesFigure | None = None

    def figure(self, key: str, shape_of=None):
        """The figure object for ``key`` ("filters" needs W1's shape, "confusion" the class count)."""
        if key == "filters":
            n_pixels, n_hidden = shape_of
            spec = (n_hidden, image_shape(n_pixels - 1))
            if spec not in self._filters:
                self._filters[spec] = FiltersFigure(n_filters=spec[0], image_shape=spec[1])
            return self._filters[spec]
        if key == "confusion":
            if shape_of not in self._confusion:
                self._confusion[shape_of] = ConfusionFigure(n_classes=shape_of)
            return self._confusion[shape_of]
        if key == "curves":
            if self._curves is None:
                self._curves = CurvesFigure()
            return self._curves
        raise KeyError(f"no figure {key!r}; the figures are filters, curves and confusion.")

    def render(self, job: dict) -> dict[str, bytes]:
        out = {}
        if "filters" in job:
            W1, title = job["filters"]
            fig = self.figure("filters", W1.shape)
            fig.update(W1, title=title)
            out["filters"] = fig.to_png()
        if "curves" in job:
            fig = self.figure("curves")
            fig.update(**job["curves"])
            out["curves"] = fig.to_png()
        if "confusion" in job:
            cm, title = job["confusion"]
            fig = self.figure("confusion", len(cm))
            fig.update(cm, title=title)
            out["confusion"] = fig.to_png()
        return out


_WARM_UP = {"filters": (np.zeros((785, 100), np.float32), ""),
            "curves": {"steps": [0.0, 1.0], "train_loss": [1.0, 0.5], "train_acc": [0.5, 0.9],
                       "test_steps": [1.0], "test_acc": [0.9]},
            "confusion": (np.eye(10, dtype=np.int64), "")}


def _serve(conn) -> None:  # pragma: no cover - runs in the child process
    """The child's loop: (job_id, job) in, (job_id, pngs, seconds, error) out, until EOF."""
    try:
        os.nice(10)  # when cores are scarce, training comes first
    except (AttributeError, OSError):
        pass
    figures = FigureSet()
    figures.render(_WARM_UP)  # the first draw of a figure is the slowest: do it before training
    conn.send(("ready", None, 0.0, None))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the kernel went away
            return
        if message is None:
            return
        job_id, job = message
        started = time.perf_counter()
        try:
            pngs, error = figures.render(job), None
        except Exception as exc:  # noqa: BLE001 - sent back and shown in the panel
            pngs, error = {}, f"{type(exc).__name__}: {exc}"
        conn.send((job_id, pngs, time.perf_counter() - started, error))


class RenderProcess:
    """A child process that renders :class:`FigureSet` jobs; one job in flight at a time.

    ``submit(job)`` sends a job; ``poll()`` tells whether its answer is there;
    ``receive(timeout)`` returns ``(pngs, seconds)``. If the child cannot start or
    dies, ``alive`` turns False and callers draw in-process instead.
    """

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="backproplab-render",
                                    daemon=True)
        self._process.start()
        child.close()
        self._ready = False
        self._pipe = threading.RLock()  # one thread at a time talks to the child
        self._next_id = 0
        self._in_flight: int | None = None
        self.alive = True

    @property
    def busy(self) -> bool:
        return self._in_flight is not None

    def ready(self, timeout: float = 0.0) -> bool:
        """True once the child has started (it takes about a second to import matplotlib)."""
        if not self._ready and self.alive:
            with self._pipe:
                try:
                    if not self._ready and self._conn.poll(timeout):
                        self._ready = self._conn.recv()[0] == "ready"
                except (EOFError, OSError):
                    self.alive = False
        return self._ready and self.alive

    def submit(self, job: dict) -> None:
        if self.busy:
            raise RuntimeError("a render job is already in flight; receive() it first.")
        with self._pipe:
            self._next_id += 1
            try:
                self._conn.send((self._next_id, job))
            except (OSError, ValueError):
                self.alive = False
                raise
            self._in_flight = self._next_id

    def poll(self) -> bool:
        try:
            with self._pipe:
                return self.busy and self._conn.poll()
        except (EOFError, OSError):
            self.alive = False
            return False

    def receive(self, timeout: float = 10.0) -> tuple[dict[str, bytes], float]:
        """The answer to the job in flight: its PNGs and the child's render seconds."""
        if not self.busy:
            raise RuntimeError("no render job in flight.")
        try:
            with self._pipe:
                return self._receive(timeout)
        except (EOFError, OSError):
            self.alive = False
            self._in_flight = None
            raise

    def _receive(self, timeout: float) -> tuple[dict[str, bytes], float]:
        while True:
            if not self._conn.poll(timeout):
                raise TimeoutError(f"the render process did not answer within {timeout} s.")
            job_id, pngs, seconds, error = self._conn.recv()
            if job_id == "ready":  # the greeting, if ready() never read it
                self._ready = True
            elif job_id == self._in_flight:
                break
        self._in_flight = None
        if error:
            raise RuntimeError(f"drawing the figures failed: {error}")
        return pngs, seconds

    def close(self) -> None:
        """Ask the child to exit; end it if it does not within a second."""
        if not self.alive and not self._process.is_alive():
            return
        self.alive = False
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass
        self._process.join(1.0)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        self._conn.close()

