"""optuna.study: create/load/delete/copy, optimize, ask/tell, add_trial(s), enqueue, best
trial(s), attributes, metric names, MaxTrialsCallback, summaries, trials_dataframe."""

from __future__ import annotations

import pytest

import tftune as optuna
from tftune.distributions import FloatDistribution
from tftune.study import MaxTrialsCallback, StudyDirection
from tftune.trial import TrialState, create_trial


def _quadratic(trial):
    return (trial.suggest_float("x", -2, 2) - 1) ** 2


def test_create_load_delete_and_names(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = optuna.create_study(study_name="s", storage=url, direction="maximize")
    assert study.direction == StudyDirection.MAXIMIZE
    assert optuna.load_study(study_name="s", storage=url).study_name == "s"
    assert optuna.get_all_study_names(url) == ["s"]
    again = optuna.create_study(study_name="s", storage=url, load_if_exists=True)
    assert again.direction == StudyDirection.MAXIMIZE
    optuna.delete_study(study_name="s", storage=url)
    assert optuna.get_all_study_names(url) == []
    with pytest.raises(KeyError):
        optuna.load_study(study_name="s", storage=url)


def test_optimize_best_trial_value_params():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_quadratic, n_trials=8)
    values = [t.value for t in study.trials]
    assert study.best_value == min(values)
    assert study.best_trial.number == values.index(min(values))
    assert study.best_params == study.best_trial.params
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 8


def test_optimize_catch_callbacks_and_stop():
    study = optuna.create_study()
    seen = []

    def objective(trial):
        if trial.number == 1:
            raise ValueError("boom")
        return 1.0

    def callback(study, trial):
        seen.append(trial.state)
        if trial.number == 3:
            study.stop()

    study.optimize(objective, n_trials=10, catch=(ValueError,), callbacks=[callback])
    assert seen == [TrialState.COMPLETE, TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]


def test_optimize_propagates_exceptions_not_caught():
    def objective(trial):
        raise ValueError("boom")

    study = optuna.create_study()
    with pytest.raises(ValueError, match="boom"):
        study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAIL]


def test_ask_tell():
    study = optuna.create_study(directions=["minimize", "maximize"])
    trial = study.ask({"x": FloatDistribution(0, 1)})
    frozen = study.tell(trial, [trial.params["x"], 1.0])
    assert frozen.state == TrialState.COMPLETE and frozen.values == [trial.params["x"], 1.0]
    pruned = study.tell(study.ask(), state=TrialState.PRUNED)
    assert pruned.state == TrialState.PRUNED
    assert study.tell(study.ask().number, state=TrialState.FAIL).state == TrialState.FAIL
    assert len(study.best_trials) == 1


def test_enqueue_trial_fixes_params():
    study = optuna.create_study()
    study.enqueue_trial({"x": 1.5}, user_attrs={"why": "prior"})
    study.optimize(_quadratic, n_trials=1)
    assert study.trials[0].params == {"x": 1.5}
    assert study.trials[0].user_attrs == {"why": "prior"}


def test_add_trial_and_add_trials():
    study = optuna.create_study()
    distributions = {"x": FloatDistribution(-2, 2)}
    study.add_trial(
        create_trial(
            value=4.0,
            params={"x": -1.0},
            distributions=distributions,
            user_attrs={"source": "paper"},
            intermediate_values={0: 5.0},
        )
    )
    study.add_trials(
        [
            create_trial(value=0.25, params={"x": 1.5}, distributions=distributions),
            create_trial(state=TrialState.FAIL),
        ]
    )
    assert [t.number for t in study.trials] == [0, 1, 2]
    assert study.best_value == 0.25 and study.best_params == {"x": 1.5}
    assert study.trials[0].user_attrs == {"source": "paper"}
    assert study.trials[0].intermediate_values == {0: 5.0}
    study.optimize(_quadratic, n_trials=2)  # samplers see the added trials
    assert len(study.trials) == 5


def test_add_trial_waiting_is_run_next():
    study = optuna.create_study()
    study.add_trial(
        create_trial(
            state=TrialState.WAITING,
            params={"x": 0.5},
            distributions={"x": FloatDistribution(-2, 2)},
        )
    )
    study.optimize(_quadratic, n_trials=1)
    assert study.trials[0].params == {"x": 0.5} and study.trials[0].state == TrialState.COMPLETE


def test_add_trial_checks_the_number_of_values():
    study = optuna.create_study()
    with pytest.raises(ValueError, match="1 objective"):
        study.add_trial(create_trial(values=[1.0, 2.0]))


def test_add_trial_to_a_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    study = optuna.create_study(storage=url)
    study.add_trial(
        create_trial(
            value=float("inf"),
            params={"x": 0.5},
            distributions={"x": FloatDistribution(0, 1)},
            intermediate_values={1: float("nan")},
            system_attrs={"k": [1, 2]},
        )
    )
    (trial,) = optuna.load_study(study_name=study.study_name, storage=url).trials
    assert trial.value == float("inf") and trial.params == {"x": 0.5}
    assert trial.system_attrs == {"k": [1, 2]}
    assert trial.intermediate_values[1] != trial.intermediate_values[1]  # NaN kept


def test_copy_study(tmp_path):
    memory = optuna.storages.InMemoryStorage()
    source = optuna.create_study(study_name="src", storage=memory, direction="maximize")
    source.set_user_attr("owner", "me")
    source.set_metric_names(["accuracy"])
    source.optimize(_quadratic, n_trials=3)
    source.enqueue_trial({"x": 0.0})
    url = f"sqlite:///{tmp_path / 'copy.db'}"
    optuna.copy_study(
        from_study_name="src", from_storage=memory, to_storage=url, to_study_name="dst"
    )
    copy = optuna.load_study(study_name="dst", storage=url)
    assert copy.direction == StudyDirection.MAXIMIZE
    assert copy.user_attrs == {"owner": "me"} and copy.metric_names == ["accuracy"]
    assert [t.params for t in copy.trials[:3]] == [t.params for t in source.trials[:3]]
    assert [t.values for t in copy.trials[:3]] == [t.values for t in source.trials[:3]]
    assert copy.trials[3].state == TrialState.WAITING
    copy.optimize(_quadratic, n_trials=1)
    assert copy.trials[3].params == {"x": 0.0}
    with pytest.raises(optuna.exceptions.DuplicatedStudyError):
        optuna.copy_study(
            from_study_name="src", from_storage=memory, to_storage=url, to_study_name="dst"
        )


def test_user_attrs():
    study = optuna.create_study()
    study.set_user_attr("a", {"b": [1, 2]})
    assert study.user_attrs == {"a": {"b": [1, 2]}}


def test_metric_names():
    study = optuna.create_study(directions=["minimize", "minimize"])
    assert study.metric_names is None
    study.set_metric_names(["loss", "latency"])
    assert study.metric_names == ["loss", "latency"]
    with pytest.raises(ValueError, match="one name per objective"):
        study.set_metric_names(["loss"])


def test_max_trials_callback_counts_the_whole_study():
    study = optuna.create_study()
    study.optimize(_quadratic, n_trials=2)
    study.optimize(_quadratic, n_trials=10, callbacks=[MaxTrialsCallback(5)])
    assert len(study.trials) == 5
    failing = optuna.create_study()
    failing.optimize(
        lambda t: float("nan"),
        n_trials=10,
        callbacks=[MaxTrialsCallback(3, states=(TrialState.FAIL,))],
    )
    assert len(failing.trials) == 3


def test_study_summaries():
    storage = optuna.storages.InMemoryStorage()
    study = optuna.create_study(study_name="s", storage=storage)
    study.set_user_attr("k", 1)
    study.optimize(_quadratic, n_trials=3)
    (summary,) = optuna.get_all_study_summaries(storage)
    assert isinstance(summary, optuna.study.StudySummary)
    assert summary.study_name == "s" and summary.n_trials == 3
    assert summary.direction == StudyDirection.MINIMIZE
    assert summary.best_trial is not None and summary.best_trial.value == study.best_value
    assert summary.user_attrs == {"k": 1} and summary.datetime_start is not None
    (light,) = optuna.get_all_study_summaries(storage, include_best_trial=False)
    assert light.best_trial is None


def _dataframe_study():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        trial.set_user_attr("u", 1)
        trial.report(0.5, 0)
        return trial.suggest_float("x", 0, 1) + trial.suggest_int("y", 0, 3)

    study.optimize(objective, n_trials=3)
    return study


def test_trials_dataframe_default_columns():
    frame = _dataframe_study().trials_dataframe()
    assert list(frame.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "params_y",
        "user_attrs_u",
        "state",
    ]
    assert list(frame["state"]) == ["COMPLETE"] * 3
    assert len(frame) == 3


def test_trials_dataframe_attrs_and_multi_index():
    study = _dataframe_study()
    frame = study.trials_dataframe(attrs=("number", "value", "params", "intermediate_values"))
    assert list(frame.columns) == [
        "number",
        "value",
        "params_x",
        "params_y",
        "intermediate_values_0",
    ]
    multi = study.trials_dataframe(attrs=("number", "value", "params", "state"), multi_index=True)
    assert list(multi.columns) == [
        ("number", ""),
        ("value", ""),
        ("params", "x"),
        ("params", "y"),
        ("state", ""),
    ]
    with pytest.raises(ValueError, match="`attrs`"):
        study.trials_dataframe(attrs=("nope",))


def test_trials_dataframe_multi_objective_and_metric_names():
    study = optuna.create_study(directions=["minimize", "maximize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2)
    assert [c for c in study.trials_dataframe().columns if c.startswith("values")] == [
        "values_0",
        "values_1",
    ]
    study.set_metric_names(["a", "b"])
    assert ("values", "b") in study.trials_dataframe(multi_index=True).columns
    assert "values_a" in study.trials_dataframe().columns
    single = _dataframe_study()
    single.set_metric_names(["acc"])
    assert "value_acc" in single.trials_dataframe().columns


def test_trials_dataframe_of_an_empty_study():
    assert optuna.create_study().trials_dataframe().empty


def test_the_study_study_module_holds_the_same_objects():
    from tftune.study import study as study_module

    assert study_module.Study is optuna.Study
    assert study_module.create_study is optuna.create_study
    assert study_module.load_study is optuna.load_study
    s = study_module.create_study()
    s.optimize(_quadratic, n_trials=2)
    assert isinstance(s, study_module.Study) and len(s.trials) == 2
