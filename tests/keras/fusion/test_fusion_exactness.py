"""Fused training equals each model trained alone with model.fit, copy by copy."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from tftune.keras._fusion import FusedPack

optimizers = keras.optimizers
SCHEDULE = optimizers.schedules.ExponentialDecay(1e-2, decay_steps=2, decay_rate=0.9)
OPTIMIZERS = {
    "adam": lambda: [
        optimizers.Adam(1e-3),
        optimizers.Adam(3e-3, beta_1=0.8),
        optimizers.Adam(1e-2, beta_2=0.99, epsilon=1e-5),
        optimizers.Adam(SCHEDULE),
    ],
    "sgd": lambda: [
        optimizers.SGD(0.05, momentum=0.9),
        optimizers.SGD(0.1),
        optimizers.SGD(0.02, momentum=0.5, nesterov=True),
        optimizers.SGD(0.05, clipvalue=0.05),
    ],
    "rmsprop": lambda: [
        optimizers.RMSprop(1e-3),
        optimizers.RMSprop(3e-3, rho=0.8, momentum=0.5),
        optimizers.RMSprop(1e-3, centered=True),
        optimizers.RMSprop(2e-3, global_clipnorm=0.5),
    ],
    "adamw": lambda: [
        optimizers.AdamW(1e-3, weight_decay=0.01),
        optimizers.AdamW(3e-3, weight_decay=0.1, clipnorm=0.5),
        optimizers.AdamW(1e-2, weight_decay=0.0),
        optimizers.AdamW(1e-3, global_clipnorm=0.3),
    ],
}
UNITS = [4, 8, 16, 3]
L2 = [0.0, 1e-3, 1e-2, 0.0]
EPOCHS = 2


def assert_weights_equal(model_a: keras.Model, model_b: keras.Model) -> None:
    for a, b in zip(model_a.get_weights(), model_b.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("kind", "norm"),
    [
        ("adam", None),
        ("adam", "bn"),
        ("adam", "ln"),
        ("sgd", "bn"),
        ("rmsprop", None),
        ("adamw", "ln"),
    ],
)
def test_fused_training_matches_standalone_fit(cancer, builder, make_twin, kind, norm):
    x, y, xv, yv = cancer
    models = [
        builder(u, opt, norm=norm, l2=l2, seed=i)
        for i, (u, opt, l2) in enumerate(zip(UNITS, OPTIMIZERS[kind](), L2, strict=True))
    ]
    alone = [
        make_twin(m, opt, norm=norm, l2=l2)
        for m, opt, l2 in zip(models, OPTIMIZERS[kind](), L2, strict=True)
    ]

    pack = FusedPack(models, seed=0)
    fused_logs = [pack.fit_epoch(x, y, batch_size=32, shuffle=False) for _ in range(EPOCHS)]
    fused_val = pack.evaluate(xv, yv, batch_size=32)
    pack.write_back()

    for k, model in enumerate(alone):
        history = model.fit(x, y, batch_size=32, epochs=EPOCHS, shuffle=False, verbose=0).history
        assert set(history) == set(fused_logs[0][k])
        for epoch in range(EPOCHS):
            for name, values in history.items():
                np.testing.assert_allclose(
                    fused_logs[epoch][k][name],
                    values[epoch],
                    rtol=1e-4,
                    atol=1e-5,
                    err_msg=f"{name} copy {k}",
                )
        if k == 0:
            expected_val = model.evaluate(xv, yv, batch_size=32, verbose=0, return_dict=True)
            for name, value in expected_val.items():
                np.testing.assert_allclose(fused_val[k][name], value, rtol=1e-4, atol=1e-5)
        assert_weights_equal(models[k], model)
        assert int(models[k].optimizer.iterations) == int(model.optimizer.iterations)


@pytest.mark.parametrize(
    ("loss", "metrics", "targets"),
    [
        ("sparse_categorical_crossentropy", ["accuracy"], "labels"),
        ("categorical_crossentropy", ["accuracy", "categorical_accuracy"], "one_hot"),
        ("mse", ["mae"], "one_hot"),
    ],
)
def test_multiclass_flatten_models_match_standalone_fit(loss, metrics, targets):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(90, 5, 6)).astype("float32")
    labels = (x[:, 0, :3].sum(axis=1) > 0).astype(int) + (x[:, 1, 0] > 0.5)
    y = labels if targets == "labels" else np.eye(3)[labels]

    def build(units, activation, learning_rate):
        keras.utils.set_random_seed(units)
        model = keras.Sequential(
            [
                keras.Input((5, 6)),
                keras.layers.Flatten(),
                keras.layers.Dense(units, activation=activation),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(
            optimizer=optimizers.SGD(learning_rate, momentum=0.8), loss=loss, metrics=metrics
        )
        return model

    configs = [(12, "tanh", 0.05), (5, "relu", 0.1), (7, "softmax", 0.2)]
    models = [build(*c) for c in configs]
    alone = [build(*c) for c in configs]
    pack = FusedPack(models, seed=0)
    logs = [pack.fit_epoch(x, y, batch_size=20, shuffle=False) for _ in range(2)]
    pack.write_back()
    for k, model in enumerate(alone):
        history = model.fit(x, y, batch_size=20, epochs=2, shuffle=False, verbose=0).history
        assert set(history) == set(logs[0][k])
        for name, values in history.items():
            np.testing.assert_allclose(
                [log[k][name] for log in logs], values, rtol=1e-4, atol=1e-5, err_msg=name
            )
        assert_weights_equal(models[k], model)
