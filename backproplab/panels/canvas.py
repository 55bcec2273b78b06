"""A drawing canvas for one digit: an anywidget with a small inline ES module.

Why anywidget: the browser code is a few dozen lines of plain JavaScript kept in this
file, with no build step and no extension of our own to install; anywidget's one
prebuilt extension runs it in JupyterLab 4 and in Voilà alike. (ipycanvas would
draw from Python, so every pen movement would make a round trip to the kernel.)

The ink lives in the browser while a stroke is drawn and is sent to Python as
``size × size`` bytes (0 = blank, 255 = ink) a few times a second and when the stroke
ends; Python reads it as :attr:`DrawingCanvas.image`, and setting ``ink`` (``clear()``)
redraws the canvas.

Keyboard: the canvas takes focus with Tab (a blue outline shows it); the arrow keys
move a cursor over the 28 × 28 grid and Space or Enter inks the cell under it (or
erases it, with the eraser).
"""

from __future__ import annotations

import anywidget
import numpy as np
import traitlets
from ipywidgets.widgets.trait_types import bytes_serialization

from ..errors import ConfigError, ShapeError

__all__ = ["DrawingCanvas"]

GRID = 28  # the grid the canvas shows, one cell per MNIST pixel

_ESM = r"""
const GRID = 28;

function render({ model, el }) {
  const N = model.get("size");          // ink pixels per side (a multiple of GRID)
  const CELL = model.get("cell_px");    // screen pixels per grid cell
  const SIDE = GRID * CELL;
  const K = N / GRID;                   // ink pixels per grid cell
  const canvas = document.createElement("canvas");
  canvas.width = SIDE;
  canvas.height = SIDE;
  canvas.style.width = SIDE + "px";
  canvas.style.height = SIDE + "px";
  canvas.tabIndex = 0;
  canvas.className = "bpl-draw-surface";
  canvas.setAttribute("role", "img");
  canvas.setAttribute("data-lm-suppress-shortcuts", "true");  // JupyterLab: arrows are ours here
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let ink = new Uint8Array(N * N);
  let cursor = null;                    // [row, col] of the keyboard cursor, once a key was used
  let last = null, drawing = false, lastSent = 0, dirty = false;

  function load() {
    const view = model.get("ink");
    const bytes = view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : null;
    ink = new Uint8Array(N * N);
    if (bytes && bytes.length === N * N) ink.set(bytes);
  }
  function paint() {
    const img = ctx.createImageData(N, N);
    for (let i = 0; i < N * N; i++) {
      const v = 255 - Math.round(ink[i] * 238 / 255);   // white paper, ink #111
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    const off = document.createElement("canvas");
    off.width = N; off.height = N;
    off.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, SIDE, SIDE);
    ctx.strokeStyle = "#c8c8c8";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let g = 0; g <= GRID; g++) {
      const p = Math.min(g * CELL + 0.5, SIDE - 0.5);
      ctx.moveTo(p, 0); ctx.lineTo(p, SIDE);
      ctx.moveTo(0, p); ctx.lineTo(SIDE, p);
    }
    ctx.stroke();
    if (cursor) {
      ctx.strokeStyle = "#0057b8";
      ctx.lineWidth = 3;
      ctx.strokeRect(cursor[1] * CELL + 1.5, cursor[0] * CELL + 1.5, CELL - 3, CELL - 3);
    }
  }
  function send(force) {
    const now = performance.now();
    if (!dirty || (!force && now - lastSent < 100)) return;
    lastSent = now;
    dirty = false;
    model.set("ink", new DataView(ink.slice().buffer));
    model.save_changes();
  }
  function stamp(x, y) {               // x, y in ink pixels
    const r = model.get("tool") === "eraser" ? model.get("eraser_radius") : model.get("pen_radius");
    const v = model.get("tool") === "eraser" ? 0 : 255;
    for (let i = Math.max(0, Math.floor(y - r)); i <= Math.min(N - 1, Math.ceil(y + r)); i++) {
      for (let j = Math.max(0, Math.floor(x - r)); j <= Math.min(N - 1, Math.ceil(x + r)); j++) {
        const dy = i + 0.5 - y, dx = j + 0.5 - x;
        if (dx * dx + dy * dy <= r * r) ink[i * N + j] = v;
      }
    }
    dirty = true;
  }
  function line(a, b) {
    const steps = Math.max(1, Math.ceil(Math.hypot(b[0] - a[0], b[1] - a[1])));
    for (let s = 0; s <= steps; s++) {
      stamp(a[0] + (b[0] - a[0]) * s / steps, a[1] + (b[1] - a[1]) * s / steps);
    }
  }
  function at(event) {                 // pointer position in ink pixels (works under CSS zoom)
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) / box.width * N, (event.clientY - box.top) / box.height * N];
  }
  canvas.addEventListener("pointerdown", (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    canvas.focus();
    canvas.setPointerCapture(e.pointerId);
    drawing = true;
    cursor = null;
    last = at(e);
    stamp(last[0], last[1]);
    paint();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    const p = at(e);
    line(last, p);
    last = p;
    paint();
    send(false);
  });
  function end(e) {
    if (!drawing) return;
    drawing = false;
    send(true);
  }
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("keydown", (e) => {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key in moves || e.key === " " || e.key === "Enter") {
      e.preventDefault();
      e.stopPropagation();
      if (!cursor) cursor = [GRID / 2, GRID / 2];
      if (e.key in moves) {
        cursor = [Math.min(GRID - 1, Math.max(0, cursor[0] + moves[e.key][0])),
                  Math.min(GRID - 1, Math.max(0, cursor[1] + moves[e.key][1]))];
      } else {
        const v = model.get("tool") === "eraser" ? 0 : 255;
        for (let i = cursor[0] * K; i < (cursor[0] + 1) * K; i++) {
          for (let j = cursor[1] * K; j < (cursor[1] + 1) * K; j++) ink[i * N + j] = v;
        }
        dirty = true;
        send(true);
      }
      paint();
    }
  });
  canvas.addEventListener("blur", () => { cursor = null; paint(); });
  function describe() { canvas.setAttribute("aria-label", model.get("description")); }
  model.on("change:ink", () => { if (!drawing) { load(); paint(); } });
  model.on("change:description", describe);
  load();
  describe();
  paint();
}
export default { render };
"""

_CSS = """
.bpl-draw-surface { cursor: crosshair; touch-action: none; border: 1px solid #595959; display: block; }
.bpl-draw-surface:focus-visible { outline: 3px solid #0057b8; outline-offset: 2px; }
"""


class DrawingCanvas(anywidget.AnyWidget):
    """A 28 × 28 grid to draw a digit on with the mouse (or a pen, or the keyboard).

    ``ink`` holds ``size × size`` bytes, row by row (0 blank, 255 ink); ``tool`` is
    "pen" or "eraser"; ``description`` is the canvas's text alternative (its
    ``aria-label``), kept up to date by the panel that shows the canvas.
    """

    _esm = _ESM
    _css = _CSS
    size = traitlets.Int(112).tag(sync=True)
    cell_px = traitlets.Int(12).tag(sync=True)
    # the browser sends a memoryview of the binary buffer: stored as bytes
    ink = traitlets.Bytes(b"").tag(sync=True, **bytes_serialization)
    tool = traitlets.Enum(("pen", "eraser"), default_value="pen").tag(sync=True)
    pen_radius = traitlets.Float(4.5).tag(sync=True)
    eraser_radius = traitlets.Float(8.0).tag(sync=True)
    description = traitlets.Unicode("Drawing canvas: a 28 by 28 grid, blank.").tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        if self.size % GRID or self.size < GRID:
            raise ConfigError(f"size must be a multiple of {GRID} (the grid), e.g. 112; got {self.size}.")
        if not self.ink:
            self.clear()

    @property
    def image(self) -> np.ndarray:
        """The ink as a (size, size) float array in [0, 1]."""
        flat = np.frombuffer(self.ink, dtype=np.uint8)  # (size * size,)
        if flat.size != self.size * self.size:
            return np.zeros((self.size, self.size))
        return flat.reshape(self.size, self.size) / 255.0  # (size, size)

    @image.setter
    def image(self, value) -> None:
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (self.size, self.size):
            raise ShapeError(f"the canvas holds a {self.size}×{self.size} image; got shape {arr.shape}. "
                             f"Resize it first, e.g. np.kron(image28, np.ones(({self.size // GRID}, "
                             f"{self.size // GRID}))) for a 28×28 image.")
        self.ink = np.round(np.clip(arr, 0.0, 1.0) * 255).astype(np.uint8).tobytes()

    def clear(self) -> None:
        """Blank the canvas."""
        self.ink = bytes(self.size * self.size)
