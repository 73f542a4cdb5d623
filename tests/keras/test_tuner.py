"""tftune.keras.Tuner: the Keras front door that owns each trial's training."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import keras
import tftune
from tftune.keras import TrialReportCallback, Tuner
from tftune.pruners._successive_halving import RESUME_OF_KEY
from tftune.study import StudyDirection
from tftune.trial import TrialState


@pytest.fixture(scope="module")
def data():
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.choice(len(x), 200, replace=False)
    x = StandardScaler().fit_transform(x[rows]).astype("float32")
    return x[:150], y[rows][:150], x[150:], y[rows][150:]


def build(trial):
    model = keras.Sequential(
        [
            keras.layers.Dense(trial.suggest_int("units", 4, 16), activation="relu"),
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


def test_search_reports_every_epoch_and_keeps_the_best_model(tmp_path, data):
    x, y, xv, yv = data
    tuner = Tuner(build, objective="val_loss", directory=tmp_path, project_name="p")
    tuner.search(x, y, validation_data=(xv, yv), epochs=3, n_trials=3, batch_size=32)
    trials = tuner.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3
    for trial in trials:
        history = trial.user_attrs["history"]
        assert sorted(history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
        assert trial.intermediate_values == {
            i: pytest.approx(v) for i, v in enumerate(history["val_loss"])
        }
        assert trial.value == pytest.approx(history["val_loss"][-1])
    best = tuner.best_model()
    loss, _ = best.evaluate(xv, yv, verbose=0)
    assert loss == pytest.approx(tuner.best_trial.value, rel=1e-4)
    assert set(tuner.best_params) == {"units", "dropout", "lr"}
    assert len(list(tmp_path.glob("p/trial_*.weights.h5"))) == 1


def test_a_rerun_resumes_the_study(tmp_path, data):
    x, y, xv, yv = data
    Tuner(build, objective="val_accuracy", directory=tmp_path).search(
        x, y, validation_data=(xv, yv), n_trials=1
    )
    again = Tuner(build, objective="val_accuracy", directory=tmp_path)
    again.search(x, y, validation_data=(xv, yv), n_trials=1)
    assert again.direction == StudyDirection.MAXIMIZE
    assert [t.number for t in again.study.trials] == [0, 1]
    assert "val_accuracy" in again.results_summary()


def test_direction_is_inferred_or_required(tmp_path):
    assert (
        Tuner(build, objective="val_loss", directory=tmp_path, project_name="a").direction
        == StudyDirection.MINIMIZE
    )
    assert (
        Tuner(build, objective="val_auc", directory=tmp_path, project_name="b").direction
        == StudyDirection.MAXIMIZE
    )
    with pytest.raises(
        ValueError,
        match="Cannot tell whether objective 'val_custom' should be minimized or maximized",
    ):
        Tuner(build, objective="val_custom", directory=tmp_path, project_name="c")


@pytest.mark.parametrize("fuse", [False, "auto"])
def test_a_missing_metric_fails_each_trial_then_stops_with_the_reason(tmp_path, data, fuse):
    x, y, xv, yv = data
    tuner = Tuner(
        build, objective="val_acc", directory=tmp_path, max_consecutive_failures=2, fuse=fuse
    )
    with pytest.raises(
        RuntimeError, match=r"2 trials failed in a row.*'val_acc' is not in the training logs"
    ):
        tuner.search(x, y, validation_data=(xv, yv), n_trials=5)
    trials = tuner.study.trials
    # one at a time, the search stops after two trials; in a pack the other three were already
    # training, and are closed as failed too, with the reason
    assert [t.state for t in trials] == [TrialState.FAIL] * (2 if fuse is False else 5)
    assert all(
        "'val_acc' is not in the training logs" in t.system_attrs["fail_reason"]
        for t in trials[:2]
    )
    for trial in trials[2:]:
        assert trial.system_attrs["fail_reason"].startswith("The search stopped with RuntimeError")


def test_per_trial_failures_are_stored_and_the_search_continues(tmp_path, data):
    x, y, xv, yv = data

    class OutOfMemoryOnce(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if self.model.name == "doomed":
                raise tf.errors.ResourceExhaustedError(
                    None, None, "OOM when allocating tensor with shape [1000000]"
                )

    def flaky_build(trial):
        model = build(trial)
        if trial.number == 0:
            return keras.Sequential([keras.layers.Dense(1)])  # not compiled
        if trial.number == 1:
            return "not a model"
        if trial.number == 2:
            model.name = "doomed"
        return model

    tuner = Tuner(
        flaky_build, objective="val_loss", directory=tmp_path, max_consecutive_failures=5
    )
    tuner.search(x, y, validation_data=(xv, yv), n_trials=4, callbacks=[OutOfMemoryOnce()])
    trials = tuner.study.trials
    assert [t.state for t in trials] == [TrialState.FAIL] * 3 + [TrialState.COMPLETE]
    assert "uncompiled model" in trials[0].system_attrs["fail_reason"]
    assert "must return a keras.Model, got 'not a model'" in trials[1].system_attrs["fail_reason"]
    assert "Out of memory while training trial 2" in trials[2].system_attrs["fail_reason"]


def test_a_nan_loss_fails_the_trial(tmp_path, data):
    x, y, xv, yv = data

    def diverging_build(trial):
        model = build(trial)
        model.compile("sgd", loss=lambda y_true, y_pred: keras.ops.mean(y_pred) * float("nan"))
        return model

    tuner = Tuner(
        diverging_build, objective="val_loss", directory=tmp_path, max_consecutive_failures=5
    )
    tuner.search(x, y, validation_data=(xv, yv), n_trials=1)
    (trial,) = tuner.study.trials
    assert trial.state == TrialState.FAIL
    assert (
        "The training loss became nan at epoch 0; the trial diverged."
        in trial.system_attrs["fail_reason"]
    )


def test_pruned_trials_stop_early(tmp_path, data):
    x, y, xv, yv = data

    class PruneOddTrialsAfterOneEpoch(tftune.pruners.BasePruner):
        def prune(self, study, trial):
            return trial.number % 2 == 1 and trial.last_step >= 1

    tuner = Tuner(
        build, objective="val_loss", pruner=PruneOddTrialsAfterOneEpoch(), directory=tmp_path
    )
    tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=2)
    complete, pruned = tuner.study.trials
    assert complete.state == TrialState.COMPLETE and len(complete.intermediate_values) == 4
    assert pruned.state == TrialState.PRUNED and sorted(pruned.intermediate_values) == [0, 1]
    assert len(pruned.user_attrs["history"]["val_loss"]) == 2


def test_the_callback_serves_a_hand_written_objective(data):
    x, y, xv, yv = data

    def objective(trial):
        model = build(trial)
        model.fit(
            x,
            y,
            validation_data=(xv, yv),
            epochs=2,
            verbose=0,
            callbacks=[TrialReportCallback(trial, "val_loss")],
        )
        return model.evaluate(xv, yv, verbose=0)[0]

    study = tftune.create_study()
    study.optimize(objective, n_trials=1)
    assert sorted(study.trials[0].intermediate_values) == [0, 1]


def test_bad_tuner_arguments(tmp_path):
    with pytest.raises(
        TypeError, match="`build` must be a function build\\(trial\\) -> keras.Model, got 3"
    ):
        Tuner(3, directory=tmp_path)
    with pytest.raises(
        ValueError, match="`max_consecutive_failures` must be a positive int, got 0"
    ):
        Tuner(build, directory=tmp_path, max_consecutive_failures=0)
    with pytest.raises(ValueError, match="search\\(\\) needs `n_trials` or `timeout`"):
        Tuner(build, directory=tmp_path).search(np.zeros((2, 2)), np.zeros(2))


class PauseTrialZeroThenPromoteIt(tftune.pruners.BasePruner):
    """Pauses trial 0 after epoch 1; promotes it once trial 1 has finished (scripted ASHA)."""

    def prune(self, study, trial):
        return trial.number == 0 and trial.last_step == 1

    def promotions(self, study):
        trials = study.get_trials(deepcopy=False)
        if any(RESUME_OF_KEY in t.system_attrs for t in trials):
            return []
        if not any(t.number == 1 and t.state.is_finished() for t in trials):
            return []
        return [t for t in trials if t.number == 0 and t.state == TrialState.PRUNED]


class WeightRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs, self.after_epoch, self.at_start, self.iterations = [], [], [], []

    def on_train_begin(self, logs=None):
        self.at_start.append([w.copy() for w in self.model.get_weights()])
        self.iterations.append(int(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.after_epoch.append([w.copy() for w in self.model.get_weights()])


def test_a_promoted_trial_resumes_from_its_checkpoint(tmp_path, data):
    x, y, xv, yv = data
    recorder = WeightRecorder()
    tuner = Tuner(
        build, objective="val_loss", pruner=PauseTrialZeroThenPromoteIt(), directory=tmp_path
    )
    tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=3, callbacks=[recorder])
    paused, other, resumed = tuner.study.trials
    assert paused.state == TrialState.PRUNED and other.state == TrialState.COMPLETE
    assert resumed.system_attrs[RESUME_OF_KEY] == 0 and resumed.params == paused.params
    # trial 0 trained epochs 0-1, trial 1 epochs 0-3, the resumed trial only epochs 2-3
    assert recorder.epochs == [0, 1, 0, 1, 2, 3, 2, 3]
    # it started from the weights trial 0 had after its epoch 1 (not fresh ones)
    for saved, loaded in zip(recorder.after_epoch[1], recorder.at_start[2], strict=True):
        np.testing.assert_array_equal(saved, loaded)
    assert recorder.iterations == [
        0,
        0,
        2 * 5,
    ]  # Adam's state came back too: 2 epochs of 5 batches
    assert sorted(resumed.intermediate_values) == [0, 1, 2, 3]
    assert [resumed.intermediate_values[s] for s in (0, 1)] == [
        paused.intermediate_values[s] for s in (0, 1)
    ]
    assert len(resumed.user_attrs["history"]["val_loss"]) == 4
    assert list((tmp_path / "untitled" / "checkpoints").glob("*.h5")) == []  # consumed


def test_pruning_is_final_when_resuming_is_off(tmp_path, data):
    x, y, xv, yv = data
    recorder = WeightRecorder()
    tuner = Tuner(
        build,
        objective="val_loss",
        pruner=PauseTrialZeroThenPromoteIt(),
        directory=tmp_path,
        resume_promoted=False,
    )
    tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=3, callbacks=[recorder])
    assert all(RESUME_OF_KEY not in t.system_attrs for t in tuner.study.trials)
    assert recorder.epochs == [0, 1, 0, 1, 2, 3, 0, 1, 2, 3]
    assert not (tmp_path / "untitled" / "checkpoints").exists()


def test_asha_with_promotions_keeps_the_study_consistent(tmp_path, data):
    x, y, xv, yv = data
    pruner = tftune.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    tuner = Tuner(build, objective="val_loss", pruner=pruner, directory=tmp_path)
    tuner.search(x, y, validation_data=(xv, yv), epochs=4, n_trials=8)
    trials = tuner.study.trials
    # a promotion after the last trial stays queued (WAITING) for the next search() to run
    assert all(
        t.state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.WAITING) for t in trials
    )
    assert all(t.state != TrialState.WAITING or RESUME_OF_KEY in t.system_attrs for t in trials)
    assert any(t.state == TrialState.PRUNED for t in trials)
    origins = [t.system_attrs[RESUME_OF_KEY] for t in trials if RESUME_OF_KEY in t.system_attrs]
    assert len(origins) == len(set(origins))  # each paused trial resumed at most once
    for t in trials:
        if (
            RESUME_OF_KEY in t.system_attrs and t.state != TrialState.WAITING
        ):  # a queued one has no params yet
            assert t.params == trials[t.system_attrs[RESUME_OF_KEY]].params
    checkpoints = list((tmp_path / "untitled" / "checkpoints").glob("*.h5"))
    assert len(checkpoints) <= sum(t.state == TrialState.PRUNED for t in trials)


def test_finished_trials_leave_no_graphs_in_tensorflows_gradient_registry(tmp_path, data):
    from tensorflow.python.framework import ops

    x, y, xv, yv = data

    def custom_gradients():
        return sum(name.startswith("CustomGradient-") for name in ops.gradient_registry._registry)

    before = custom_gradients()
    Tuner(build, objective="val_loss", directory=tmp_path).search(
        x, y, validation_data=(xv, yv), n_trials=3
    )
    assert custom_gradients() == before
    plain = build(tftune.trial.FixedTrial({"units": 4, "dropout": 0.0, "lr": 0.01}))
    plain.fit(x, y, epochs=1, verbose=0)  # outside the tuner nothing is touched
    assert custom_gradients() > before


def test_closing_the_tuner_releases_its_database(tmp_path, data):
    x, y, xv, yv = data
    with Tuner(build, objective="val_loss", directory=tmp_path) as tuner:
        tuner.search(x, y, validation_data=(xv, yv), n_trials=1)
        storage = tuner.study.storage
        assert storage._engine.pool.checkedin() > 0
    assert storage._engine.pool.checkedin() == 0
    assert storage._heartbeat._thread is None or not storage._heartbeat._thread.is_alive()
