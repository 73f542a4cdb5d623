"""distribution_strategy=: every trial's model is built and compiled in the strategy's scope
(keras.io's "Distributed hyperparameter tuning" pattern), and trials run one at a time."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

import tftune.keras_tuner as kt


def test_models_are_built_in_the_strategys_scope(tmp_path):
    strategy = tf.distribute.MirroredStrategy()
    seen = []

    def build_model(hp):
        seen.append(tf.distribute.get_strategy())
        model = keras.Sequential(
            [
                keras.layers.Dense(hp.Int("units", 4, 8, step=4), activation="relu"),
                keras.layers.Dense(3, activation="softmax"),
            ]
        )
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = rng.integers(0, 3, size=48)
    tuner = kt.RandomSearch(
        build_model,
        objective="val_accuracy",
        max_trials=2,
        distribution_strategy=strategy,
        directory=tmp_path,
        project_name="mirrored",
        seed=0,
    )
    assert tuner.distribution_strategy is strategy
    seen.clear()  # the space was discovered outside any search
    tuner.search(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert len(seen) == 2 and all(s is strategy for s in seen)
    assert [t.state.name for t in tuner.study.trials] == ["COMPLETE", "COMPLETE"]
    best = tuner.get_best_models(1)[0]
    assert seen[-1] is strategy and len(seen) == 3
    assert best.predict(x[:2], verbose=0).shape == (2, 3)
