"""Convolution and pooling layers: fused training equals each model trained alone; blockers."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest

from tftune.keras._fusion import FusedPack, fusion_blocker

optimizers = keras.optimizers
L = keras.layers
EPOCHS = 2


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray, np.ndarray]:
    """96 scikit-learn digits as (96, 8, 8) images scaled to [0, 1], and their labels."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    return (images[:96] / 16.0).astype("float32").reshape(-1, 8, 8), labels[:96]


def assert_matches_standalone(
    build: Callable[..., keras.Model], configs: list[tuple], x: np.ndarray, y: np.ndarray
) -> None:
    """Train ``build(*config)`` fused and alone (same seed, same initial weights); logs and
    weights agree.

    Where the device has grouped-convolution gradients, the per-copy convolution is one grouped
    convolution whose float32 sums are ordered differently from a single-model convolution; over
    two epochs that stays within the suite's rtol 1e-4 / atol 1e-5.
    """
    models = [build(*config) for config in configs]
    alone = [build(*config) for config in configs]
    pack = FusedPack(models, seed=0)
    fused_logs = [pack.fit_epoch(x, y, batch_size=32, shuffle=False) for _ in range(EPOCHS)]
    fused_eval = pack.evaluate(x, y, batch_size=32)
    pack.write_back()
    for k, model in enumerate(alone):
        history = model.fit(x, y, batch_size=32, epochs=EPOCHS, shuffle=False, verbose=0).history
        assert set(history) == set(fused_logs[0][k])
        for name, values in history.items():
            np.testing.assert_allclose(
                [log[k][name] for log in fused_logs],
                values,
                rtol=1e-4,
                atol=1e-5,
                err_msg=f"{name} copy {k}",
            )
        expected = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
        for name, value in expected.items():
            np.testing.assert_allclose(
                fused_eval[k][name], value, rtol=1e-4, atol=1e-5, err_msg=f"eval {name} copy {k}"
            )
        for a, b in zip(models[k].get_weights(), model.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def compiled(
    layers: Callable[[], list], optimizer: keras.optimizers.Optimizer, seed: int
) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(layers())
    model.compile(
        optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


def test_conv2d_maxpool_flatten_dense_with_differing_filters(digits):
    x, y = digits

    def build(filters, second, rate, l2):
        return compiled(
            lambda: [
                keras.Input((8, 8, 1)),
                L.Conv2D(
                    filters,
                    3,
                    padding="same",
                    activation="relu",
                    kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
                ),
                L.MaxPooling2D(),
                L.Conv2D(second, 2, dilation_rate=2, activation="tanh", use_bias=second != 5),
                L.Flatten(),
                L.Dense(10, activation="softmax"),
            ],
            optimizers.Adam(rate),
            filters,
        )

    configs = [(4, 6, 1e-2, 0.0), (6, 3, 3e-3, 1e-3), (3, 5, 2e-2, 0.0)]
    assert_matches_standalone(build, configs, x[..., None], y)


def test_conv1d_global_average_pooling_dense(digits):
    x, y = digits

    def build(filters, second, rate):
        return compiled(
            lambda: [
                keras.Input((8, 8)),
                L.Conv1D(filters, 3, padding="same", activation="relu"),
                L.Conv1D(
                    second,
                    3,
                    strides=2,
                    activation="elu",
                    bias_regularizer=keras.regularizers.L1(1e-3),
                ),
                L.GlobalAveragePooling1D(),
                L.Dense(10, activation="softmax"),
            ],
            optimizers.SGD(rate, momentum=0.9),
            filters,
        )

    assert_matches_standalone(build, [(5, 4, 0.05), (8, 8, 0.1), (3, 6, 0.02), (8, 2, 0.05)], x, y)


def test_conv2d_batch_normalization_and_pooling(digits):
    x, y = digits

    def build(filters, second, rate):
        return compiled(
            lambda: [
                keras.Input((8, 8, 1)),
                # no bias before BatchNormalization: its true gradient is zero, so RMSprop
                # would amplify rounding noise
                L.Conv2D(filters, 3, padding="same", use_bias=False),
                L.BatchNormalization(momentum=0.8),
                L.Activation("relu"),
                L.AveragePooling2D(2, strides=1, padding="same"),
                L.Conv2D(second, 3, strides=2, padding="same", activation="relu"),
                L.BatchNormalization(),
                L.GlobalMaxPooling2D(),
                L.Dense(10, activation="softmax"),
            ],
            optimizers.RMSprop(rate),
            filters,
        )

    assert_matches_standalone(build, [(4, 6, 1e-3), (7, 3, 3e-3), (5, 5, 2e-3)], x[..., None], y)


def test_conv1d_pooling_then_flatten(digits):
    x, y = digits

    def build(filters, rate):
        return compiled(
            lambda: [
                keras.Input((8, 8)),
                L.AveragePooling1D(2, strides=1),
                L.Conv1D(filters, 2, activation="sigmoid"),
                L.MaxPooling1D(3, strides=2, padding="same"),
                L.GlobalMaxPooling1D(keepdims=True),
                L.Flatten(),
                L.Dense(10, activation="softmax"),
            ],
            optimizers.AdamW(rate, weight_decay=0.05),
            filters,
        )

    assert_matches_standalone(build, [(3, 1e-2), (6, 5e-3), (2, 2e-2)], x, y)


def test_flatten_after_differing_dense_widths(digits):
    x, y = digits

    def build(units, rate):
        return compiled(
            lambda: [
                keras.Input((8, 8)),
                L.Dense(units, activation="relu"),
                L.Flatten(),
                L.Dense(10, activation="softmax"),
            ],
            optimizers.Adam(rate),
            units,
        )

    assert_matches_standalone(build, [(3, 1e-2), (5, 3e-3), (2, 2e-2)], x, y)


def doubled(t):
    """A custom (non-Keras) activation."""
    return 2 * t


def conv_model(*layers) -> keras.Model:
    model = keras.Sequential([keras.Input((8, 8, 2)), *layers, L.Flatten(), L.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            L.MaxPooling2D(2),
            L.MaxPooling2D(3),
            "layer 0 of copy 1 uses pool_size (3, 3), copy 0 (2, 2)",
        ),
        (
            L.AveragePooling2D(2),
            L.AveragePooling2D(2, strides=1),
            "layer 0 of copy 1 uses strides (1, 1), copy 0 (2, 2)",
        ),
        (
            L.MaxPooling2D(2),
            L.MaxPooling2D(2, padding="same"),
            "layer 0 of copy 1 uses padding same, copy 0 valid",
        ),
        (
            L.Conv2D(4, 3),
            L.Conv2D(4, 5),
            "layer 0 of copy 1 uses kernel_size (5, 5), copy 0 (3, 3)",
        ),
        (
            L.Conv2D(4, 3),
            L.Conv2D(4, 3, strides=2),
            "layer 0 of copy 1 uses strides (2, 2), copy 0 (1, 1)",
        ),
        (
            L.Conv2D(4, 3),
            L.Conv2D(4, 3, dilation_rate=2),
            "layer 0 of copy 1 uses dilation_rate (2, 2), copy 0 (1, 1)",
        ),
        (L.Conv2D(4, 3), L.Conv2D(4, 3, groups=2), "layer 0 of copy 1 uses groups=2"),
        (
            L.Conv2D(4, 3),
            L.Conv2D(4, 3, activation=doubled),
            "layer 0 of copy 1 uses a custom activation",
        ),
        (
            L.Conv2D(4, 3),
            L.Conv2D(4, 3, kernel_constraint="non_neg"),
            "layer 0 of copy 1 has a weight constraint",
        ),
        (
            L.Conv2D(4, 3),
            L.SeparableConv2D(4, 3),
            "layer 0 of copy 1 is SeparableConv2D, which fusion does not support",
        ),
    ],
)
def test_spatial_blockers(first, second, message):
    models = [conv_model(first), conv_model(second)]
    assert fusion_blocker(models) == message
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FusedPack(models)


def test_channels_first_and_causal_padding_are_blocked():
    channels_first = conv_model(L.Conv2D(4, 1, data_format="channels_first"))
    assert (
        fusion_blocker([channels_first])
        == "layer 0 of copy 0 uses data_format channels_first, only channels_last fuses"
    )
    pooled = conv_model(L.MaxPooling2D(data_format="channels_first"))
    assert (
        fusion_blocker([pooled])
        == "layer 0 of copy 0 uses data_format channels_first, only channels_last fuses"
    )
    causal = keras.Sequential(
        [keras.Input((8, 3)), L.Conv1D(4, 3, padding="causal"), L.GlobalMaxPooling1D(), L.Dense(1)]
    )
    causal.compile(optimizer="adam", loss="mse")
    assert fusion_blocker([causal]) == "layer 0 of copy 0 uses padding 'causal'"


def test_global_pooling_keepdims_must_match():
    models = [
        conv_model(L.Conv2D(3, 3), L.GlobalAveragePooling2D(keepdims=keepdims))
        for keepdims in (True, False)
    ]
    assert fusion_blocker(models) == "layer 1 of copy 1 uses keepdims False, copy 0 True"
