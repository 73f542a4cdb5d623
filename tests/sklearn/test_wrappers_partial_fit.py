"""KerasClassifier/KerasRegressor.partial_fit: one epoch a call, on the same model, so that
StudySearchCV(enable_pruning=True) can prune Keras candidates epoch by epoch."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tftune
from tftune.sklearn import KerasClassifier, KerasRegressor, StudySearchCV
from tftune.trial import TrialState


def tiny_classifier(n_classes, learning_rate=0.05):
    model = keras.Sequential(
        [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(n_classes, "softmax")]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def tiny_regressor():
    return keras.Sequential([keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(c, 0.5, (20, 2)) for c in (-2.0, 0.0, 2.0)]).astype("float32")
    y = np.array(["a"] * 20 + ["b"] * 20 + ["c"] * 20)
    return x, y


def test_each_call_trains_one_more_epoch_of_the_same_model(blobs):
    x, y = blobs
    classifier = KerasClassifier(tiny_classifier, epochs=50, random_state=0)
    classifier.partial_fit(x[:30], y[:30], classes=["a", "b", "c"])
    model = classifier.model_
    before = [w.copy() for w in model.get_weights()]
    classifier.partial_fit(x, y)
    assert classifier.model_ is model
    assert len(classifier.history_["loss"]) == 2  # one epoch each, not `epochs`
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert list(classifier.classes_) == ["a", "b", "c"]
    assert set(classifier.predict(x)) <= {"a", "b", "c"}


def test_labels_outside_the_first_calls_classes_are_refused(blobs):
    x, y = blobs
    classifier = KerasClassifier(tiny_classifier, random_state=0)
    classifier.partial_fit(x[:40], y[:40])  # sees "a" and "b" only
    with pytest.raises(ValueError, match=r"`y` has labels \['c'\] that are not in classes_"):
        classifier.partial_fit(x, y)
    with pytest.raises(ValueError, match=r"features"):
        classifier.partial_fit(np.hstack([x, x]), y)


def test_regressor_partial_fit_continues(blobs):
    x, _ = blobs
    target = x[:, 0] * 2.0
    regressor = KerasRegressor(tiny_regressor, random_state=0, optimizer__learning_rate=0.05)
    for _ in range(3):
        regressor.partial_fit(x, target)
    assert len(regressor.history_["loss"]) == 3
    assert regressor.history_["loss"][-1] < regressor.history_["loss"][0]
    assert regressor.predict(x).shape == (60,)


def test_pruned_keras_search_stops_a_hopeless_learning_rate_early(blobs):
    x, y = blobs
    study = tftune.create_study(
        direction="maximize",
        sampler=tftune.samplers.GridSampler({"learning_rate": [0.05, 0.0]}, seed=0),
        pruner=tftune.pruners.ThresholdPruner(lower=0.5, n_warmup_steps=1),
    )
    search = StudySearchCV(
        KerasClassifier(tiny_classifier, n_classes=3, random_state=0, batch_size=8),
        {"learning_rate": [0.05, 0.0]},
        n_trials=2,
        cv=2,
        study=study,
        enable_pruning=True,
        max_iter=4,
    ).fit(x, y)
    by_rate = {t.params["learning_rate"]: t for t in study.trials}
    assert by_rate[0.0].state == TrialState.PRUNED  # a zero learning rate never learns
    assert sorted(by_rate[0.0].intermediate_values) == [0, 1]
    assert by_rate[0.05].state == TrialState.COMPLETE
    assert sorted(by_rate[0.05].intermediate_values) == [0, 1, 2, 3]
    assert search.best_params_ == {"learning_rate": 0.05}
