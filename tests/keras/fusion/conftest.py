"""Shared data and model builders for the fused-training tests."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest


@pytest.fixture(scope="session")
def cancer() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """120 training and 80 validation rows of the standardized breast cancer data."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    rows = np.random.default_rng(0).choice(len(x), 200, replace=False)
    x = StandardScaler().fit_transform(x[rows]).astype("float32")
    y = y[rows]
    return x[:120], y[:120], x[120:], y[120:]


def build_model(
    units: int,
    optimizer: keras.optimizers.Optimizer,
    *,
    norm: str | None = None,
    dropout: float = 0.0,
    l2: float = 0.0,
    seed: int = 0,
) -> keras.Model:
    """Dense(units, relu) [-> BN | LN] -> Dropout -> Dense(1, sigmoid), compiled with accuracy
    and mae."""
    keras.utils.set_random_seed(seed)
    layers = [
        keras.Input((30,)),
        keras.layers.Dense(
            units, activation="relu", kernel_regularizer=keras.regularizers.L2(l2) if l2 else None
        ),
    ]
    if norm == "bn":
        layers.append(keras.layers.BatchNormalization(momentum=0.9))
    if norm == "ln":
        layers.append(keras.layers.LayerNormalization())
    layers += [keras.layers.Dropout(dropout), keras.layers.Dense(1, activation="sigmoid")]
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy", "mae"])
    return model


def twin(model: keras.Model, optimizer: keras.optimizers.Optimizer, **kwargs) -> keras.Model:
    """A standalone copy of ``model`` with the same initial weights and a fresh optimizer."""
    other = build_model(model.layers[0].units, optimizer, **kwargs)
    other.set_weights(model.get_weights())
    return other


@pytest.fixture
def builder() -> Callable[..., keras.Model]:
    return build_model


@pytest.fixture
def make_twin() -> Callable[..., keras.Model]:
    return twin
