"""The network trained in a few seconds: it reads MNIST, and the session keeps one."""

import numpy as np

from backproplab.core import evaluate
from backproplab.core.pretrained import quick_train, session_net


def test_quick_train_learns_and_is_deterministic(mnist_small):
    d = mnist_small
    a = quick_train(d.x_train, d.y_train, epochs=1)
    b = quick_train(d.x_train, d.y_train, epochs=1)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_array_equal(wa, wb)
    assert evaluate(a, d.x_test, d.y_test).accuracy > 0.8  # untrained: about 0.1


def test_session_net_trains_once_and_hands_out_copies(mnist_dir):
    from backproplab.core.pretrained import _trained_on_mnist

    before = _trained_on_mnist.cache_info()
    first = session_net(data_dir=mnist_dir, epochs=1)
    second = session_net(data_dir=mnist_dir, epochs=1)
    assert first is not second
    first.weights[0][:] = 0  # changing one copy leaves the session's network alone
    third = session_net(data_dir=mnist_dir, epochs=1)
    np.testing.assert_array_equal(third.weights[1], second.weights[1])
    assert np.abs(third.weights[0]).max() > 0
    after = _trained_on_mnist.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 2  # trained at most once
