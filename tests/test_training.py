"""Training: progress records, learning real digits, stopping, divergence, metrics."""

import math
import re

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


def _replay(net, x, y, n_steps, **settings):
    """The weights after the first ``n_steps`` steps of the same run, taken by a fresh trainer."""
    for _ in zip(range(n_steps), Trainer(net, **settings).run(x, y)):  # range first: no extra step
        pass
    return net.weights


@pytest.mark.parametrize("lr,activation", [(1e30, "relu"), (1e6, "sigmoid")])
def test_divergence_stops_restores_the_last_good_step_and_names_the_learning_rate(mnist_small, lr, activation):
    x, y = mnist_small.x_train[:2000], mnist_small.y_train[:2000]
    net, start = MLP(activation=activation, seed=0), MLP(activation=activation, seed=0)
    last = []
    with pytest.raises(DivergenceError) as info:
        for r in Trainer(net, epochs=3, lr=lr, momentum=0.0).run(x, y):
            last.append(r)
    err = info.value
    assert last, "it should take at least one step first"
    assert err.cause == "learning_rate" and err.suggested_lr == 0.1  # a tenth, but at most 0.1
    assert f"try lr=0.1 instead of {lr:g}" in str(err)
    assert err.step == len(last) + 1 and err.restored_step < err.step
    assert not np.isfinite(err.loss) or err.loss > 10 * err.start_loss
    # the restored weights are exactly those after `restored_step` steps of the same run
    for a, b in zip(net.weights, _replay(start, x, y, err.restored_step, epochs=3, lr=lr, momentum=0.0)):
        np.testing.assert_array_equal(a, b)
    assert net.loss(x[:200], y[:200]) < 10 * err.start_loss


def test_huge_float64_inputs_are_named_as_the_problem_not_the_learning_rate(mnist_small):
    x, y = mnist_small.x_train[:500].astype(np.float64) * 1e298, mnist_small.y_train[:500]
    with pytest.raises(DivergenceError, match=r"The data is the problem: the inputs reach \|x\| = 2.55e\+300.*"
                                              r"Scale them first") as info:
        list(Trainer(MLP(activation="relu", dtype=np.float64)).run(x, y))
    assert info.value.cause == "data" and info.value.suggested_lr is None
    assert "smaller learning rate will not fix" in str(info.value)
    with pytest.raises(NonFiniteError, match=r"beyond float32's range.*Scale the data"):
        list(Trainer(MLP()).run(x, y))  # a float32 net refuses them before the first step


def test_a_second_run_starts_with_zero_momentum_like_a_new_trainer(mnist_small):
    x, y = mnist_small.x_train[:320], mnist_small.y_train[:320]
    settings = dict(epochs=1, lr=0.1, momentum=0.9, batch_size=32)
    net, reference = MLP(seed=3), MLP(seed=3)
    trainer = Trainer(net, **settings)
    list(trainer.run(x, y))
    list(trainer.run(x, y))
    list(Trainer(reference, **settings).run(x, y))
    list(Trainer(reference, **settings).run(x, y))
    for a, b in zip(net.weights, reference.weights):
        np.testing.assert_array_equal(a, b)


def test_a_batch_larger_than_the_data_is_sized_by_the_data():
    X, y = np.random.default_rng(0).random((500, 4)), np.arange(500) % 2
    records = list(Trainer(MLP((4, 3, 2)), epochs=2, batch_size=10**9).run(X, y))
    assert [r.samples_seen for r in records] == [500, 1000] and records[0].steps_per_epoch == 1


def test_a_batch_too_large_for_memory_is_refused_before_training(monkeypatch):
    from backproplab.core import validation
    from backproplab.errors import TooLargeError

    monkeypatch.setattr(validation, "MAX_BATCH_ENTRIES", 1000)
    X, y = np.zeros((500, 4)), np.zeros(500, int)
    with pytest.raises(TooLargeError, match=r"a batch of 500 samples .* needs 4,500 activations.*"
                                            r"the limit is 1,000. Use batch_size ≤ 111"):
        next(Trainer(MLP((4, 3, 2)), batch_size=600).run(X, y))


def test_evaluate_in_several_chunks_equals_the_loss_of_the_whole_set():
    rng = np.random.default_rng(5)
    net = MLP((6, 5, 3), seed=1, dtype=np.float64)
    X, y = rng.random((23, 6)), rng.integers(0, 3, 23)
    result = evaluate(net, X, y, chunk=5)  # chunks of 5, 5, 5, 5, 3
    # independent reference: the mean of −log p_y from a float64 softmax written out here
    W1, W2 = net.weights
    H = 1 / (1 + np.exp(-(W1[0] + X @ W1[1:])))
    z = W2[0] + H @ W2[1:]
    logp = z - z.max(axis=1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
    assert result.loss == pytest.approx(-logp[np.arange(23), y].mean(), rel=1e-12)
    assert result.loss == pytest.approx(net.loss(X, y), rel=1e-12)
    np.testing.assert_array_equal(result.predictions, z.argmax(axis=1))
    assert result.accuracy == pytest.approx(np.mean(z.argmax(axis=1) == y))


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


_INTERRUPTED_CHILD = r"""
import sys
import numpy as np
from backproplab import MLP, Trainer

rng = np.random.default_rng(0)
X, y = rng.random((2048, 784)), rng.integers(0, 10, 2048)
net = MLP((784, 600, 10), dtype=np.float64, seed=0)
last = 0
try:
    for record in Trainer(net, epochs=100, batch_size=1, lr=0.01, momentum=0.9, seed=0).run(X, y):
        last = record.step
        if last == 5:
            print("ready", flush=True)
except KeyboardInterrupt:
    np.savez(sys.argv[1], last=last, *net.weights)
    print("interrupted", flush=True)
"""


def test_ctrl_c_leaves_every_layer_from_the_same_completed_step(tmp_path):
    """SIGINT lands anywhere in a step (mostly in the big W1 update); the network the
    process keeps must be the weights after the last or the next step, every layer alike."""
    import signal
    import subprocess
    import sys
    import time

    rng = np.random.default_rng()
    data = np.random.default_rng(0)  # the child's data, drawn in the same order
    X, y = data.random((2048, 784)), data.integers(0, 10, 2048)
    for trial in range(6):
        out = tmp_path / f"interrupted{trial}.npz"
        child = subprocess.Popen([sys.executable, "-c", _INTERRUPTED_CHILD, str(out)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.0, 0.3))  # not for timing: lands the signal at a random point of a step
            child.send_signal(signal.SIGINT)
            assert child.communicate(timeout=60)[0].strip() == "interrupted"
        finally:
            child.kill()
        with np.load(out) as f:
            last, kept = int(f["last"]), [f[f"arr_{k}"] for k in range(2)]
        reference = MLP((784, 600, 10), dtype=np.float64, seed=0)
        run = Trainer(reference, epochs=100, batch_size=1, lr=0.01, momentum=0.9, seed=0).run(X, y)
        for _ in zip(range(last), run):
            pass
        after_last = [W.copy() for W in reference.weights]
        next(run)
        after_next = reference.weights
        same = [[np.array_equal(W, R) for W, R in zip(kept, ref)] for ref in (after_last, after_next)]
        assert [True, True] in same, f"trial {trial}, step {last}: layers match steps {same}"


def test_two_runs_of_one_trainer_keep_their_own_momentum(mnist_small):
    """Interleaved runs of one Trainer behave as runs of two Trainers: no shared velocity."""
    x, y = mnist_small.x_train[:320], mnist_small.y_train[:320]
    settings = dict(epochs=1, lr=0.1, momentum=0.9, batch_size=32)
    net, reference = MLP(seed=3), MLP(seed=3)
    trainer = Trainer(net, **settings)
    runs = [trainer.run(x, y), trainer.run(x, y)]
    separate = [Trainer(reference, **settings).run(x, y), Trainer(reference, **settings).run(x, y)]
    for k in (0, 1, 0, 1, 0):
        next(runs[k])
        next(separate[k])
    for a, b in zip(net.weights, reference.weights):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("lr,suggested", [(0.5, 0.05), (0.1, 0.01), (3.0, 0.1), (1e6, 0.1)])
def test_a_diverged_run_is_advised_a_tenth_of_its_rate_but_at_most_0_1(lr, suggested):
    from backproplab.core.training import _DivergenceGuard, _RunState

    net = MLP((4, 3, 2))
    trainer = Trainer(net, lr=lr)
    guard = _DivergenceGuard(trainer, _RunState(net, 0.9), np.zeros((5, 4)))
    assert guard.check(0.7, 1, 1)  # the start: ln 2 = 0.69 is the floor of the reference
    assert not guard.check(7.5, 1, 2) and not guard.check(8.0, 1, 3)  # above 10 × 0.7, twice
    with pytest.raises(DivergenceError, match=re.escape(f"try lr={suggested:g} instead of {lr:g}.") + "$") as info:
        guard.check(9.0, 1, 4)
    assert info.value.suggested_lr == pytest.approx(suggested) and info.value.step == 4
    assert guard.check(6.9, 1, 5)  # below 10 × its start: fine again


def test_a_divergence_error_keeps_its_facts_through_pickle():
    import pickle

    err = DivergenceError("diverged", epoch=2, step=40, loss=float("inf"), start_loss=2.3,
                          cause="data", suggested_lr=None, restored_step=39)
    back = pickle.loads(pickle.dumps(err))
    assert str(back) == "diverged" and isinstance(back, ValueError)
    assert (back.epoch, back.step, back.loss, back.start_loss, back.cause, back.suggested_lr,
            back.restored_step) == (2, 40, float("inf"), 2.3, "data", None, 39)


def test_checking_a_float_data_set_makes_no_full_size_temporary():
    """check_images promises to check the whole set without copying it: NaN and range in chunks."""
    import tracemalloc

    from backproplab.core.validation import check_images

    X = np.random.default_rng(0).random((16384, 784), dtype=np.float32)  # 51 MB
    tracemalloc.start()
    try:
        assert check_images(X, 784) is X
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 3, f"{peak / 2**20:.0f} MiB for a {X.nbytes / 2**20:.0f} MiB set"
