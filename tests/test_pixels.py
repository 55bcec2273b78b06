"""One pixel rule everywhere: the loader's floats equal what the network makes of uint8."""

import numpy as np

from backproplab import MLP
from backproplab.core.pixels import pixels_to_unit


def test_uint8_pixels_scale_to_unit_range():
    raw = np.array([[0, 51, 255]], dtype=np.uint8)
    out = pixels_to_unit(raw, np.float32)
    assert out.dtype == np.float32 and out.tolist() == [[0.0, np.float32(51) / np.float32(255), 1.0]]
    buffer = np.empty((1, 3), np.float64)
    assert pixels_to_unit(raw, np.float64, out=buffer) is buffer
    floats = np.array([[0.5, 2.0]])
    np.testing.assert_array_equal(pixels_to_unit(floats, np.float32), floats)  # floats are not scaled


def test_loader_floats_and_uint8_give_the_same_network_output(mnist_dir):
    from backproplab.data import load_mnist

    u8 = load_mnist(data_dir=mnist_dir, n_train=10, n_test=20, dtype=np.uint8).x_test
    f32 = load_mnist(data_dir=mnist_dir, n_train=10, n_test=20).x_test
    np.testing.assert_array_equal(pixels_to_unit(u8, np.float32), f32)
    net = MLP()
    np.testing.assert_array_equal(net.predict_proba(u8), net.predict_proba(f32))
