"""The tuners: their samplers, budgets and KerasTuner's trial semantics (retries, fatal errors,
executions, results of ``run_trial``), on tiny models and black-box objectives."""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

import tftune.keras_tuner as kt
from tftune.keras_tuner._oracles import HyperbandOracle
from tftune.pruners._successive_halving import CHECKPOINT_KEY, RESUME_OF_KEY
from tftune.samplers import GPSampler, GridSampler, RandomSampler
from tftune.trial import TrialState


def _data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, (x[:, :1] * 2.0 - x[:, 1:2]).astype("float32")


def build_dense(hp: kt.HyperParameters) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(hp.Int("units", 2, 8, step=2)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(keras.optimizers.SGD(hp.Float("lr", 1e-3, 1e-1, sampling="log")), "mse")
    return model


class Quadratic(kt.RandomSearch):
    """A black box: no model, the value of x * x."""

    calls = 0

    def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
        type(self).calls += 1
        x = trial.hyperparameters.Float("x", -1.0, 1.0)
        return {"score": x * x, "other": 1.0}


def test_each_tuner_uses_its_tftune_sampler(tmp_path) -> None:  # type: ignore[no-untyped-def]
    common = {"hypermodel": build_dense, "objective": "val_loss", "directory": tmp_path}
    cases = [
        (kt.RandomSearch(project_name="r", **common), RandomSampler, None),
        (kt.BayesianOptimization(project_name="b", **common), GPSampler, None),
        (kt.GridSearch(project_name="g", **common), GridSampler, None),
        (kt.Hyperband(project_name="h", max_epochs=4, factor=2, **common), RandomSampler, 10),
    ]
    for tuner, sampler, budget in cases:
        assert isinstance(tuner.study.sampler, sampler)
        if budget is not None:
            assert tuner.remaining_trials() == budget


def test_hyperband_budget_is_keras_tuners_trial_count() -> None:
    # KerasTuner 1.4.8's HyperbandOracle runs sum(_get_size(b, r)) trials per iteration, of
    # which the first round of each bracket (r = 0) are new configurations.
    assert HyperbandOracle(max_epochs=4, factor=2).keras_tuner_trials() == 15
    assert HyperbandOracle(max_epochs=4, factor=2).trial_budget() == 10
    assert HyperbandOracle(max_epochs=10, factor=3).keras_tuner_trials() == 30
    assert HyperbandOracle(max_epochs=10, factor=3).trial_budget() == 4 + 6 + 12
    assert HyperbandOracle(max_epochs=2, factor=3, hyperband_iterations=2).trial_budget() == 4
    with pytest.raises(ValueError, match=r"`factor` must be an int >= 2, got 1"):
        HyperbandOracle(factor=1)


def test_bayesian_optimization_first_trial_defaults_then_gp(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Black(kt.BayesianOptimization):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            hp = trial.hyperparameters
            return (hp.Float("x", -2.0, 2.0, default=1.5) - 0.3) ** 2

    tuner = Black(max_trials=12, num_initial_points=4, seed=0, directory=tmp_path)
    tuner.search()
    values = [t.params["x"] for t in tuner.study.trials]
    assert len(values) == 12
    best = tuner.get_best_hyperparameters()[0]["x"]
    assert abs(best - 0.3) < 0.2


def test_first_trial_runs_the_defaults_and_packs_train_the_rest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, y = _data()
    tuner = kt.RandomSearch(build_dense, "val_loss", max_trials=4, seed=1, directory=tmp_path)
    tuner.search(x, y, epochs=1, validation_split=0.25)
    assert tuner.packing_note is None
    trials = tuner.study.trials
    assert trials[0].params == {"units": 2, "lr": 1e-3}
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    models = tuner.get_best_models(2)
    assert [m.layers[0].units for m in models] == [
        t.hyperparameters["units"] for t in tuner.oracle.get_best_trials(2)
    ]


def test_grid_search_walks_every_cell_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Grid(kt.GridSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            hp = trial.hyperparameters
            kind = hp.Choice("kind", ["a", "b"])
            with hp.conditional_scope("kind", ["a"]):
                size = hp.Int("size", 1, 3)
            return float(size or 0) + (kind == "b")

    with pytest.raises(ValueError, match="GridSearch needs the search space before"):
        Grid(directory=tmp_path, project_name="unknown")
    declared = kt.HyperParameters()
    declared.Choice("kind", ["a", "b"])
    with declared.conditional_scope("kind", ["a"]):
        declared.Int("size", 1, 3)
    tuner = Grid(hyperparameters=declared, directory=tmp_path)
    tuner.search()
    assert sorted(tuple(t.hyperparameters.values.values()) for t in tuner.all_trials()) == [
        ("a", 1),
        ("a", 2),
        ("a", 3),
        ("b",),
    ]


def test_grid_search_over_a_hypermodel_with_conditions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Conditional(kt.HyperModel):
        def build(self, hp):  # type: ignore[no-untyped-def]
            kind = hp.Choice("kind", ["wide", "deep"])
            with hp.conditional_scope("kind", ["wide"]):
                if kind == "wide":
                    hp.Int("units", 4, 8, step=4)
            with hp.conditional_scope("kind", ["deep"]):
                if kind == "deep":
                    hp.Int("layers", 1, 3)
            return build_dense(kt.HyperParameters())

        def fit(self, hp, model, *args, **kwargs):  # type: ignore[no-untyped-def]
            return float(hp.get("units") if hp.get("kind") == "wide" else hp.get("layers"))

    tuner = kt.GridSearch(Conditional(), objective=None, directory=tmp_path)
    tuner.search()
    cells = sorted(tuple(sorted(t.hyperparameters.values.items())) for t in tuner.all_trials())
    assert cells == [
        (("kind", "deep"), ("layers", 1)),
        (("kind", "deep"), ("layers", 2)),
        (("kind", "deep"), ("layers", 3)),
        (("kind", "wide"), ("units", 4)),
        (("kind", "wide"), ("units", 8)),
    ]
    assert tuner.study.trials[0].params == {"kind": "wide", "units": 4}  # the defaults first


def test_hyperband_promotions_resume_from_checkpoints(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, y = _data(96)
    tuner = kt.Hyperband(
        build_dense,
        objective="val_loss",
        max_epochs=4,
        factor=2,
        seed=1,
        directory=tmp_path,
        pack_size=2,  # (one pack of all trials would rank the paused ones last)
    )
    tuner.search(x, y, epochs=99, validation_split=0.25)  # Hyperband sets the epochs
    trials = tuner.study.trials
    assert sum(RESUME_OF_KEY not in t.system_attrs for t in trials) == 10  # configurations
    assert not tuner.study.get_trials(states=(TrialState.WAITING,))
    resumed = [t for t in trials if RESUME_OF_KEY in t.system_attrs]
    assert resumed, "no paused trial was promoted"
    for trial in resumed:
        paused = trials[trial.system_attrs[RESUME_OF_KEY]]
        epoch = trial.system_attrs[CHECKPOINT_KEY]["epoch"]
        history, before = trial.user_attrs["history"]["val_loss"], paused.user_attrs["history"]
        # The paused epochs are carried over, not trained again.
        assert history[: epoch + 1] == before["val_loss"][: epoch + 1]
        assert trial.params == paused.params
    assert max(len(t.user_attrs.get("history", {}).get("loss", [])) for t in trials) <= 4


def test_executions_are_averaged_and_history_scores_its_best_epoch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    runs = iter([[3.0, 1.0, 2.0], [5.0, 4.0, 4.5]])

    class Scripted(kt.HyperModel):
        def build(self, hp):  # type: ignore[no-untyped-def]
            return build_dense(hp)

        def fit(self, hp, model, *args, callbacks=None, **kwargs):  # type: ignore[no-untyped-def]
            history = keras.callbacks.History()
            history.set_model(model)
            history.on_train_begin()
            for epoch, value in enumerate(next(runs)):
                history.on_epoch_end(epoch, {"val_loss": value, "loss": value})
            return history

    tuner = kt.RandomSearch(
        Scripted(), "val_loss", max_trials=1, executions_per_trial=2, directory=tmp_path
    )
    tuner.search()
    best = tuner.oracle.get_best_trials()[0]
    assert best.score == pytest.approx((1.0 + 4.0) / 2)  # each execution's best epoch, averaged
    assert best.metrics == {"loss": 2.5, "val_loss": 2.5}


def test_list_of_objectives_is_summed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    class Two(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            a = trial.hyperparameters.Float("a", 0.0, 1.0)
            return {"loss_like": a, "acc_like": 2 * a}

    tuner = Two(
        objective=[kt.Objective("loss_like", "min"), kt.Objective("acc_like", "max")],
        max_trials=5,
        directory=tmp_path,
    )
    tuner.search()
    for trial in tuner.all_trials():
        a = trial.hyperparameters["a"]
        assert trial.score == pytest.approx(a - 2 * a)
    assert tuner.get_best_hyperparameters()[0]["a"] == max(
        t.hyperparameters["a"] for t in tuner.all_trials()
    )


def test_run_trial_errors_are_retried_and_fatal_ones_stop(tmp_path) -> None:  # type: ignore[no-untyped-def]
    attempts: list[int] = []

    class Flaky(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            attempts.append(trial.number)
            if attempts.count(trial.number) < 3:
                raise OSError("transient")
            return trial.hyperparameters.Float("x", 0.0, 1.0)

    tuner = Flaky(max_trials=2, max_retries_per_trial=2, directory=tmp_path, project_name="f")
    tuner.search()
    assert attempts == [0, 0, 0, 1, 1, 1]
    assert [t.state for t in tuner.study.trials] == [TrialState.COMPLETE] * 2

    class Broken(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            trial.hyperparameters.Float("x", 0.0, 1.0)
            return None

    tuner = Broken(max_trials=5, directory=tmp_path, project_name="b")
    with pytest.raises(kt.errors.FatalTypeError, match="is None. Did you forget to return"):
        tuner.search()
    assert len(tuner.study.trials) == 1

    class Exhausting(kt.RandomSearch):
        def run_trial(self, trial, *args, **kwargs):  # type: ignore[no-untyped-def]
            trial.hyperparameters.Float("x", 0.0, 1.0)
            raise OSError("always")

    tuner = Exhausting(
        max_trials=5, max_retries_per_trial=1, max_consecutive_failed_trials=2, directory=tmp_path
    )
    with pytest.raises(RuntimeError, match="consecutive failures exceeded the limit of 2"):
        tuner.search()
    reasons = [t.system_attrs["fail_reason"] for t in tuner.study.trials]
    assert len(reasons) == 2 and all("failed 2 time(s)" in r for r in reasons)


def test_pre_declared_hyperparameters_and_new_entries(tmp_path) -> None:  # type: ignore[no-untyped-def]
    x, y = _data()
    hp = kt.HyperParameters()
    hp.Fixed("lr", 0.05)
    tuner = kt.RandomSearch(
        build_dense,
        "val_loss",
        max_trials=3,
        hyperparameters=hp,
        tune_new_entries=False,
        directory=tmp_path,
        project_name="fixed",
    )
    tuner.search(x, y, epochs=1, validation_split=0.25)
    assert [t.hyperparameters.values for t in tuner.all_trials()] == [{"lr": 0.05, "units": 2}] * 3

    tuner = kt.RandomSearch(
        build_dense,
        "val_loss",
        max_trials=1,
        hyperparameters=hp,
        allow_new_entries=False,
        directory=tmp_path,
        project_name="closed",
    )
    tuner.search(x, y, epochs=1, validation_split=0.25)
    reason = tuner.study.trials[0].system_attrs["fail_reason"]
    assert "`allow_new_entries` is `False`, but found new entries" in reason


def test_bad_arguments_are_named(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=r"`max_trials` must be a positive int or None, got 0"):
        kt.RandomSearch(build_dense, "val_loss", max_trials=0, directory=tmp_path)
    with pytest.raises(ValueError, match=r"`executions_per_trial` must be a positive int, got 0"):
        kt.RandomSearch(build_dense, "val_loss", executions_per_trial=0, directory=tmp_path)
    with pytest.raises(TypeError, match=r"`distribution_strategy` must be a tf.distribute.*'x'"):
        kt.RandomSearch(build_dense, "val_loss", distribution_strategy="x", directory=tmp_path)
    with pytest.raises(ValueError, match=r"`project_name` must be one folder name.*'a/b'"):
        kt.RandomSearch(build_dense, "val_loss", project_name="a/b", directory=tmp_path)
    with pytest.raises(ValueError, match=r"`hypermodel` must be a HyperModel.*got 3"):
        kt.RandomSearch(3, "val_loss", directory=tmp_path)
    with pytest.raises(TypeError, match=r"`oracle` must be a keras_tuner Oracle"):
        kt.Tuner(oracle="random", hypermodel=build_dense)


def test_black_box_scores_and_oracle_views(tmp_path) -> None:  # type: ignore[no-untyped-def]
    Quadratic.calls = 0
    tuner = Quadratic(objective=kt.Objective("score", "min"), max_trials=6, directory=tmp_path)
    tuner.search()
    assert Quadratic.calls == 6 and tuner.remaining_trials() == 0
    tuner.search()  # nothing left: KerasTuner's max_trials counts every trial
    assert Quadratic.calls == 6
    trials = tuner.oracle.trials
    assert sorted(trials) == ["0", "1", "2", "3", "4", "5"]
    best = tuner.oracle.get_best_trials(6)
    assert [t.score for t in best] == sorted(t.score for t in best)
    assert all(math.isclose(t.score, t.hyperparameters["x"] ** 2) for t in best)
    with pytest.raises(FileNotFoundError, match="weights of trial .* are not on disk"):
        tuner.get_best_models()
