"""fusion_blocker names the first reason a set of compiled models cannot train as one pack."""

from __future__ import annotations

import keras
import pytest

from tftune.keras._fusion import FusedPack, fusion_blocker

optimizers = keras.optimizers


def test_compatible_models_have_no_blocker(builder):
    models = [
        builder(4, optimizers.Adam(1e-3), norm="bn"),
        builder(32, optimizers.Adam(1e-2), norm="bn", dropout=0.5),
    ]
    assert fusion_blocker(models) is None


def test_functional_chain_fuses_and_branching_does_not(builder):
    inputs = keras.Input((30,))
    hidden = keras.layers.Dense(8, activation="tanh")(inputs)
    chain = keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(hidden))
    branched = keras.Model(
        inputs, keras.layers.Dense(1, activation="sigmoid")(keras.layers.Add()([hidden, hidden]))
    )
    for model in (chain, branched):
        model.compile(optimizer=optimizers.Adam(), loss="binary_crossentropy")
    assert fusion_blocker([chain, chain]) is None
    assert "layer" in fusion_blocker([branched])


def test_different_optimizer_types(builder):
    models = [builder(4, optimizers.Adam()), builder(4, optimizers.SGD())]
    assert fusion_blocker(models) == "copy 1 uses SGD, copy 0 Adam"
    with pytest.raises(ValueError, match="copy 1 uses SGD, copy 0 Adam"):
        FusedPack(models)


def test_unsupported_layer():
    flat = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(1)])
    recurrent = keras.Sequential([keras.layers.LSTM(4), keras.layers.Dense(1)])
    for model in (flat, recurrent):
        model.compile(optimizer="adam", loss="mse")
    with pytest.raises(
        ValueError, match="layer 0 of copy 1 is LSTM, which fusion does not support"
    ):
        FusedPack([flat, recurrent], input_shape=(5, 3))
    assert flat.built and recurrent.built


def test_different_layer_counts(builder):
    # (chains that differ only by Dense and Dropout layers align: test_fusion_depth.py)
    deeper = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(4),
            keras.layers.LayerNormalization(),
            keras.layers.Dense(4),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    deeper.compile(optimizer=optimizers.Adam(), loss="binary_crossentropy")
    with pytest.raises(
        ValueError, match="copy 1 has 4 layers, copy 0 has 3, and they do not align: copy 1: "
    ):
        FusedPack([builder(4, optimizers.Adam()), deeper])


def test_unsupported_metric(builder):
    model = builder(4, optimizers.Adam())
    model.compile(
        optimizer=optimizers.Adam(),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC()],
    )
    with pytest.raises(ValueError, match="copy 0: metric auc .*AUC.* is not supported"):
        FusedPack([model, builder(4, optimizers.Adam())])


def test_different_losses(builder):
    other = builder(4, optimizers.Adam())
    other.compile(optimizer=optimizers.Adam(), loss="mse", metrics=["accuracy", "mae"])
    with pytest.raises(
        ValueError, match="copy 1 uses loss .*mean_squared_error.*, copy 0 .*binary_crossentropy"
    ):
        FusedPack([builder(4, optimizers.Adam()), other])


def test_unsupported_optimizer_option(builder):
    with pytest.raises(ValueError, match="copy 0's optimizer uses amsgrad"):
        FusedPack([builder(4, optimizers.Adam(amsgrad=True))])
