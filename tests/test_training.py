"""Training: progress records, learning real digits, stopping, divergence, metrics."""

import math

import numpy as np
import pytest

from backproplab import MLP
from backproplab.core.metrics import accuracy, confusion_matrix, evaluate, per_class_accuracy
from backproplab.core.training import Progress, Trainer
from backproplab.errors import ConfigError, DivergenceError, NonFiniteError, ShapeError


def test_learns_real_digits_far_above_chance(mnist_small):
    x_train, y_train, x_test, y_test = mnist_small
    net = MLP()
    records = list(Trainer(net, epochs=3, confusion=True, snapshots=True).run(x_train, y_train, x_test, y_test))
    ends = [r for r in records if r.epoch_end]
    assert [r.epoch for r in ends] == [1, 2, 3]
    assert ends[-1].test_accuracy > 0.85  # chance is 0.10
    assert ends[-1].test_accuracy == pytest.approx(evaluate(net, x_test, y_test).accuracy)
    cm = ends[-1].confusion
    assert cm.shape == (10, 10) and cm.sum() == len(y_test)
    assert np.trace(cm) == round(ends[-1].test_accuracy * len(y_test))
    np.testing.assert_array_equal(ends[-1].weights[0], net.weights[0])
    assert ends[-1].weights[0] is not net.weights[0]  # a copy, not a view


def test_progress_records_are_well_formed(mnist_small):
    x_train, y_train, x_test, y_test = mnist_small
    n = 1000
    records = list(Trainer(MLP(), epochs=2, batch_size=300).run(x_train[:n], y_train[:n], x_test, y_test))
    assert len(records) == 2 * math.ceil(n / 300)
    assert [r.step for r in records] == list(range(1, 9))
    assert [r.epoch for r in records] == [1] * 4 + [2] * 4
    assert [r.samples_seen for r in records][:4] == [300, 600, 900, 1000]
    assert [r.epoch_end for r in records] == [False, False, False, True] * 2
    assert records[3].epoch_fraction == 1.0 and records[4].epoch_fraction == pytest.approx(1.25)
    for r in records:
        assert isinstance(r, Progress) and np.isfinite(r.loss) and 0 <= r.train_accuracy <= 1
        assert r.elapsed > 0 and r.samples_per_second > 0
    assert records[3].test_accuracy is not None and records[2].test_accuracy is None
    assert records[3].confusion is None and records[3].weights is None  # only on request
    assert records[4].lr == pytest.approx(records[0].lr * 0.8)  # lr decays per epoch
    epoch1 = records[:4]
    weights = [300, 300, 300, 100]
    assert epoch1[-1].train_loss == pytest.approx(sum(r.loss * w for r, w in zip(epoch1, weights)) / 1000)
    assert all(np.isfinite(r.epoch_seconds) for r in records if r.epoch_end)
    with pytest.raises(AttributeError):
        records[0].loss = 0.0


def test_same_seed_same_run_and_weights_change(mnist_small):
    x, y = mnist_small.x_train[:500], mnist_small.y_train[:500]
    nets = [MLP(seed=1), MLP(seed=1)]
    before = nets[0].weights[0].copy()
    losses = [[r.loss for r in Trainer(net, epochs=1, seed=5).run(x, y)] for net in nets]
    assert losses[0] == losses[1]
    np.testing.assert_array_equal(nets[0].weights[0], nets[1].weights[0])
    assert not np.array_equal(nets[0].weights[0], before)


def test_breaking_out_leaves_a_consistent_network(mnist_small):
    x, y = mnist_small.x_train, mnist_small.y_train
    net, reference = MLP(seed=2), MLP(seed=2)
    for r in Trainer(net, epochs=1, batch_size=50).run(x, y):
        if r.step == 7:
            break
    # the same 7 steps, taken one by one, give the same weights: nothing half-applied
    ref_trainer = Trainer(reference, epochs=1, batch_size=50)
    for _, r in zip(range(7), ref_trainer.run(x, y)):  # range first: no 8th step
        pass
    for a, b in zip(net.weights, reference.weights):
        np.testing.assert_array_equal(a, b)
    assert all(np.isfinite(W).all() for W in net.weights)


def test_stop_ends_the_run_between_steps(mnist_small):
    x, y = mnist_small.x_train, mnist_small.y_train
    trainer = Trainer(MLP(), epochs=5, batch_size=100)
    seen = []
    for r in trainer.run(x, y):
        seen.append(r.step)
        if r.step == 3:
            trainer.stop()
    assert seen == [1, 2, 3]


def test_divergence_is_caught_and_the_last_good_weights_are_kept(mnist_small):
    x, y = mnist_small.x_train[:2000], mnist_small.y_train[:2000]
    net = MLP(activation="relu", seed=0)
    last = []
    with pytest.raises(DivergenceError, match=r"the loss became (nan|inf).*smaller learning rate \(lr=1e\+29"):
        for r in Trainer(net, epochs=3, lr=1e30, momentum=0.0).run(x, y):
            last.append(r)
    assert last, "it should take at least one finite step first"
    assert all(np.isfinite(W).all() for W in net.weights)
    assert np.isfinite(net.loss(x[:100], y[:100]))


@pytest.mark.parametrize("kwargs,message", [
    ({"epochs": -1}, "epochs must be a whole number ≥ 1; got -1"),
    ({"epochs": 2.5}, "epochs must be a whole number"),
    ({"lr": 0}, "lr must be a positive number"),
    ({"lr": float("nan")}, "lr must be a positive number"),
    ({"batch_size": 0}, "batch_size must be"),
    ({"momentum": 1.0}, r"momentum must be a number in \[0, 1\)"),
    ({"lr_decay": 0}, "lr_decay must be"),
    ({"blas_threads": 0}, "blas_threads must be"),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Trainer(MLP((4, 3, 2)), **kwargs)


def test_bad_data_is_refused_before_training():
    trainer = Trainer(MLP((4, 3, 2)))
    with pytest.raises(ShapeError, match=r"shape \(n_samples, 4\)"):
        next(trainer.run(np.zeros((5, 3), np.float32), np.zeros(5, int)))
    with pytest.raises(NonFiniteError):
        next(trainer.run(np.full((5, 4), np.inf, np.float32), np.zeros(5, int)))


def test_blas_is_pinned_to_one_thread_while_training():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    trainer = Trainer(MLP((4, 3, 2)), epochs=1)
    run = trainer.run(np.random.default_rng(0).random((8, 4)), np.zeros(8, int))
    next(run)
    blas = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert blas and all(p["num_threads"] == 1 for p in blas)
    run.close()


def test_metrics():
    y_true = np.array([0, 0, 1, 2, 2, 2])
    y_pred = np.array([0, 1, 1, 2, 0, 2])
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    cm = confusion_matrix(y_true, y_pred, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(per_class_accuracy(cm), [0.5, 1.0, 2 / 3])
    assert np.isnan(per_class_accuracy(confusion_matrix([0], [0], 2))[1])


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_trainer_fast_path_equals_the_textbook_update(mnist_small, momentum):
    """The trainer's buffers, −lr folded into backprop and swapped weight arrays are
    only speed: the weights equal those of the readable loop below."""
    x, y = mnist_small.x_train[:256], mnist_small.y_train[:256]
    fast = MLP((784, 30, 10), seed=4, dtype=np.float64)
    slow = fast.copy()
    list(Trainer(fast, epochs=2, lr=0.2, lr_decay=0.5, batch_size=64, momentum=momentum,
                 shuffle=False).run(x, y))
    velocity = [np.zeros_like(W) for W in slow.weights]
    for epoch in range(2):
        lr = 0.2 * 0.5 ** epoch
        for start in range(0, 256, 64):
            _, grads = slow.loss_and_gradients(x[start:start + 64], y[start:start + 64])
            for W, v, g in zip(slow.weights, velocity, grads):
                v[:] = momentum * v - lr * g
                W += v
    for a, b in zip(fast.weights, slow.weights):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_weights_are_updated_in_place(mnist_small):
    net = MLP()
    W1 = net.weights[0]  # a learner's handle on the filters stays live
    before = W1.copy()
    list(Trainer(net, epochs=1).run(mnist_small.x_train[:256], mnist_small.y_train[:256]))
    assert net.weights[0] is W1 and not np.array_equal(W1, before)
