"""Offline data for the keras.io tutorials: scikit-learn's bundled digits instead of MNIST."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="session")
def digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``x_train, y_train, x_val, y_val``: 8x8 digit images in [0, 1], one-hot labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype("float32")
    y = np.eye(10, dtype="float32")[data.target]
    return x[:600], y[:600], x[1500:], y[1500:]


@pytest.fixture(scope="session")
def mnist_like() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-shaped digits: each 8x8 image scaled 3x and padded to 28x28 (one-hot labels)."""
    from sklearn.datasets import load_digits

    data = load_digits()
    images = np.kron(data.images / 16.0, np.ones((3, 3)))
    x = np.pad(images, ((0, 0), (2, 2), (2, 2))).astype("float32")
    y = np.eye(10, dtype="float32")[data.target]
    return x[:400], y[:400], x[1600:], y[1600:]
