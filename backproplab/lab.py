"""``backproplab lab``: open the tutorial notebooks in JupyterLab, or the classroom page in Voilà.

JupyterLab opens on the ``notebooks/`` folder of the source checkout (01 to 05);
``--classroom`` serves ``05_classroom.ipynb`` with Voilà instead: the panels and the
explanations, without code. The notebooks find MNIST through
``$BACKPROPLAB_DATA_DIR`` (``--data-dir`` sets it for them), else the per-user cache.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

from .errors import ConfigError

__all__ = ["CLASSROOM", "build_command", "find_notebooks", "launch", "main"]

#: The notebook that ``--classroom`` serves with Voilà.
CLASSROOM = "05_classroom.ipynb"
_CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def find_notebooks(notebook_dir: str | os.PathLike | None = None) -> Path:
    """The folder with the tutorial notebooks: ``notebook_dir``, else the checkout's ``notebooks/``."""
    folder = Path(notebook_dir).expanduser() if notebook_dir is not None else _CHECKOUT_NOTEBOOKS
    if not folder.is_dir() or not any(folder.glob("*.ipynb")):
        where = "the folder you named" if notebook_dir is not None else "this installation"
        raise ConfigError(
            f"no tutorial notebooks in {folder} ({where}). They live in the notebooks/ folder of "
            "the backproplab source checkout: pass --notebook-dir path/to/backproplab/notebooks.")
    return folder.resolve()


def build_command(notebook_dir: Path, *, voila: bool = False, port: int | None = None,
                  open_browser: bool = True) -> list[str]:
    """The command line that serves ``notebook_dir`` with JupyterLab, or its classroom page with Voilà.

    ``port`` must be in 1..65535 (ConfigError otherwise); with a port given, the server
    fails when it is taken instead of silently serving on another one.
    """
    if port is not None and (isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535):
        raise ConfigError(f"port must be a whole number in 1..65535, such as 8888; got {port!r}.")
    if voila:
        page = notebook_dir / CLASSROOM
        if not page.is_file():
            raise ConfigError(f"no {CLASSROOM} in {notebook_dir}; the classroom page is "
                              f"notebooks/{CLASSROOM} of the source checkout.")
        argv = [sys.executable, "-m", "voila", str(page)]
    else:
        argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebook_dir}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            argv.append("--allow-root")  # containers often run as root; JupyterLab refuses otherwise
    if port is not None:  # the port asked for, or an error: never another one silently
        argv += [f"--port={port}", f"--{'Voila' if voila else 'ServerApp'}.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    return argv


def launch(notebook_dir: str | os.PathLike | None = None, *, voila: bool = False, port: int | None = None,
           open_browser: bool = True, data_dir: str | os.PathLike | None = None) -> int:
    """Serve the notebooks (JupyterLab) or the classroom page (Voilà) until Ctrl-C; the exit code."""
    folder = find_notebooks(notebook_dir)
    tool = "voila" if voila else "jupyterlab"
    if find_spec(tool) is None:
        raise ConfigError(f"{'Voilà' if voila else 'JupyterLab'} is not installed in this environment: "
                          f"pip install {tool}")
    argv = build_command(folder, voila=voila, port=port, open_browser=open_browser)
    env = dict(os.environ)
    if data_dir is not None:
        env["BACKPROPLAB_DATA_DIR"] = str(Path(data_dir).expanduser().resolve())
    print(f"backproplab lab: {shlex.join(argv)}", file=sys.stderr)
    return subprocess.call(argv, env=env)


def main(args) -> int:
    """Run ``backproplab lab`` from parsed arguments (see the README)."""
    return launch(args.notebook_dir, voila=args.classroom, port=args.port,
                  open_browser=not args.no_browser, data_dir=args.data_dir)
