"""The backproplab command line, end to end on real MNIST subsets."""

import io
import json
import re
import subprocess
import sys

import matplotlib.image
import numpy as np
import pytest

from backproplab import MLP
from backproplab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_train_with_report_and_save(tmp_path, capsys, mnist_dir):
    report, model = tmp_path / "report", tmp_path / "model.npz"
    code, out, err = run(capsys, "train", "--epochs", "2", "--n-train", "2000", "--n-test", "500",
                         "--data-dir", str(mnist_dir), "--report", str(report), "--save", str(model), "--quiet")
    assert code == 0, err
    assert "epoch  2:" in out and "test accuracy:" in out
    metrics = json.loads((report / "metrics.json").read_text())
    assert set(metrics) >= {"test_accuracy", "seconds_per_epoch", "epochs", "confusion_matrix"}
    assert 0.6 < metrics["test_accuracy"] <= 1.0  # far above the 0.1 of chance
    assert f"{metrics['test_accuracy']:.2%}" in out
    assert len(metrics["seconds_per_epoch"]) == 2 and all(s > 0 for s in metrics["seconds_per_epoch"])
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2]
    assert {"train_loss", "train_accuracy", "test_accuracy"} <= set(metrics["epochs"][0])
    cm = np.array(metrics["confusion_matrix"])
    assert cm.shape == (10, 10) and cm.sum() == 500
    assert np.trace(cm) / 500 == pytest.approx(metrics["test_accuracy"])
    for name in ("filters.png", "confusion.png", "curves.png"):
        image = matplotlib.image.imread(io.BytesIO((report / name).read_bytes()), format="png")
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
        assert image[..., :3].std() > 0.05  # not a blank canvas
    net = MLP.load(model)
    assert net.sizes == (784, 100, 10, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz", "report"]


def test_train_other_architecture(tmp_path, capsys, mnist_dir):
    code, out, err = run(capsys, "train", "--epochs", "1", "--n-train", "500", "--n-test", "100",
                         "--hidden", "32", "--activation", "relu", "--data-dir", str(mnist_dir), "--quiet")
    assert code == 0, err
    assert "MLP(784 → 32 → 10, relu, float32)" in out


@pytest.mark.parametrize("argv,message", [
    (["train", "--epochs", "-1"], "argument --epochs: expected a whole number ≥ 1, got -1"),
    (["train", "--activation", "softplus"], "argument --activation: invalid choice: 'softplus'"),
    (["train", "--lr", "0"], "argument --lr: expected a positive number"),
    (["train", "--momentum", "1.5"], r"argument --momentum: expected a number in \[0, 1\)"),
    (["train", "--hidden", "100,x"], "expected hidden layer widths separated by commas"),
    (["trace", "--sample", "-3"], "argument --sample: expected a whole number ≥ 0"),
    (["nonsense"], "invalid choice: 'nonsense'"),
])
def test_wrong_arguments_exit_with_status_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert re.search(message, capsys.readouterr().err)


def test_data_command_verifies_and_prints_the_folder(capsys, mnist_dir):
    code, out, _ = run(capsys, "data", "--data-dir", str(mnist_dir))
    assert code == 0
    assert f"MNIST is in {mnist_dir}" in out and out.count("verified") == 4


def test_data_problems_exit_with_status_1(tmp_path, capsys):
    code, _, err = run(capsys, "data", "--data-dir", str(tmp_path))
    assert code == 1
    assert "backproplab data: error:" in err and str(tmp_path) in err


def test_trace_command_prints_the_table(capsys, mnist_dir, tmp_path):
    code, out, _ = run(capsys, "trace", "--sample", "3", "--data-dir", str(mnist_dir), "--ledger")
    assert code == 0
    assert "dL/dW2  101×10   [1 H1]ᵀ (101×1) · δ2 (1×10) = 101×10 = shape of W2" in out
    assert "test image 3: label 0" in out
    assert "no path back to H2" in out
    model = MLP(seed=3).save(tmp_path / "m.npz")
    code, out, _ = run(capsys, "trace", "--model", str(model), "--format", "markdown", "--data-dir", str(mnist_dir))
    assert code == 0 and "| 13 | backward | dL/dW2 | 101×10 |" in out
    (tmp_path / "junk.npz").write_bytes(b"junk")
    code, _, err = run(capsys, "trace", "--model", str(tmp_path / "junk.npz"), "--data-dir", str(mnist_dir))
    assert code == 1 and "not a backproplab model" in err
    code, _, err = run(capsys, "trace", "--sample", "10000", "--data-dir", str(mnist_dir))
    assert code == 2 and "--sample must be below 10000" in err


def test_console_script_is_installed():
    out = subprocess.run([sys.executable, "-m", "backproplab.cli", "train", "--help"],
                         capture_output=True, text=True, check=True)
    assert "--report DIR" in out.stdout and "--hidden" in out.stdout


def test_ctrl_c_during_training_exits_130_with_one_line(mnist_dir, tmp_path):
    import signal

    child = subprocess.Popen([sys.executable, "-m", "backproplab.cli", "train", "--n-train", "1000", "--n-test",
                              "100", "--epochs", "1000", "--quiet", "--data-dir", str(mnist_dir),
                              "--save", str(tmp_path / "m.npz")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        child.stdout.readline()  # "training MLP(...) on ..."
        assert child.stdout.readline().startswith("epoch  1:")
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130
    assert err == "backproplab train: interrupted\n"
    assert list(tmp_path.iterdir()) == []  # nothing half-saved
