"""optuna.integration: the Keras pruning callbacks (real Keras 3) and OptunaSearchCV."""

from __future__ import annotations

import numpy as np
import pytest

import tftune as optuna
from tftune.trial import TrialState


def _fit(callback_class, study, epochs=3, monitor="val_loss", **kwargs):
    import keras

    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")

    def objective(trial):
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        history = model.fit(
            x,
            y,
            validation_split=0.25,
            epochs=epochs,
            verbose=0,
            callbacks=[callback_class(trial, monitor, **kwargs)],
        )
        return history.history["val_loss"][-1]

    study.optimize(objective, n_trials=1)
    return study.trials[-1]


def test_tfkeras_pruning_callback_reports_every_epoch():
    from tftune.integration import TFKerasPruningCallback

    trial = _fit(TFKerasPruningCallback, optuna.create_study())
    assert trial.state == TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [0, 1, 2]


def test_keras_pruning_callback_prunes_and_honours_interval():
    from tftune.integration import KerasPruningCallback

    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=-1.0))
    trial = _fit(KerasPruningCallback, study, epochs=4, interval=2)
    assert trial.state == TrialState.PRUNED
    assert list(trial.intermediate_values) == [1]  # epoch index 1, the first of interval 2


def test_a_missing_metric_warns_and_does_not_prune():
    from tftune.integration import KerasPruningCallback

    with pytest.warns(UserWarning, match="'val_accuracy' is not in the training logs"):
        trial = _fit(KerasPruningCallback, optuna.create_study(), epochs=1, monitor="val_accuracy")
    assert trial.state == TrialState.COMPLETE and trial.intermediate_values == {}


def test_optuna_search_cv_is_study_search_cv():
    from tftune.integration import OptunaSearchCV
    from tftune.sklearn import StudySearchCV

    assert OptunaSearchCV is StudySearchCV
    from sklearn.linear_model import LogisticRegression

    x = np.random.default_rng(0).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    search = OptunaSearchCV(
        LogisticRegression(),
        {"C": optuna.distributions.FloatDistribution(1e-2, 10, log=True)},
        n_trials=3,
        cv=2,
        random_state=0,
    ).fit(x, y)
    assert 1e-2 <= search.best_params_["C"] <= 10
    assert len(search.study_.trials) == 3


def test_unknown_integration_name():
    with pytest.raises(AttributeError, match="LightGBMPruningCallback"):
        _ = optuna.integration.LightGBMPruningCallback
