"""The dashboard's figures: drawn fast in the kernel, or optionally in a helper process.

:class:`FigureSet` draws a frame's filters (an indexed PNG), curves (SVG) and
confusion matrix (HTML) with NumPy alone, in a few milliseconds, so the
kernel can draw every frame itself without slowing training much.
:class:`RenderProcess` can draw the same :class:`FigureSet` in a child process
(``render_process=True``; started with ``spawn``, so no threads are forked);
:class:`FigureRenderer` uses it while it works and falls back to the kernel,
saying so, if it dies. :func:`report_pngs` draws the matplotlib versions that
Save writes.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time

import numpy as np

from ...viz import ConfusionFigure, CurvesFigure
from ...viz.live import CurvesSVG, FilterMosaicImage, confusion_html

__all__ = ["FigureRenderer", "FigureSet", "RenderProcess", "image_shape", "report_pngs"]


def image_shape(n_features: int) -> tuple[int, int]:
    """(28, 28) for 784 features; a single row for anything that is not square."""
    side = int(round(n_features ** 0.5))
    return (side, side) if side * side == n_features else (1, n_features)


class FigureSet:
    """The dashboard's live figures, drawn fast (no matplotlib Figure; see :mod:`backproplab.viz.live`).

    ``render(job)`` takes a dict with any of the keys ``"filters": (W1, title)``,
    ``"curves": dict(steps=..., train_loss=..., train_acc=..., test_steps=...,
    test_acc=..., x_max=...)``, ``"confusion": (cm, title)`` and returns what
    each widget shows: ``"filters"`` PNG bytes and ``"filters_caption"`` HTML,
    ``"curves"`` SVG, ``"confusion"`` HTML.
    """

    def __init__(self) -> None:
        self._filters: dict[tuple, FilterMosaicImage] = {}
        self._curves = CurvesSVG()
        self._run = None

    def render(self, job: dict) -> dict:
        out = {}
        if "filters" in job:
            W1, title = job["filters"]
            spec = (W1.shape[1], image_shape(W1.shape[0] - 1))
            if spec not in self._filters:
                self._filters[spec] = FilterMosaicImage(n_filters=spec[0], image_shape=spec[1])
            mosaic = self._filters[spec]
            out["filters"] = mosaic.render(W1)
            out["filters_caption"] = mosaic.caption_html(title, W1)
        if "curves" in job:
            curves = dict(job["curves"])
            run = curves.pop("run", None)
            if run != self._run:  # a new run: its curves start from nothing
                self._curves.reset()
                self._run = run
            out["curves"] = self._curves.update(**curves)
        if "confusion" in job:
            cm, title = job["confusion"]
            out["confusion"] = confusion_html(cm, title)
        return out


def report_pngs(job: dict) -> dict[str, bytes]:
    """The same job drawn with matplotlib (axes, colour bars) as PNGs, for Save: slow, once."""
    out = {}
    if "curves" in job:
        fig = CurvesFigure()
        fig.update(**{k: v for k, v in job["curves"].items() if k not in ("x_max", "run")})
        out["curves"] = fig.to_png()
    if "confusion" in job:
        cm, title = job["confusion"]
        fig = ConfusionFigure(n_classes=len(cm))
        fig.update(cm, title=title)
        out["confusion"] = fig.to_png()
    return out


_WARM_UP = {"filters": (np.zeros((785, 100), np.float32), ""),
            "curves": {"steps": [0.0, 1.0], "train_loss": [1.0, 0.5], "train_acc": [0.5, 0.9],
                       "test_steps": [1.0], "test_acc": [0.9], "x_max": 1.0},
            "confusion": (np.eye(10, dtype=np.int64), "")}


def _serve(conn) -> None:  # pragma: no cover - runs in the child process
    """The child's loop: (job_id, job) in, (job_id, pngs, seconds, error) out.

    It ignores SIGINT: a kernel's interrupt, and the interrupt a kernel gets when
    it shuts down, reach its whole process group and are not for the helper. It
    ends when the kernel closes the pipe or sends None, and when the kernel dies
    (its end of the pipe, or its process sentinel, tells).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(10)  # when cores are scarce, training comes first
    except (AttributeError, OSError):
        pass
    parent = multiprocessing.parent_process()
    watched = [conn] + ([parent.sentinel] if parent is not None else [])
    figures = FigureSet()
    figures.render(_WARM_UP)  # the first draw of a figure is the slowest: do it before training
    try:
        conn.send(("ready", None, 0.0, None))
        while True:
            if conn not in multiprocessing.connection.wait(watched):
                return  # the kernel died without closing the pipe
            message = conn.recv()
            if message is None:
                return
            job_id, job = message
            started = time.perf_counter()
            try:
                pngs, error = figures.render(job), None
            except Exception as exc:  # noqa: BLE001 - sent back and shown in the panel
                pngs, error = {}, f"{type(exc).__name__}: {exc}"
            conn.send((job_id, pngs, time.perf_counter() - started, error))
    except (EOFError, OSError):  # the kernel went away
        return


def _start_without_sigint(process) -> None:
    """Start ``process`` with SIGINT ignored, so the child starts ignoring it.

    An ignored signal stays ignored across ``exec``, and Python then installs no
    KeyboardInterrupt handler: an interrupt during the child's second or so of
    imports prints no traceback there. The kernel's own handler is back as soon
    as the child is started (a few milliseconds). Only the main thread can change
    handlers; elsewhere the child ignores SIGINT once it runs (see ``_serve``).
    """
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is not threading.main_thread() or previous is None:
        process.start()
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        process.start()
    finally:
        signal.signal(signal.SIGINT, previous)


class RenderProcess:
    """A child process that renders :class:`FigureSet` jobs; one job at a time.

    ``submit(job)`` sends a job once ``idle()``; ``poll()`` tells whether its
    answer is there; ``receive(timeout)`` returns ``(pngs, seconds)``;
    ``discard()`` gives up on the job in flight (its answer is read and dropped
    when it comes). If the child cannot start or dies, ``alive`` turns False and
    callers draw in-process instead. The child ignores SIGINT and ends with this
    process.

    A job (W1 and the curves) and an answer (three PNGs) are each larger than a
    pipe's buffer: a job is sent only while the child waits for one, never while
    it is still sending an answer, which would leave both ends blocked in ``send``.
    """

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._process = ctx.Process(target=_serve, args=(child,), name="backproplab-render",
                                    daemon=True)
        _start_without_sigint(self._process)
        child.close()
        self._ready = False
        self._pipe = threading.RLock()  # one thread at a time talks to the child
        self._next_id = 0
        self._unanswered: set[int] = set()  # jobs sent whose answers are not read yet
        self._in_flight: int | None = None  # the job whose answer receive() returns
        self._answer: tuple | None = None  # (pngs, seconds, error) of that job, once read
        self._closed = False
        self.alive = True

    @property
    def pid(self) -> int | None:
        return self._process.pid

    @property
    def busy(self) -> bool:
        """A job is in flight: its answer is for ``receive()``."""
        return self._in_flight is not None

    def ready(self, timeout: float = 0.0) -> bool:
        """True once the child has started (it takes about a second to import matplotlib)."""
        if not self._ready and self.alive:
            with self._pipe:
                try:
                    if not self._ready and self._conn.poll(timeout):
                        self._take(self._conn.recv())
                except (EOFError, OSError):
                    self.alive = False
        return self._ready and self.alive

    def idle(self) -> bool:
        """True when the child waits for a job: started, nothing in flight, every answer read."""
        self.poll()
        return self.ready() and not self.busy and not self._unanswered

    def submit(self, job: dict) -> None:
        with self._pipe:
            if self.busy or self._unanswered:
                raise RuntimeError("the render process is still on another job; submit when idle().")
            self._next_id += 1
            try:
                self._conn.send((self._next_id, job))
            except (OSError, ValueError):
                self.alive = False
                raise
            self._in_flight = self._next_id
            self._unanswered.add(self._next_id)

    def poll(self) -> bool:
        """True when the answer to the job in flight is there (reads and drops answers to dropped jobs)."""
        try:
            with self._pipe:
                while self._unanswered and self._answer is None and self._conn.poll():
                    self._take(self._conn.recv())
                return self.busy and self._answer is not None
        except (EOFError, OSError):
            self.alive = False
            return False

    def receive(self, timeout: float = 10.0) -> tuple[dict[str, bytes], float]:
        """The answer to the job in flight: its PNGs and the child's render seconds."""
        if not self.busy:
            raise RuntimeError("no render job in flight.")
        try:
            with self._pipe:
                deadline = time.monotonic() + timeout
                while self._answer is None:
                    if not self._conn.poll(max(0.0, deadline - time.monotonic())):
                        raise TimeoutError(f"the render process did not answer within {timeout} s.")
                    self._take(self._conn.recv())
                (pngs, seconds, error), self._answer, self._in_flight = self._answer, None, None
        except (EOFError, OSError):
            self.alive = False
            self._in_flight = self._answer = None
            raise
        if error:
            raise RuntimeError(f"drawing the figures failed: {error}")
        return pngs, seconds

    def discard(self) -> None:
        """Give up on the job in flight: its answer is dropped when it comes."""
        with self._pipe:
            self._in_flight = self._answer = None

    def _take(self, message) -> None:
        """Take a message from the child (pipe lock held); keep it if it answers the job in flight."""
        job_id, pngs, seconds, error = message
        if job_id == "ready":
            self._ready = True
            return
        self._unanswered.discard(job_id)
        if job_id == self._in_flight:
            self._answer = (pngs, seconds, error)

    def close(self) -> None:
        """Ask the child to exit (reading any answer it is still sending); end it after a second.

        If another thread is stuck talking to the child, the child is ended at once,
        which frees that thread (its send or receive fails).
        """
        if self._closed:
            return
        self._closed, self.alive = True, False
        deadline = time.monotonic() + 1.0
        if self._pipe.acquire(timeout=1.0):
            try:
                self._conn.send(None)  # small: it fits in the pipe even while the child is busy
                while self._process.is_alive() and time.monotonic() < deadline:
                    if self._conn.poll(0.05):
                        self._conn.recv()  # an answer on its way out: read it, or the child blocks
            except (EOFError, OSError, ValueError):
                pass
            finally:
                self._pipe.release()
            self._process.join(max(0.0, deadline - time.monotonic()))
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
        self._conn.close()


class FigureRenderer:
    """Draws a frame's figures: in the helper process when there is one, else in the kernel.

    ``render(job)`` returns ``{key: png}`` and never loses a frame to the helper:
    if the helper has died, or does not answer within ``timeout`` seconds, it is
    ended, ``note`` says what happened, and this frame and all later ones are
    drawn in the kernel. Training never waits for the helper.
    """

    def __init__(self, *, helper: bool, timeout: float = 5.0) -> None:
        self.figures = FigureSet()
        self.timeout = timeout
        self.note = ""  # what happened to the helper, for the panel to show
        self.helper = _start_helper() if helper else None
        self._lock = threading.Lock()  # one frame at a time

    @property
    def in_helper(self) -> bool:
        return self.helper is not None and self.helper.alive and self.helper.ready()

    def render(self, job: dict) -> dict:
        with self._lock:
            helper = self.helper
            if helper is not None and helper.ready():  # (False while it starts, or once it died)
                try:
                    helper.submit(job)
                    return helper.receive(self.timeout)[0]
                except (EOFError, OSError, ValueError, TimeoutError, RuntimeError) as exc:
                    self._lose_helper(exc)
            elif helper is not None and not helper.alive:
                self._lose_helper(None)
            return self.figures.render(job)

    def _lose_helper(self, exc: BaseException | None) -> None:
        helper, self.helper = self.helper, None
        helper._process.join(1.0)  # reap it: its exit code says how it ended
        code = helper._process.exitcode
        why = (f"ended (exit code {code})" if code is not None else
               f"stopped answering ({type(exc).__name__}: {exc})")
        self.note = (f"The helper process that draws the figures {why}; they are drawn in the "
                     "kernel from now on. Training was not affected.")
        helper.close()

    def close(self) -> None:
        if self.helper is not None:
            self.helper.close()


def _start_helper() -> RenderProcess | None:
    try:
        return RenderProcess()
    except Exception:  # noqa: BLE001 - no helper process: figures are drawn in the kernel
        return None
