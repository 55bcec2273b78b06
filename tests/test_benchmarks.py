"""The benchmark command runs end to end (``--quick``) and writes a well-formed report.

No timing is asserted: only that every section is there and every number parses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))
SECTIONS = ["## Machine", "## Results", "## Why the misses", "## GEMMs", "## Epochs and peers", "## Per-step profile",
            "## Memory", "## Panels"]
MEASURES = ["backproplab epoch, batch 128 (s)", "ideal epoch at the measured GEMM rate, batch 128 (s)",
            "actual / ideal, batch 128", "backproplab epoch, batch 256 (s)", "backproplab epoch, batch 1 (s)",
            "PyTorch epoch, batch 128 (s)", "backproplab / PyTorch, batch 128",
            "scikit-learn epoch, batch 128 (s)", "backproplab / scikit-learn, batch 128",
            "peak memory of `backproplab train` (MiB)", "dashboard throughput / headless",
            "step-through click, median (ms)", "dashboard frame, four figures (ms)",
            "same frame drawn with matplotlib (ms)"]
OPTIONAL = {"PyTorch epoch, batch 128 (s)", "backproplab / PyTorch, batch 128",
            "scikit-learn epoch, batch 128 (s)", "backproplab / scikit-learn, batch 128",
            "dashboard throughput / headless"}
NUMBER = re.compile(r"^-?\d+(\.\d+)?%?$")
VERDICT = re.compile(r"^(|pass|skipped|miss by [-\d.e+]+( \w+)? \(\d+% (over|under)\))$")


def table_rows(text: str) -> dict[str, list[str]]:
    """The results table's rows by measure name (the first table after its header)."""
    lines = text[text.index("| measure | value | target | verdict |"):].splitlines()
    rows = {}
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, mnist_dir):
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    committed = ROOT / "benchmarks" / "RESULTS.md"
    before = committed.read_bytes() if committed.exists() else None
    proc = subprocess.run([sys.executable, "-m", "benchmarks", "--quick", "--output", str(out),
                           "--data-dir", str(mnist_dir)], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    after = committed.read_bytes() if committed.exists() else None
    assert before == after, "--output must leave benchmarks/RESULTS.md alone"
    return proc.stdout, out.read_text(encoding="utf-8")


def test_report_has_every_section_and_the_machine(quick_run):
    _, report = quick_run
    positions = [report.index(s + "\n") for s in SECTIONS]
    assert positions == sorted(positions)
    assert "Mode: quick" in report
    machine = report[report.index("## Machine"):report.index("## Results")]
    for key in ("date", "cpu", "cores", "python", "numpy", "blas", "environment"):
        assert re.search(rf"^- {key}: \S", machine, re.M), key


def test_results_table_is_well_formed_and_printed(quick_run):
    stdout, report = quick_run
    rows = table_rows(report)
    assert list(rows) == MEASURES
    for name, (value, target, verdict) in rows.items():
        if name in OPTIONAL and value in ("skipped", "not installed"):
            assert verdict in ("", "skipped"), name
            continue
        assert NUMBER.match(value), (name, value)
        assert VERDICT.match(verdict), (name, verdict)
    assert table_rows(stdout) == rows  # the printed table is the report's


def test_gemm_and_profile_tables_have_numbers(quick_run):
    _, report = quick_run
    gemms = report[report.index("## GEMMs"):report.index("## Epochs and peers")]
    assert len(re.findall(r"^\| \S+·\S+ .*\| [\d.]+ \| [\d.]+ \| [\d.]+ \|$", gemms, re.M)) == 8
    assert "19.212 GFLOP" in gemms and "19.24 GFLOP" in gemms
    profile = report[report.index("## Per-step profile"):report.index("## Memory")]
    for batch in ("Batch 128:", "Batch 1:"):
        assert batch in profile
    assert len(re.findall(r"^\| \*\*trainer, per step\*\* \| [\d.]+ \| 100% \| [\d.]+ \|$", profile, re.M)) == 2
    memory = report[report.index("## Memory"):report.index("## Panels")]
    assert re.search(r"peak resident memory .* \d+ MiB", memory)


def test_flop_count():
    from benchmarks.training import flops_per_epoch

    assert flops_per_epoch(60_000) == 19_212_000_000
    assert flops_per_epoch(60_000, bias_rows=True) == pytest.approx(19.24e9, rel=1e-3)


def test_verdicts():
    from benchmarks.run import verdict

    assert verdict(0.9, 1.0) == "pass"
    assert verdict(1.5, 1.0, unit=" s") == "miss by 0.5 s (50% over)"
    assert verdict(0.8, 0.85, at_most=False).startswith("miss by 0.05")
    assert verdict(None, 1.0) == "skipped"
