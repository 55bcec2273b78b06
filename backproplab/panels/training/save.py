"""The Save tab: write the model, the figures on show and the metrics into a folder.

:class:`SaveView` (``bpl-save-folder``, ``bpl-save``, ``bpl-save-result``) links
its folder box to the dashboard's ``folder`` trait; :meth:`SaveView.save` is
what the button and ``TrainingPanel.save()`` do.
"""

from __future__ import annotations

import json
from pathlib import Path

import ipywidgets as widgets

from ..._files import atomic_write
from ...viz import save_png
from .._common import with_class
from ..base import ErrorArea
from . import text
from .checkpoints import network_with
from .live import LiveView
from .render import report_pngs
from .state import DashboardState

__all__ = ["SaveView"]


class SaveView:
    def __init__(self, dash: DashboardState, live: LiveView, errors: ErrorArea, *, n_test: int) -> None:
        W, L, B = widgets, widgets.Layout, with_class
        self.dash, self.live, self.n_test = dash, live, n_test
        self.folder = B(W.Text(value=dash.folder, description="folder", layout=L(width="420px")),
                        "bpl-save-folder")
        widgets.link((self.folder, "value"), (dash, "folder"))
        self.button = B(W.Button(description="Save model and figures", icon="save", layout=L(width="auto")),
                        "bpl-save")
        self.result = B(W.HTML(), "bpl-save-result")
        self.button.on_click(errors.guard(lambda _: self.save(), "save"))
        self.box = W.VBox([W.HBox([self.folder, self.button]), self.result])
        dash.observe(lambda change: setattr(self.result, "value", ""), names="session")

    def save(self, folder: str | Path | None = None) -> list[Path]:
        """Write model.npz, the figures on show (PNG) and metrics.json into ``folder``.

        filters.png is the picture on show; confusion.png and curves.png draw the
        numbers on show with matplotlib (axes and colour bars, for a report).
        """
        folder = Path(self.dash.folder if folder is None else folder).expanduser().resolve()
        s = self.dash.session
        net = network_with(s.net, s.weights())  # a consistent copy, even while training
        paths = [net.save(folder / "model.npz")]
        pngs = {"filters": self.live.images["filters"].value, **report_pngs(self.live.shown)}
        for name in ("filters", "confusion", "curves"):
            if pngs.get(name):
                paths.append(save_png(pngs[name], folder / f"{name}.png"))
        metrics = {**s.history_dict(), "model": repr(net), "settings": s.settings,
                   "n_train": s.n_train, "n_test": self.n_test}
        with atomic_write(folder / "metrics.json") as f:
            f.write(json.dumps(metrics, indent=2).encode())
        paths.append(folder / "metrics.json")
        self.result.value = text.saved_html(paths)
        return paths
