"""``backproplab lab``: which server it starts, on which folder, with which settings."""

import argparse
import sys
from pathlib import Path

import pytest

from backproplab import lab
from backproplab.errors import ConfigError

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_finds_the_checkouts_notebooks():
    assert lab.find_notebooks() == NOTEBOOKS.resolve()
    assert (NOTEBOOKS / lab.CLASSROOM).is_file()


def test_a_folder_without_notebooks_is_refused_with_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="--notebook-dir"):
        lab.find_notebooks(tmp_path)
    with pytest.raises(ConfigError, match="--notebook-dir"):
        lab.find_notebooks(tmp_path / "missing")


def test_jupyterlab_command():
    argv = lab.build_command(NOTEBOOKS, port=8890, open_browser=False)
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={NOTEBOOKS}" in argv
    assert "--port=8890" in argv and "--no-browser" in argv
    assert "--ServerApp.port_retries=0" in argv  # a busy port is an error, not another port
    assert "--port=8890" not in lab.build_command(NOTEBOOKS, port=None)


def test_voila_command_serves_the_classroom_page(tmp_path):
    argv = lab.build_command(NOTEBOOKS, voila=True)
    assert argv == [sys.executable, "-m", "voila", str(NOTEBOOKS / "05_classroom.ipynb")]
    assert lab.build_command(NOTEBOOKS, voila=True, port=8866)[-2:] == ["--port=8866", "--Voila.port_retries=0"]
    (tmp_path / "01.ipynb").write_text("{}")
    with pytest.raises(ConfigError, match="05_classroom.ipynb"):
        lab.build_command(tmp_path, voila=True)


def test_main_runs_the_server_with_the_data_folder(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(lab.subprocess, "call", lambda argv, env: calls.append((argv, env)) or 0)
    args = argparse.Namespace(notebook_dir=None, classroom=True, port=8870, no_browser=True,
                              data_dir=tmp_path)
    assert lab.main(args) == 0
    (argv, env), = calls
    assert argv[1:3] == ["-m", "voila"] and "--port=8870" in argv and "--no-browser" in argv
    assert env["BACKPROPLAB_DATA_DIR"] == str(tmp_path.resolve())


def test_a_missing_tool_is_named(monkeypatch):
    monkeypatch.setattr(lab, "find_spec", lambda name: None)
    with pytest.raises(ConfigError, match="pip install voila"):
        lab.launch(voila=True)
