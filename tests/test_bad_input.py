"""Bad input never crashes, hangs or lies: one table of careless calls and hostile files.

Every row makes one mistake and names the package error it must get and a regular
expression for the part of the message that says how to fix it. The integrator adds
the loader's rows, the panels helper the panels' rows (see ``API_CASES``' layout).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np
import pytest

from backproplab import MLP, Trainer, evaluate, lab
from backproplab.core.history import History
from backproplab.core.metrics import accuracy, confusion_matrix
from backproplab._files import atomic_write
from backproplab.cli import main
from backproplab.data.idx import read_idx
from backproplab.errors import (BackproplabError, ConfigError, DataError, DivergenceError, DTypeError,
                                InputTypeError, LabelError, ModelFileError, NonFiniteError, OutputPathError,
                                ShapeError, StepNotFoundError, TooLargeError)
from backproplab.data import load_mnist
from backproplab.report import write_report

RNG = np.random.default_rng(11)
SMALL = (4, 5, 3)  # a network small enough for every row to be instant


class Case(NamedTuple):
    call: Callable[[Path], object]  # makes the mistake; gets a fresh temporary folder
    error: type
    fix: str  # a regular expression the message must contain: the fix, or the named problem


def small(**kwargs) -> MLP:
    return MLP(SMALL, **kwargs)


def x(n=2, value=None, dtype=np.float32):
    return RNG.random((n, SMALL[0])).astype(dtype) if value is None else np.full((n, SMALL[0]), value, dtype)


def set_w(values, dtype=np.float32, shapes=None):
    net = small()
    net.set_weights([np.full(s, values, dtype=dtype) for s in (shapes or net.weight_shapes)])


def overflowing(x_value: float, w_value: float):
    """A float64 network whose pass overflows: z = x·W beyond 1.8e308."""
    net = MLP((2, 2), dtype=np.float64)
    net.set_weights([np.array([[0.0, 0.0], [w_value, -w_value], [w_value, -w_value]])])
    return net.predict_proba(np.full((1, 2), x_value))


def model(tmp: Path, name="m.npz", drop=(), **members) -> Path:
    """A model file written by hand: a valid small model, with members replaced, added or dropped."""
    net = small(seed=1, dtype=np.float64)
    arrays = {"format": np.array("backproplab-mlp-1"), "sizes": np.array(SMALL), "activation": np.array("tanh"),
              **{f"W{k + 1}": W for k, W in enumerate(net.weights)}}
    arrays.update(members)
    for key in drop:
        arrays.pop(key)
    np.savez(tmp / name, **arrays)
    return tmp / name


def raw_file(tmp: Path, content: bytes, name="f") -> Path:
    (tmp / name).write_bytes(content)
    return tmp / name


def train(X, y, *extra, **settings):
    return list(Trainer(small(**settings.pop("net", {})), epochs=1, **settings).run(X, y, *extra))


def images(n=200):
    return RNG.integers(0, 256, (n, 784), dtype=np.uint8), RNG.integers(0, 10, n)


API_CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- building a network
    "MLP sizes too large": Case(lambda t: MLP((784, 10**7, 10)), TooLargeError,
                                r"7,950,000,010 weights \(29.6 GiB in float32\); the limit is 100,000,000.*narrower"),
    "MLP sizes not numbers": Case(lambda t: MLP("784,100"), ConfigError, r"e\.g\. \(784, 100, 10, 10\)"),
    "MLP sizes with a bool": Case(lambda t: MLP((784, True, 10)), ConfigError, "positive whole layer widths"),
    "MLP sizes fractional": Case(lambda t: MLP((784, 2.5, 10)), ConfigError, "whole layer widths"),
    "MLP one class": Case(lambda t: MLP((784, 100, 1)), ConfigError, "at least 2 classes"),
    "MLP negative seed": Case(lambda t: MLP(seed=-1), ConfigError, r"seed must be None or a whole number ≥ 0"),
    "MLP fractional seed": Case(lambda t: MLP(seed=1.5), ConfigError, r"whole number ≥ 0, such as 0"),
    "MLP activation None": Case(lambda t: small(activation=None), ConfigError, "supported: relu, sigmoid, tanh"),
    "MLP dtype float16": Case(lambda t: small(dtype="float16"), DTypeError, "np.float32 or np.float64"),
    # ---------------------------------------------------------------- inputs and labels
    "X is None": Case(lambda t: small().predict(None), InputTypeError, r"pass an array of shape \(batch"),
    "X ragged list": Case(lambda t: small().predict([[0.1, 0.2, 0.3, 0.4], [0.5]]), ShapeError,
                          "same number of features"),
    "X 1e300 into float32": Case(lambda t: small().predict(x(value=1e300, dtype=np.float64)), NonFiniteError,
                                 r"beyond float32's range.*Scale the data"),
    "X holds inf": Case(lambda t: small().predict(x(value=np.inf)), NonFiniteError, r"np\.nan_to_num"),
    "X an image, not a row": Case(lambda t: MLP().predict(np.zeros((28, 28), np.float32)), ShapeError,
                                  r"reshape\(1, -1\)"),
    "X integers": Case(lambda t: small().predict(np.ones((2, 4), np.int64)), DTypeError, r"astype\(np\.float32\)"),
    "X strings": Case(lambda t: small().predict([["a"] * 4]), DTypeError, r"astype\(np\.float32\)"),
    "pass overflows from inputs": Case(lambda t: overflowing(1e200, 1e200), NonFiniteError,
                                       r"inputs reach \|x\| = 1e\+200: scale them"),
    "pass overflows from weights": Case(lambda t: overflowing(1.0, 1e308), NonFiniteError,
                                        "smaller learning rate"),
    "label out of range": Case(lambda t: small().loss(x(1), [3]), LabelError, r"outside 0\.\.2.*3 output classes"),
    "labels None": Case(lambda t: small().loss(x(1), None), InputTypeError, "one integer class label per sample"),
    "labels one-hot": Case(lambda t: small().loss(x(1), np.eye(3)[:1]), LabelError, r"argmax\(axis=1\)"),
    "labels float": Case(lambda t: small().loss(x(1), [1.0]), LabelError, r"astype\(int\)"),
    "labels too few": Case(lambda t: small().loss(x(3), [0, 1]), ShapeError, "one label per row of X"),
    # ---------------------------------------------------------------- set_weights
    "set_weights None": Case(lambda t: small().set_weights(None), InputTypeError, r"Pass e\.g\. other\.weights"),
    "set_weights NaN": Case(lambda t: set_w(np.nan), NonFiniteError, r"re-initialise it: MLP\(\(4, 5, 3\)\)"),
    "set_weights inf": Case(lambda t: set_w(-np.inf), NonFiniteError, "NaN or infinite"),
    "set_weights 1e300 into float32": Case(lambda t: set_w(1e300, np.float64), NonFiniteError,
                                           r"dtype=np\.float64\) or smaller weights"),
    "set_weights complex": Case(lambda t: set_w(1 + 2j, np.complex128), DTypeError,
                                "complex weights are not supported"),
    "set_weights strings": Case(lambda t: set_w("a", object), DTypeError, r"real numbers.*astype"),
    "set_weights transposed": Case(lambda t: set_w(0.0, shapes=[(5, 5), (3, 6)]), ShapeError,
                                   r"\[\(5, 5\), \(6, 3\)\] \(bias row first\)"),
    "set_weights too few": Case(lambda t: set_w(0.0, shapes=[(5, 5)]), ShapeError, "bias row first"),
    # ---------------------------------------------------------------- training settings and data
    "Trainer negative seed": Case(lambda t: Trainer(small(), seed=-1), ConfigError, "whole number ≥ 0"),
    "Trainer lr inf": Case(lambda t: Trainer(small(), lr=float("inf")), ConfigError, "positive number such as 0.1"),
    "Trainer lr_decay 1.5": Case(lambda t: Trainer(small(), lr_decay=1.5), ConfigError, r"\(0, 1\] such as 0\.8"),
    "Trainer momentum negative": Case(lambda t: Trainer(small(), momentum=-0.1), ConfigError, r"\[0, 1\)"),
    "Trainer epochs True": Case(lambda t: Trainer(small(), epochs=True), ConfigError, "whole number ≥ 1"),
    "Trainer shuffle 'yes'": Case(lambda t: Trainer(small(), shuffle="yes"), ConfigError, "True or False"),
    "run y_test missing": Case(lambda t: train(x(4), [0, 1, 2, 0], x(2), None), InputTypeError,
                               "X_test was given but y_test is None; pass both"),
    "run X_test missing": Case(lambda t: train(x(4), [0, 1, 2, 0], None, [0, 1]), InputTypeError,
                               "y_test was given but X_test is None"),
    "run y None": Case(lambda t: train(x(4), None), InputTypeError, r"y is None.*one integer class label"),
    "run bad test labels": Case(lambda t: train(x(4), [0, 1, 2, 0], x(2), [0, 7]), LabelError,
                                "y_test holds the label 7"),
    "run X_test wrong width": Case(lambda t: train(x(4), [0, 1, 2, 0], np.zeros((2, 5)), [0, 1]), ShapeError,
                                   r"X_test must have shape \(n_samples, 4\)"),
    "run X 1e300 into float32": Case(lambda t: train(x(4, 1e300, np.float64), [0, 1, 2, 0]), NonFiniteError,
                                     "Scale the data to about"),
    "run lr 1e6 diverges": Case(lambda t: list(Trainer(MLP(), epochs=2, lr=1e6).run(*images())),
                                DivergenceError, r"learning rate is too large: try lr=0\.1 instead of 1e\+06"),
    "run data 1e298 diverges": Case(lambda t: list(Trainer(MLP((784, 30, 10), activation="relu", dtype=np.float64))
                                                   .run(images()[0] * 1e298, images()[1])),
                                    DivergenceError, r"The data is the problem.*Scale them first"),
    "Trainer without a network": Case(lambda t: Trainer(None), InputTypeError, r"Trainer\(MLP\(\), epochs=10\)"),
    "confusion label 12 of 10": Case(lambda t: confusion_matrix([0, 1], [1, 12], 10), LabelError,
                                     "Pass n_classes= the number of classes"),
    "accuracy of unequal lengths": Case(lambda t: accuracy([1], [1, 1, 1]), ShapeError, "of the same samples"),
    "History 0 points per epoch": Case(lambda t: History(points_per_epoch=0), ConfigError, "such as 20"),
    "evaluate chunk 0": Case(lambda t: evaluate(small(), x(2), [0, 1], chunk=0), ConfigError,
                             "chunk must be a whole number ≥ 1"),
    "evaluate X None": Case(lambda t: evaluate(small(), None, [0]), InputTypeError, "pass an array"),
    # ---------------------------------------------------------------- model files
    "load None": Case(lambda t: MLP.load(None), InputTypeError, r"give a file path to load, such as 'model\.npz'"),
    "save to ''": Case(lambda t: small().save(""), InputTypeError, r"give a file path to save to"),
    "read_idx None": Case(lambda t: read_idx(None), InputTypeError, r"Pass e\.g\. 'train-images"),
    "load missing file": Case(lambda t: MLP.load(t / "none.npz"), ModelFileError,
                              "Train and save one first: backproplab train --save none.npz"),
    "load a folder": Case(lambda t: MLP.load(t), ModelFileError, "is a folder, not a model file"),
    "load random bytes": Case(lambda t: MLP.load(raw_file(t, bytes(RNG.integers(0, 256, 300, np.uint8)), "r.npz")),
                              ModelFileError, r"not an \.npz \(zip\) archive\. Save models with MLP\.save"),
    "load a cut file": Case(lambda t: MLP.load(raw_file(t, model(t).read_bytes()[:400], "cut.npz")),
                            ModelFileError, r"MLP\.save|Save the model again"),
    "load other npz": Case(lambda t: MLP.load(model(t, drop=("format",))), ModelFileError,
                           r"no format tag 'backproplab-mlp-1'\)\. Save models"),
    "load other format": Case(lambda t: MLP.load(model(t, format=np.array("other-9"))), ModelFileError,
                              r"format tag is 'other-9'"),
    "load without W3": Case(lambda t: MLP.load(model(t, drop=("W2",))), ModelFileError,
                            r"member 'W2' is missing \(a model of these sizes needs W1\.\.W2\)"),
    "load NaN in W2": Case(lambda t: MLP.load(model(t, W2=np.full((6, 3), np.nan))), ModelFileError,
                           "W2 holds 18 NaN or infinite value"),
    "load pickled W1": Case(lambda t: MLP.load(model(t, W1=np.array([None] * 25, dtype=object).reshape(5, 5))),
                            ModelFileError, "never loads"),
    "load huge sizes": Case(lambda t: MLP.load(model(t, sizes=np.array([784, 10**7, 10]))), ModelFileError,
                            r"limit is 100,000,000"),
    "load W1 shape": Case(lambda t: MLP.load(model(t, W1=np.zeros((4, 5)))), ModelFileError,
                          r"shape \(4, 5\), expected \(5, 5\)"),
    "load int weights": Case(lambda t: MLP.load(model(t, W1=np.zeros((5, 5), int))), ModelFileError,
                             "expected floating-point weights"),
    "load float sizes": Case(lambda t: MLP.load(model(t, sizes=np.array([4.0, 5.0, 3.0]))), ModelFileError,
                             "expected whole numbers"),
    "load negative sizes": Case(lambda t: MLP.load(model(t, sizes=np.array([4, -5, 3]))), ModelFileError,
                                "positive whole layer widths"),
    "load unknown activation": Case(lambda t: MLP.load(model(t, activation=np.array("swish"))), ModelFileError,
                                    "supported: relu, sigmoid, tanh"),
    # ---------------------------------------------------------------- writing files
    "save under a file": Case(lambda t: small().save(raw_file(t, b"x", "f") / "m.npz"), OutputPathError,
                              r"f is a file\. Choose another path"),
    "save onto a folder": Case(lambda t: (t / "d.npz").mkdir() or small().save(t / "d.npz"), OutputPathError,
                               r"it is a folder\. Give a file name"),
    "report into a file": Case(lambda t: write_report(raw_file(t, b"x", "rep"), small(), None), OutputPathError,
                               r"rep is a file\. Choose another path"),
    "atomic_write no folder": Case(lambda t: atomic_write(t / "no" / "a").__enter__(), OutputPathError,
                                   r"Create it first"),
    # ---------------------------------------------------------------- data files, lab
    "idx header 65535³ in 28 bytes": Case(
        lambda t: read_idx(raw_file(t, bytes([0, 0, 8, 3]) + (65535).to_bytes(4, "big") * 3 + bytes(12))),
        DataError, r"promises 281462092005391 bytes, it holds only 28\. Replace it with an intact copy"),
    "lab port 99999": Case(lambda t: lab.build_command(t, port=99999), ConfigError, r"1\.\.65535, such as 8888"),
    # ---------------------------------------------------------------- the MNIST loader
    "load_mnist data_dir=123": Case(lambda t: load_mnist(data_dir=123), ConfigError,
                                    r"folder path .*got 123 \(int\).*bundled"),
    "load_mnist data_dir a file": Case(lambda t: load_mnist(data_dir=raw_file(t, b"x", "f")), DataError,
                                       r"is not a folder\. Pass the folder that holds the four MNIST files"),
    "load_mnist empty folder": Case(lambda t: load_mnist(data_dir=t), DataError,
                                    r"holds none of the MNIST files.*data_dir=None to use the copy bundled"),
    "load_mnist n_train 70000": Case(lambda t: load_mnist(n_train=70000), ConfigError,
                                     r"from 1 to 60000.*n_train=1000"),
    "load_mnist dtype int32": Case(lambda t: load_mnist(dtype=np.int32), ConfigError, r"np\.uint8.*np\.float32"),
    "load_mnist images file is a folder": Case(
        lambda t: (t / "train-images-idx3-ubyte.gz").mkdir() or load_mnist(data_dir=t), DataError,
        r"train-images-idx3-ubyte\.gz is a folder, not a file\. Replace it"),
    # ---------------------------------------------------------------- a recorded trace
    "trace[99]": Case(lambda t: small().trace(x(1), [0])[99], StepNotFoundError,
                      r"an index must be from 0 to \d+.*Index by name instead"),
    "trace[None]": Case(lambda t: small().trace(x(1), [0])[None], InputTypeError, r"by step name .* or position"),
    "trace['dL/dW9']": Case(lambda t: small().trace(x(1), [0])["dL/dW9"], StepNotFoundError, r"steps are: x, z1"),
    "jacobian max_entries=None": Case(lambda t: small().trace(x(1), [0]).jacobian("z2", "W2", max_entries=None),
                                      ConfigError, r"whole number >= 1.*Leave it out for the default"),
    "jacobian max_entries=0": Case(lambda t: small().trace(x(1), [0]).jacobian("z2", "W2", max_entries=0),
                                   ConfigError, r"pass max_entries=\d+ to build"),
}


@pytest.mark.parametrize("case", API_CASES.values(), ids=API_CASES.keys())
def test_api_refuses_with_a_package_error_that_names_the_fix(tmp_path, case):
    with pytest.raises(case.error, match=case.fix) as info:
        case.call(tmp_path)
    assert isinstance(info.value, BackproplabError)
    assert isinstance(info.value, (ValueError, TypeError, OSError))
    assert "allow_pickle" not in str(info.value)  # never invite unsafe loading


def test_set_weights_keeps_the_old_weights_on_error():
    net = small()
    before = [W.copy() for W in net.weights]
    bad = [W.copy() for W in net.weights]
    bad[1][2, 1] = np.nan
    with pytest.raises(NonFiniteError, match="W2 holds 1 NaN or infinite value.*row 2, column 1"):
        net.set_weights(bad)
    for a, b in zip(net.weights, before):
        np.testing.assert_array_equal(a, b)


def test_a_pass_over_too_many_rows_is_refused_before_allocating(monkeypatch):
    from backproplab.core import validation

    monkeypatch.setattr(validation, "MAX_BATCH_ENTRIES", 100)
    with pytest.raises(TooLargeError, match=r"a batch of 20 samples .* needs 240 activations.*"
                                            r"Pass at most 8 rows at a time, or use backproplab\.evaluate"):
        small().predict(x(20))
    assert evaluate(small(), x(20), np.zeros(20, int), chunk=8).predictions.shape == (20,)


def test_read_only_folders_and_files_are_named(tmp_path, monkeypatch):
    """Simulated: the tests may run as root, who may write anywhere."""
    import backproplab._files as files

    monkeypatch.setattr(files.os, "access", lambda path, mode: False)
    with pytest.raises(OutputPathError, match=r"no write permission there\. Choose a folder you can write to"):
        small().save(tmp_path / "m.npz")
    monkeypatch.undo()

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "open", denied)
    with pytest.raises(OutputPathError, match=r"cannot write .*m\.npz: Permission denied\. Choose a folder") as info:
        small().save(tmp_path / "m.npz")
    assert ".tmp" not in str(info.value)  # the hidden temp file is not what the user asked for


def test_an_unreadable_model_file_says_permission_not_format(tmp_path, monkeypatch):
    path = small().save(tmp_path / "m.npz")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(zipfile, "ZipFile", denied)
    with pytest.raises(ModelFileError, match=r"cannot read .*m\.npz: permission denied\. Fix its permissions"):
        MLP.load(path)


def test_a_model_with_a_huge_extra_member_is_read_without_decompressing_it(tmp_path):
    """A valid model plus 200 MB of zeros (a 200 KB file): loading reads only the model's members."""
    import tracemalloc

    path = small(seed=3).save(tmp_path / "m.npz")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("junk.npy", "w", force_zip64=True) as member:
            header = np.lib.format
            header.write_array_header_1_0(member, {"descr": "|u1", "fortran_order": False,
                                                  "shape": (200 * 2**20,)})
            block = bytes(2**20)
            for _ in range(200):
                member.write(block)
    assert path.stat().st_size < 2 * 2**20
    tracemalloc.start()
    try:
        net = MLP.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert net.sizes == SMALL
    np.testing.assert_array_equal(net.weights[0], small(seed=3).weights[0])
    assert peak < 5 * 2**20, f"loading used {peak / 2**20:.0f} MiB"


# ------------------------------------------------------------------------------ the CLI
class CliCase(NamedTuple):
    argv: Callable[[Path], list[str]]  # gets a temporary folder
    status: int  # 2: a bad argument, refused before any work; 1: a data, model or training problem
    fix: str
    needs_data: bool = False


def a_file(tmp: Path) -> Path:
    return raw_file(tmp, b"x", "a_file")


def folder(tmp: Path, name: str) -> Path:
    (tmp / name).mkdir()
    return tmp / name


def nan_mnist_model(tmp: Path) -> Path:
    net = MLP(seed=0)
    weights = [W.copy() for W in net.weights]
    np.savez(tmp / "nan784.npz", format=np.array("backproplab-mlp-1"), sizes=np.array(net.sizes),
             activation=np.array("sigmoid"), W1=weights[0], W2=np.full((101, 10), np.nan, np.float32),
             W3=weights[2])
    return tmp / "nan784.npz"


CLI_CASES: dict[str, CliCase] = {
    "hidden too wide": CliCase(lambda t: ["train", "--hidden", "10000000"], 2,
                               r"limit is 100,000,000.*e\.g\. --hidden 100,10"),
    "batch too large": CliCase(lambda t: ["train", "--hidden", "5000,5000", "--batch-size", "60000"], 2,
                               r"limit is 100,000,000\. Use --batch-size ≤ 9,264"),
    "n-train above 60000": CliCase(lambda t: ["train", "--n-train", "70000"], 2,
                                   r"training images in 1\.\.60000, got 70000"),
    "n-test 0": CliCase(lambda t: ["train", "--n-test", "0"], 2, r"test images in 1\.\.10000"),
    "lr-decay 1.5": CliCase(lambda t: ["train", "--lr-decay", "1.5"], 2, r"number in \(0, 1\] such as 0\.8"),
    "seed -1": CliCase(lambda t: ["train", "--seed", "-1"], 2, r"--seed: expected a whole number ≥ 0"),
    "lr nan": CliCase(lambda t: ["train", "--lr", "nan"], 2, r"positive number such as 0\.1"),
    "lr inf": CliCase(lambda t: ["train", "--lr", "inf"], 2, r"positive number such as 0\.1"),
    "epochs 0": CliCase(lambda t: ["train", "--epochs", "0"], 2, r"whole number ≥ 1"),
    "report is a file": CliCase(lambda t: ["train", "--report", str(a_file(t))], 2,
                                r"a_file is a file\. Choose another path"),
    "save is a folder": CliCase(lambda t: ["train", "--save", str(folder(t, "d.npz"))], 2,
                                r"it is a folder\. Give a file name"),
    "save under a file": CliCase(lambda t: ["train", "--save", str(a_file(t) / "m.npz")], 2, r"a_file is a file"),
    "report's metrics.json is a folder": CliCase(lambda t: ["train", "--report", str(folder(t, "metrics.json").parent)],
                                                 2, r"metrics\.json: it is a folder"),
    "port 99999": CliCase(lambda t: ["lab", "--port", "99999"], 2, r"port number in 1\.\.65535"),
    "port 0": CliCase(lambda t: ["lab", "--port", "0"], 2, r"port number in 1\.\.65535"),
    "unknown command": CliCase(lambda t: ["trainn"], 2, r"invalid choice: 'trainn'.*See: backproplab --help"),
    "trace model missing": CliCase(lambda t: ["trace", "--model", str(t / "none.npz")], 2,
                                   "name a model file saved by backproplab train --save"),
    "trace junk model": CliCase(lambda t: ["trace", "--model", str(raw_file(t, b"junk", "junk.npz"))], 1,
                                r"not an \.npz \(zip\) archive", True),
    "trace NaN model": CliCase(lambda t: ["trace", "--model", str(nan_mnist_model(t))], 1,
                               r"W2 holds 1010 NaN or infinite value", True),
    "trace model for 100 inputs": CliCase(lambda t: ["trace", "--model", str(MLP((100, 10)).save(t / "m.npz"))], 1,
                                          r"does not take 28×28 MNIST images.*backproplab train --save", True),
    "train lr 1e6": CliCase(lambda t: ["train", "--lr", "1e6", "--n-train", "500", "--n-test", "100", "--epochs",
                                       "2", "--quiet", "--save", str(t / "m.npz")], 1,
                            r"diverged at epoch 1.*try lr=0\.1 instead of 1e\+06\. Nothing was saved\. "
                            r"Run again with --lr 0\.1\.$",
                            True),
}


@pytest.mark.parametrize("case", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_cli_answers_in_one_line_with_the_right_status(case, tmp_path, capsys, request):
    argv = case.argv(tmp_path)
    if case.needs_data:
        argv += ["--data-dir", str(request.getfixturevalue("mnist_dir"))]
    elif argv[0] in ("train", "trace", "lab"):  # should a check regress, fail fast instead of working
        argv += ["--data-dir", str(tmp_path / "no-data")]
        argv += ["--notebook-dir", str(tmp_path / "no-notebooks")] if argv[0] == "lab" else []
    try:
        code = main(argv)
    except SystemExit as exit_:
        code = exit_.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == case.status, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith((f"backproplab {argv[0]}: error:", "backproplab: error:")), lines[0]
    assert re.search(case.fix, lines[0]), lines[0]


def test_cli_turns_an_unexpected_exception_into_one_line(monkeypatch, capsys):
    import backproplab.cli as cli

    def bug(args):
        raise KeyError("surprise")

    monkeypatch.setattr(cli, "_data", bug)
    assert main(["data"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error (KeyError" in err and "please report it" in err


def test_checking_output_paths_creates_nothing(tmp_path, capsys):
    """Paths are checked before the work, but folders are made only when the work is done."""
    with pytest.raises(SystemExit):
        main(["train", "--report", str(tmp_path / "new" / "rep"), "--save", str(tmp_path / "new2" / "m.npz"),
              "--lr", "0"])  # a bad argument: the run never starts
    assert list(tmp_path.iterdir()) == []
    from backproplab.cli import _check_train, build_parser

    args = build_parser().parse_args(["train", "--report", str(tmp_path / "a" / "rep"),
                                      "--save", str(tmp_path / "b" / "m")])
    _check_train(args)
    assert args.save == tmp_path / "b" / "m.npz" and list(tmp_path.iterdir()) == []


def test_the_report_path_is_checked_before_training(tmp_path, capsys, monkeypatch):
    """A bad --report fails at once: no data is loaded, no step is taken."""
    import backproplab.data as data

    monkeypatch.setattr(data, "load_mnist", lambda **kw: pytest.fail("data was loaded before the check"))
    (tmp_path / "rep").write_text("x")
    with pytest.raises(SystemExit) as info:
        main(["train", "--report", str(tmp_path / "rep")])
    assert info.value.code == 2


def test_the_table_is_large_enough():
    assert len(API_CASES) + len(CLI_CASES) >= 60
