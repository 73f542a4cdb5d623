"""tftune.keras.Tuner training trials in packs (fused models) and falling back to one at a time."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import keras
import tftune
from tftune.keras import Tuner
from tftune.pruners._successive_halving import RESUME_OF_KEY
from tftune.trial import TrialState


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(x), 200, replace=False)
    x = StandardScaler().fit_transform(x[rows]).astype("float32")
    y = y[rows].astype("float32")
    return x[:150], y[:150], x[150:], y[150:]


def build(trial, dropout=True):
    layers = [keras.layers.Dense(trial.suggest_int("units", 4, 16), activation="relu")]
    if dropout:
        layers.append(keras.layers.Dropout(trial.suggest_float("dropout", 0.0, 0.3)))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(
        keras.optimizers.Adam(trial.suggest_float("lr", 1e-3, 1e-1, log=True)),
        "binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def test_trials_train_in_packs_and_each_reports_its_own_epochs(tmp_path, data, caplog):
    x, y, xv, yv = data
    with Tuner(
        build, objective="val_loss", directory=tmp_path, project_name="p", pack_size=3
    ) as tuner:
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=3, n_trials=6, batch_size=32)
        assert tuner.packing_note is None
        assert sum("as one pack of 3" in r.message for r in caplog.records) == 2
        trials = tuner.study.trials
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 6
        for trial in trials:
            history = trial.user_attrs["history"]
            assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
            assert all(len(values) == 3 for values in history.values())
            assert trial.intermediate_values == {
                i: pytest.approx(v) for i, v in enumerate(history["val_loss"])
            }
            assert trial.value == pytest.approx(history["val_loss"][-1])
        assert (
            len({t.value for t in trials}) == 6
        )  # each copy trained with its own hyperparameters
        best = tuner.best_model()
        loss, _ = best.evaluate(xv, yv, verbose=0)
        assert loss == pytest.approx(tuner.best_trial.value, rel=1e-4)


def test_a_packed_trial_ends_where_the_same_trial_trained_alone_ends(tmp_path, data):
    x, y, xv, yv = data
    values = {}
    for fuse in (True, False):
        with Tuner(
            lambda t: build(t, dropout=False),
            objective="val_loss",
            directory=tmp_path,
            project_name=f"fuse_{fuse}",
            sampler=tftune.samplers.RandomSampler(seed=3),
            fuse=fuse,
        ) as tuner:
            tuner.search(
                x, y, validation_data=(xv, yv), epochs=3, n_trials=4, batch_size=50, shuffle=False
            )
            values[fuse] = [(t.params, t.value) for t in tuner.study.trials]
    for (packed_params, packed), (alone_params, alone) in zip(
        values[True], values[False], strict=True
    ):
        assert packed_params == alone_params
        assert packed == pytest.approx(alone, rel=1e-4, abs=1e-5)


def test_callbacks_make_trials_run_one_at_a_time_and_fuse_true_refuses(tmp_path, data, caplog):
    x, y, xv, yv = data
    seen = []
    callback = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    with Tuner(build, objective="val_loss", directory=tmp_path, project_name="cb") as tuner:
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(
                x, y, validation_data=(xv, yv), epochs=2, n_trials=2, callbacks=[callback]
            )
        assert "callbacks" in tuner.packing_note
        assert any(
            "Trials run one at a time: Keras callbacks" in r.message for r in caplog.records
        )
        assert seen == [0, 1, 0, 1]
    with Tuner(
        build, objective="val_loss", directory=tmp_path, project_name="strict", fuse=True
    ) as tuner:
        with pytest.raises(
            ValueError, match="fuse=True, but these trials cannot train in packs: fit argument"
        ):
            tuner.search(x, y, validation_data=(xv, yv), n_trials=2, class_weight={0: 1.0, 1: 2.0})
        assert tuner.study.trials == []


def test_trials_are_packed_by_batch_size_from_fit_options(tmp_path, data, caplog):
    x, y, xv, yv = data

    def fit_options(trial):
        return {"batch_size": trial.suggest_categorical("batch_size", [16, 64])}

    with Tuner(
        build, objective="val_loss", directory=tmp_path, fit_options=fit_options, pack_size=8
    ) as tuner:
        for size in (16, 16, 64, 64, 64):
            tuner.study.enqueue_trial({"batch_size": size})
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=1, n_trials=5)
        packs = sorted(r.message for r in caplog.records if "as one pack" in r.message)
        assert packs == [
            "Training trials #0, #1 as one pack of 2.",
            "Training trials #2-#4 as one pack of 3.",
        ]
        assert [t.params["batch_size"] for t in tuner.study.trials] == [16, 16, 64, 64, 64]


def test_models_of_another_structure_run_alone_with_the_reason_logged(tmp_path, data, caplog):
    x, y, xv, yv = data

    def two_shapes(trial):  # (a Dropout more or less fuses: an identity slot pads it)
        if trial.number != 2:
            return build(trial)
        model = keras.Sequential(
            [
                keras.layers.Dense(trial.suggest_int("units", 4, 16), activation="relu"),
                keras.layers.LayerNormalization(),
                keras.layers.Dropout(trial.suggest_float("dropout", 0.0, 0.3)),
                keras.layers.Dense(1, activation="sigmoid"),
            ]
        )
        model.compile(
            keras.optimizers.Adam(trial.suggest_float("lr", 1e-3, 1e-1, log=True)),
            "binary_crossentropy",
            metrics=["accuracy"],
        )
        return model

    with Tuner(two_shapes, objective="val_loss", directory=tmp_path, pack_size=4) as tuner:
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=1, n_trials=4)
        assert [t.state for t in tuner.study.trials] == [TrialState.COMPLETE] * 4
    messages = [r.message for r in caplog.records]
    assert "Training trials #0, #1, #3 as one pack of 3." in messages
    assert any(
        m.startswith("Trials #2 run one at a time: it does not fuse with trial #0: ")
        and "layers" in m
        for m in messages
    )


def test_a_diverging_copy_fails_alone_and_the_rest_of_its_pack_completes(tmp_path, data):
    x, y, xv, yv = data

    def build_lr(trial):
        model = keras.Sequential([keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(trial.suggest_float("lr", 1e-3, 1e12, log=True)), "mse")
        return model

    with Tuner(build_lr, objective="val_loss", directory=tmp_path) as tuner:
        for lr in (1e-3, 1e12, 1e-2):
            tuner.study.enqueue_trial({"lr": lr})
        tuner.search(x, y, validation_data=(xv, yv), epochs=3, n_trials=3)
        states = [t.state for t in tuner.study.trials]
    assert states == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE]
    assert "diverged" in tuner.study.trials[1].system_attrs["fail_reason"]


def test_asha_in_packs_pauses_pruned_copies_and_resumes_promoted_ones_from_their_checkpoint(
    tmp_path, data
):
    x, y, xv, yv = data
    pruner = tftune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    with Tuner(
        build,
        objective="val_loss",
        directory=tmp_path,
        pruner=pruner,
        pack_size=4,
        sampler=tftune.samplers.RandomSampler(seed=0),
    ) as tuner:
        tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=8)
        trials = tuner.study.trials
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    resumed = [
        t for t in trials if RESUME_OF_KEY in t.system_attrs and t.state != TrialState.WAITING
    ]
    assert pruned and resumed
    assert TrialState.FAIL not in {
        t.state for t in trials
    }  # a promoted trial that runs alone loads its checkpoint too
    for trial in resumed:
        paused = trials[trial.system_attrs[RESUME_OF_KEY]]
        assert trial.params == paused.params
        last = max(paused.intermediate_values)
        assert {
            s: v for s, v in trial.intermediate_values.items() if s <= last
        } == paused.intermediate_values
        assert max(trial.intermediate_values) > last  # it trained on from the checkpoint
        assert len(trial.user_attrs["history"]["val_loss"]) == max(trial.intermediate_values) + 1


def test_pack_options_are_checked(tmp_path):
    with pytest.raises(ValueError, match=r"`fuse` must be True, False or 'auto', got 'yes'"):
        Tuner(build, directory=tmp_path, fuse="yes")
    with pytest.raises(ValueError, match=r"`pack_size` must be a positive int or 'auto', got 0"):
        Tuner(build, directory=tmp_path, pack_size=0)
    with pytest.raises(TypeError, match=r"`fit_options` must be a function"):
        Tuner(build, directory=tmp_path, fit_options={"batch_size": 32})


def test_a_pack_larger_than_the_memory_share_is_split(tmp_path, data, caplog, monkeypatch):
    from tftune.keras import _pack_sizing

    x, y, xv, yv = data
    model = build(tftune.trial.FixedTrial({"units": 16, "lr": 0.01}), dropout=False)
    model.build((None, x.shape[1]))
    per_copy = _pack_sizing._copy_bytes(model, 32)
    # weights, gradient and two slots of 30*16+16+16+1 parameters, and 3x the activations of
    # 32 rows
    assert per_copy == 4 * (4 * (30 * 16 + 16 + 16 + 1) + 3 * 32 * (16 + 1))
    monkeypatch.setattr(
        _pack_sizing, "MEMORY_SHARE", 2.5 * per_copy / _pack_sizing._free_memory_bytes()
    )
    with Tuner(
        lambda t: build(t, dropout=False), objective="val_loss", directory=tmp_path, pack_size=5
    ) as tuner:
        for _ in range(5):
            tuner.study.enqueue_trial({"units": 16})
        with caplog.at_level(logging.INFO, logger="tftune"):
            tuner.search(x, y, validation_data=(xv, yv), epochs=1, n_trials=5, batch_size=32)
    packs = [r.message for r in caplog.records if "as one pack" in r.message]
    assert packs == [
        "Training trials #0, #1 as one pack of 2.",
        "Training trials #2, #3 as one pack of 2.",
        "Training trials #4 as one pack of 1.",
    ]
