"""pyproject.toml, environment.yml and the console script stay in step."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import backproplab

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_lists_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r): r for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    conda = {}
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)(.*)$", line)
        if m and m.group(1) not in ("pip", "python"):
            conda[m.group(1).lower()] = m.group(1) + m.group(2).strip()
        m = re.match(r"^      - ([A-Za-z0-9_.][A-Za-z0-9_.-]*)([^#]*)", line)  # pip: what conda-forge lacks
        if m:
            conda[m.group(1).lower()] = m.group(1) + m.group(2).strip()
    missing = {n for n in wanted if n not in conda}
    assert not missing, f"environment.yml lacks {sorted(missing)}"
    for name, spec in conda.items():
        assert name in wanted, f"environment.yml has {name}, which pyproject.toml does not"
        assert spec.replace(" ", "") == wanted[name].replace(" ", ""), (spec, wanted[name])
    assert "- -e ." in (ROOT / "environment.yml").read_text()


def test_console_script_reports_the_version():
    out = subprocess.run([sys.executable, "-m", "backproplab.cli", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"backproplab {backproplab.__version__}"
