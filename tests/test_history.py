"""The run history: curve points as moving averages, one entry per epoch."""

import numpy as np
import pytest

from backproplab import MLP, Trainer
from backproplab.core.history import History
from backproplab.core.training import Progress


def record(step, loss, acc, *, steps_per_epoch=100, epoch_end=False, test=None):
    epoch = (step - 1) // steps_per_epoch + 1
    return Progress(epoch, step, steps_per_epoch, loss, loss, 0.1, acc, acc, step * 10, step * 0.01,
                    epoch_end=epoch_end, epoch_seconds=1.0 if epoch_end else None,
                    test_accuracy=test)


def test_curve_points_are_moving_averages_without_epoch_jumps():
    history = History(points_per_epoch=10)
    for step in range(1, 201):
        history.add(record(step, 1.0, 0.5, epoch_end=step % 100 == 0, test=0.9 if step % 100 == 0 else None))
    assert len(history.steps) == 20 and history.steps[-1] == 2.0
    assert history.train_loss == pytest.approx([1.0] * 20)  # a constant stays constant across epochs
    assert [e["epoch"] for e in history.epochs] == [1, 2]
    assert history.test_steps == [1.0, 2.0] and history.test_accuracy == [0.9, 0.9]


def test_moving_average_follows_a_change_within_an_epoch_and_smooths_noise():
    history = History(points_per_epoch=10)
    for step in range(1, 201):
        history.add(record(step, 2.0 if step <= 100 else 0.0, float(step % 2)))  # accuracy flips 0/1
    assert history.train_loss[9] == pytest.approx(2.0)  # step 100
    assert history.train_loss[-1] < 0.05  # a whole epoch later the old level is gone
    assert all(0.4 < a < 0.6 for a in history.train_accuracy[5:])  # 0/1 noise averages out


def test_to_dict_from_a_real_run(mnist_small):
    x, y, xt, yt = mnist_small
    history = History()
    for r in Trainer(MLP(), epochs=2, confusion=True).run(x[:640], y[:640], xt, yt):
        history.add(r)
    d = history.to_dict()
    assert d["test_accuracy"] == history.epochs[-1]["test_accuracy"]
    assert len(d["seconds_per_epoch"]) == 2 and np.array(d["confusion_matrix"]).sum() == len(yt)
