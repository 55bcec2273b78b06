"""The MLP: gradients, shapes, files and every bad input."""

import numpy as np
import pytest

from backproplab import MLP, check_gradients, check_parameter
from backproplab.core import Affine
from backproplab.errors import (ConfigError, DTypeError, LabelError, ModelFileError, NonFiniteError,
                                ShapeError)

rng = np.random.default_rng(7)


def test_classic_network_shapes():
    net = MLP()
    assert net.sizes == (784, 100, 10, 10) and net.activation == "sigmoid"
    assert [W.shape for W in net.weights] == [(785, 100), (101, 10), (11, 10)]
    assert all(W.dtype == np.float32 for W in net.weights)
    assert all(np.all(W[0] == 0) for W in net.weights)  # bias rows start at zero
    assert repr(net) == "MLP(784 → 100 → 10 → 10, sigmoid, float32)"


@pytest.mark.parametrize("sizes,activation,B", [
    ((784, 100, 10, 10), "sigmoid", 1),
    ((784, 100, 10, 10), "sigmoid", 5),
    ((12, 7, 5), "tanh", 3),
    ((12, 9, 8, 7, 4), "relu", 6),
    ((6, 3), "sigmoid", 2),
])
def test_gradients_match_central_differences(sizes, activation, B):
    net = MLP(sizes, activation=activation, seed=3, dtype=np.float64)
    X = rng.random((B, sizes[0]))
    y = rng.integers(0, sizes[-1], B)
    errors = check_gradients(net, X, y, entries=15)
    assert list(errors) == [f"W{k}" for k in range(1, len(sizes))]
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_keep_weight_shapes_and_dtype(dtype):
    net = MLP(dtype=dtype)
    loss, grads = net.loss_and_gradients(rng.random((8, 784)).astype(dtype), rng.integers(0, 10, 8))
    assert np.isfinite(loss) and loss > 0
    assert [g.shape for g in grads] == [W.shape for W in net.weights]
    assert all(g.dtype == dtype for g in grads)


def test_float32_gradients_agree_with_float64():
    net32 = MLP(dtype=np.float32, seed=1)
    X, y = rng.random((4, 784)), rng.integers(0, 10, 4)
    _, g32 = net32.loss_and_gradients(X.astype(np.float32), y)
    _, g64 = net32.copy(dtype=np.float64).loss_and_gradients(X, y)
    for a, b in zip(g32, g64):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)


def test_check_parameter_detects_a_wrong_gradient(monkeypatch):
    net = MLP((6, 4, 3), seed=0, dtype=np.float64)
    X, y = rng.random((2, 6)), np.array([0, 2])
    assert check_parameter(net, X, y, param="W1", entries=8).relative_error < 1e-7
    real = MLP._loss_and_gradients

    def buggy(self, X, y):  # keep the bias row in dL/dH: the classic mistake, made on purpose
        loss, grads = real(self, X, y)
        return loss, [grads[0] * 1.1, grads[1]]

    monkeypatch.setattr(MLP, "_loss_and_gradients", buggy)
    assert check_parameter(net, X, y, param=1, entries=8).relative_error > 1e-3


def test_predict_proba_and_predict():
    net = MLP((10, 6, 4), seed=2)
    X = rng.random((5, 10)).astype(np.float32)
    P = net.predict_proba(X)
    assert P.shape == (5, 4)
    np.testing.assert_allclose(P.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(net.predict(X), P.argmax(axis=1))


def test_uint8_pixels_are_scaled_to_unit_range():
    net = MLP((4, 3, 2), seed=0, dtype=np.float64)
    pixels = np.array([[0, 51, 255, 102]], dtype=np.uint8)
    np.testing.assert_allclose(net.predict_proba(pixels), net.predict_proba(pixels / 255.0))


def test_changing_the_bias_row_of_W3_leaves_dL_dH2_unchanged():
    """The bias row of W3 has no path back to H2: for the same δ3, dL/dH2 and the
    local Jacobian ∂z3/∂H2 do not depend on it at all."""
    net = MLP(dtype=np.float64)
    x, y = rng.random((1, 784)), [4]
    trace = net.trace(x, y)
    delta3 = trace["dL/dz3"].value
    H2_cache = (trace["H2"].value, net.weights[2])
    changed = net.weights[2].copy()
    changed[0] = rng.standard_normal(10) * 10  # a very different bias row, same W3[1:]
    dH2, _ = Affine.backward(delta3, H2_cache)
    dH2_changed, _ = Affine.backward(delta3, (trace["H2"].value, changed))
    np.testing.assert_array_equal(dH2, dH2_changed)
    np.testing.assert_allclose(trace["dL/dH2"].value, dH2)
    net.weights[2] = changed
    retraced = net.trace(x, y)
    np.testing.assert_array_equal(retraced.jacobian("z3", "H2"), trace.jacobian("z3", "H2"))
    np.testing.assert_array_equal(trace.jacobian("z3", "H2"), changed[1:].T)  # W3[1:]ᵀ, 10×10
    # The bias row does change the output, and so δ3; only its direct path to H2 is absent.
    assert not np.allclose(retraced["dL/dz3"].value, delta3)
    # Keeping the bias row (δ3 · W3ᵀ) gives 1×11: one column more than H2 has.
    assert (delta3 @ changed.T).shape == (1, 11) != trace["H2"].shape


def test_save_load_round_trip(tmp_path):
    net = MLP((20, 8, 5, 3), activation="tanh", seed=4, dtype=np.float64)
    path = net.save(tmp_path / "model.npz")
    loaded = MLP.load(path)
    assert loaded.sizes == net.sizes and loaded.activation == "tanh" and loaded.dtype == np.float64
    for a, b in zip(net.weights, loaded.weights):
        np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temp file left


def test_save_failure_keeps_the_old_file(tmp_path, monkeypatch):
    path = MLP((4, 3, 2)).save(tmp_path / "m.npz")
    old = path.read_bytes()

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        MLP((4, 3, 2), seed=9).save(path)
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


def test_loading_files_that_are_not_models(tmp_path):
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ModelFileError, match="not a backproplab model"):
        MLP.load(tmp_path / "text.npz")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    with pytest.raises(ModelFileError, match="no format tag"):
        MLP.load(tmp_path / "other.npz")
    np.savez(tmp_path / "pickled.npz", format=np.array("backproplab-mlp-1"), sizes=np.array([4, 2]),
             activation=np.array("sigmoid"), W1=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError):
        MLP.load(tmp_path / "pickled.npz")
    np.savez(tmp_path / "bad.npz", format=np.array("backproplab-mlp-1"), sizes=np.array([4, 2]),
             activation=np.array("sigmoid"), W1=np.zeros((3, 2)))
    with pytest.raises(ModelFileError, match="damaged"):
        MLP.load(tmp_path / "bad.npz")
    with pytest.raises(ModelFileError, match="no model file"):
        MLP.load(tmp_path / "missing.npz")


@pytest.mark.parametrize("X,error,message", [
    (np.zeros((28, 28), np.float32), ShapeError, r"shape \(batch, 784\); got \(28, 28\)\. Flatten the image"),
    (np.zeros((5, 28, 28), np.float32), ShapeError, r"Flatten images first: X.reshape\(len\(X\), -1\)"),
    (np.zeros(784, np.float32), ShapeError, r"reshape\(1, -1\)"),
    (np.zeros((2, 10), np.float32), ShapeError, r"got \(2, 10\)"),
    (np.zeros((2, 784), np.int64), DTypeError, r"floating-point.*astype\(np.float32\)"),
    (np.array([["a"] * 784]), DTypeError, "dtype <U1"),
    (np.full((2, 784), np.nan, np.float32), NonFiniteError, "1568 NaN or infinite value"),
    (np.zeros((0, 784), np.float32), ShapeError, "empty"),
])
def test_bad_inputs_raise_clear_errors(X, error, message):
    with pytest.raises(error, match=message):
        MLP().loss_and_gradients(X, np.zeros(len(X) if X.ndim == 2 else 1, int))


@pytest.mark.parametrize("y,error,message", [
    ([10], LabelError, r"label 10, outside 0..9"),
    ([-1], LabelError, r"label -1"),
    ([1.0], LabelError, r"astype\(int\)"),
    ([[0, 1, 0, 0, 0, 0, 0, 0, 0, 0]], LabelError, "one-hot"),
    ([1, 2], ShapeError, r"shape \(1,\)"),
])
def test_bad_labels_raise_clear_errors(y, error, message):
    y = np.asarray(y, dtype=float) if message == "one-hot" else y
    with pytest.raises(error, match=message):
        MLP().loss_and_gradients(np.zeros((1, 784), np.float32), y)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"activation": "softmax"}, ConfigError, "supported: relu, sigmoid, tanh"),
    ({"sizes": (784,)}, ConfigError, "at least two"),
    ({"sizes": (784, 0, 10)}, ConfigError, "positive"),
    ({"sizes": (784, 1)}, ConfigError, "at least 2 classes"),
    ({"dtype": np.int32}, DTypeError, "np.float32 or np.float64"),
])
def test_bad_configuration(kwargs, error, message):
    with pytest.raises(error, match=message):
        MLP(**kwargs)


def test_errors_are_value_or_type_errors():
    assert issubclass(ShapeError, ValueError) and issubclass(DTypeError, TypeError)
    assert issubclass(ModelFileError, ValueError) and issubclass(LabelError, ValueError)


def test_entry_errors_and_verdict():
    net = MLP((6, 4, 3), seed=0, dtype=np.float64)
    check = check_parameter(net, rng.random((2, 6)), [0, 2], param="W2", entries=4)
    assert check.entry_errors.shape == (len(check.entries),) and (check.entry_errors < 1e-6).all()
    assert len(check.entries) == len(set(check.entries)) >= 4 + 3  # at least the random 4 and the bias row
    assert check.verdict == "backprop agrees with finite differences"


def test_initial_weights_are_drawn_in_blocks_without_changing_them():
    """A wide layer is drawn row block by row block: the same numbers as one draw, no big float64 copy."""
    import tracemalloc

    tracemalloc.start()
    try:
        net = MLP((3000, 1000, 10), seed=5)  # W1: 3 M numbers, 12 MB in float32
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    rng = np.random.default_rng(5)
    bound = 2.0 * np.sqrt(6.0 / 4000)
    np.testing.assert_array_equal(net.weights[0][1:], rng.uniform(-bound, bound, (3000, 1000)).astype(np.float32))
    assert peak < 2.5 * net.weights[0].nbytes  # not the 24 MB float64 draw on top
