"""The best trial's weights stay on disk: ties finished out of order, and a crash before a tell."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pytest

from tftune.keras import Tuner
from tftune.trial import TrialState


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    rows = np.random.default_rng(0).choice(len(x), 200, replace=False)
    x = StandardScaler().fit_transform(x[rows]).astype("float32")
    y = y[rows].astype("float32")
    return x[:150], y[:150], x[150:], y[150:]


def constant_output(trial):
    """Wide (#0-#3) or narrow (#4-#7) hidden layer, a zero output layer and no learning: every
    trial predicts 0.5 everywhere, so all val_accuracy values tie."""
    units = 1024 if trial.number < 4 else 2
    trial.suggest_int("units", units, units)
    model = keras.Sequential(
        [
            keras.layers.Dense(units, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros"),
        ]
    )
    model.compile(keras.optimizers.SGD(0.0), "binary_crossentropy", metrics=["accuracy"])
    return model


def weight_files(tuner):
    return sorted(p.name for p in tuner.project_dir.glob("trial_*.weights.h5"))


def test_tied_trials_finished_out_of_order_keep_the_best_trials_weights(tmp_path, data, caplog):
    x, y, xv, yv = data
    with Tuner(
        constant_output, objective="val_accuracy", directory=tmp_path, pack_size=8
    ) as tuner:
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=1, n_trials=8, batch_size=512)
        packs = [r.message for r in caplog.records if "as one pack" in r.message]
        # the narrow half trains (and finishes) first: the width split is this test's premise
        assert packs == [
            "Training trials #4-#7 as one pack of 4.",
            "Training trials #0-#3 as one pack of 4.",
        ]
        trials = tuner.study.trials
        assert len({t.value for t in trials}) == 1
        assert tuner.best_trial.number == 0  # ties go to the earliest trial
        assert weight_files(tuner) == ["trial_0.weights.h5"]
        model = tuner.best_model()
        assert model.layers[0].units == 1024


def test_a_crash_between_saving_a_new_best_and_its_tell_keeps_the_previous_best(
    tmp_path, data, monkeypatch
):
    x, y, xv, yv = data

    def build(trial):
        model = keras.Sequential(
            [keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1, activation="sigmoid")]
        )
        rate = trial.suggest_float("lr", 1e-6, 1e-1, log=True)
        model.compile(keras.optimizers.Adam(rate), "binary_crossentropy", metrics=["accuracy"])
        return model

    # two packs of two: a pack tells its best copy first, so the second pack's best is a new
    # best saved while the first pack's best is already told
    with Tuner(build, objective="val_loss", directory=tmp_path, pack_size=2) as tuner:
        for rate in (1e-6, 1e-5, 1e-3, 1e-1):  # each better than the one before it
            tuner.study.enqueue_trial({"lr": rate})
        real_tell = tuner.study.tell
        crashed = []

        def tell_or_crash(trial, values=None, state=None):
            told = tuner.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if not crashed and "weights_path" in trial.user_attrs and told:
                crashed.append(trial.number)  # a kill between saving a new best and its tell
                raise KeyboardInterrupt
            return real_tell(trial, values, state=state)

        monkeypatch.setattr(tuner.study, "tell", tell_or_crash)
        with pytest.raises(KeyboardInterrupt):
            tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=4)
        monkeypatch.undo()
        assert crashed, "no trial saved a second best: the test's premise failed"
        best = tuner.best_trial
        assert best.number < crashed[0]
        model = tuner.best_model()
        loss = model.evaluate(xv, yv, verbose=0)[0]
        assert loss == pytest.approx(best.value, rel=1e-4)
        assert tuner.study.trials[crashed[0]].state == TrialState.FAIL


def test_keep_best_keeps_the_files_of_the_k_best_trials(tmp_path, data):
    x, y, xv, yv = data

    def build(trial):
        model = keras.Sequential([keras.layers.Dense(trial.suggest_int("units", 1, 8))])
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy")
        return model

    tuner = Tuner(build, objective="val_loss", directory=tmp_path, keep_best=3, fuse=False)
    tuner.search(x, y, validation_data=(xv, yv), n_trials=6)
    complete = sorted(tuner.study.trials, key=lambda t: (t.value, t.number))
    kept = sorted(int(p.name.split("_")[1].split(".")[0]) for p in tuner.project_dir.glob("*.h5"))
    assert kept == sorted(t.number for t in complete[:3])
    with pytest.raises(ValueError, match=r"`keep` must be a positive int, got 0"):
        Tuner(build, objective="val_loss", directory=tmp_path, project_name="b", keep_best=0)
