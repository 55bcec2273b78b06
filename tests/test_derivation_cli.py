"""``backproplab trace --check``: prints the check, exit 0 if right, 1 if not, 2 for bad arguments."""

from __future__ import annotations

import pytest

from backproplab.cli import main


def run(capsys, *args):
    code = main(["trace", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_right_derivation_exits_0(mnist_dir, capsys):
    code, out, err = run(capsys, "--data-dir", str(mnist_dir), "--check", "dL/dW2 = [1 H1]^T δ2")
    assert code == 0 and out.startswith("✓ Right: dL/dW2 is 101×10") and err == ""


def test_the_questions_answer_exits_1_with_the_mistakes(mnist_dir, capsys):
    code, out, _ = run(capsys, "--data-dir", str(mnist_dir), "--check",
                       r"\frac{\partial L}{\partial W_2} = [1\ H_1]^T(\hat{y}-y)W_3^TH_2(1-H_2) "
                       r"\in \mathbb{R}^{101\times1}")
    assert code == 1
    for code_name in ("bias-row-kept", "elementwise-as-matrix-product", "wrong-claimed-shape"):
        assert f"{code_name}:" in out
    assert "101×11 · 1×10" in out


def test_parse_error_and_conventions(mnist_dir, capsys):
    code, out, _ = run(capsys, "--data-dir", str(mnist_dir), "--check", "dL/dW2 = [1 H1")
    assert code == 1 and "Cannot read this" in out and out.rstrip().endswith("^")
    code, out, _ = run(capsys, "--data-dir", str(mnist_dir), "--convention", "column", "--check",
                       "dW2 = 1/m * np.dot(dZ2, A1.T)", "--format", "markdown")
    assert code == 0 and "| sub-expression | shape | rule |" in out
    code, out, _ = run(capsys, "--data-dir", str(mnist_dir), "--target", "dL/dW2", "--check", "[1 H1]^T δ2")
    assert code == 0


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["trace", "--check", "x", "--convention", "rows"])
    assert exit_.value.code == 2 and "invalid choice" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        main(["trace", "--check"])
    assert exit_.value.code == 2
