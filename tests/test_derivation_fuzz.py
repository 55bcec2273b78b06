"""Fuzz the derivation checker with 10,000 random, mutated and hostile strings.

Every string must come back as a DerivationCheck (a parse error at worst), never as a
traceback, with nothing run as Python. The time per string is asserted generously here (the
machine is shared, so CPU time); ``python -m benchmarks.derivation`` measures it against the
50 ms target.
"""

from __future__ import annotations

import builtins
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import backproplab as bl
from backproplab.core.derivation import MISTAKES, DerivationCheck

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `benchmarks` is a folder of the repository, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.derivation import HOSTILE, corpus  # noqa: E402

#: CPU seconds (not wall-clock: other work on a shared machine would count) for the slowest string.
GENEROUS_CPU_SECONDS = 1.0


@pytest.fixture(scope="module")
def traces():
    net = bl.MLP()
    rng = np.random.default_rng(0)
    return (net.trace(rng.random((1, 784), dtype=np.float32), y=[7]),
            net.trace(rng.random((3, 784), dtype=np.float32), y=[1, 2, 3]))


def test_corpus_is_large_and_varied():
    strings = corpus()
    assert len(strings) >= 10_000 and len(set(strings)) > 9_000
    assert set(HOSTILE) <= set(strings)


def test_ten_thousand_strings_never_raise(traces, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the checker ran Python")

    for trace in traces:  # first calls import modules, which compiles their source
        for convention in ("row-folded", "column", "row-separate"):
            trace.check_derivation("dL/dW2 = [1 H1]^T δ2", convention=convention)
    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    counts = {"parsed": 0, "evaluated": 0, "ok": 0}
    slowest, problems = 0.0, []
    for i, text in enumerate(corpus()):
        trace = traces[i % 11 == 0]
        convention = ("row-folded", "column", "row-separate")[i % 3]
        started = time.process_time()
        try:
            check = trace.check_derivation(text, convention=convention)
        except Exception as exc:  # noqa: BLE001  the test's point: report, never raise
            problems.append((text, repr(exc)))
            continue
        slowest = max(slowest, time.process_time() - started)
        if not (isinstance(check, DerivationCheck) and check.ok == (check.mistakes == ())
                and set(check.mistakes) <= set(MISTAKES)
                and isinstance(check.message, str) and isinstance(check.to_markdown(), str)):
            problems.append((text, repr(check)))
        if check.mistakes == ("parse-error",):
            if not (0 <= check.error_pos <= len(text) and check.message.endswith("^")):
                problems.append((text, check.message))
        else:
            counts["parsed"] += 1
        counts["evaluated"] += check.shape is not None
        counts["ok"] += check.ok
    monkeypatch.undo()  # pytest's own failure report compiles code
    assert problems == []
    assert slowest < GENEROUS_CPU_SECONDS
    # the corpus reaches every stage: parse errors, evaluation, and right answers
    assert counts["parsed"] > 1_000 and counts["evaluated"] > 300 and counts["ok"] > 20, counts
