"""ask/tell, enqueue_trial, multi-objective studies and the trials DataFrame."""

from __future__ import annotations

import pytest

import tftune
from tftune.distributions import FloatDistribution, IntDistribution
from tftune.exceptions import UpdateFinishedTrialError
from tftune.trial import TrialState


def test_ask_tell_round_trip(storage_url):
    study = tftune.create_study(storage=storage_url)
    trial = study.ask(
        {"lr": FloatDistribution(1e-4, 1e-1, log=True), "units": IntDistribution(8, 64)}
    )
    assert set(trial.params) == {"lr", "units"}
    frozen = study.tell(trial, 0.42)
    assert frozen.state == TrialState.COMPLETE and frozen.values == [0.42]
    assert study.best_trial.params == trial.params


def test_tell_by_number_and_twice(storage_url):
    study = tftune.create_study(storage=storage_url)
    trial = study.ask()
    study.tell(trial.number, 1.0)
    with pytest.raises(
        UpdateFinishedTrialError,
        match=(
            "Trial #0 is COMPLETE; only a running trial can be changed. Pass skip_if_finished=True"
        ),
    ):
        study.tell(trial, 2.0)
    assert study.tell(trial, 2.0, skip_if_finished=True).values == [1.0]
    assert study.trials[0].values == [1.0]


def test_tell_pruned_and_failed(storage_url):
    study = tftune.create_study(storage=storage_url)
    pruned = study.ask()
    pruned.report(0.7, 0)
    pruned.report(0.6, 1)
    assert study.tell(pruned, state=TrialState.PRUNED).values == [0.6]
    failed = study.ask()
    assert study.tell(failed, state=TrialState.FAIL).values is None
    with pytest.raises(ValueError, match="`state` must be COMPLETE, PRUNED or FAIL"):
        study.tell(study.ask(), 1.0, state=TrialState.WAITING)


def test_tell_with_bad_values_fails_the_trial_with_a_warning(storage_url):
    study = tftune.create_study(storage=storage_url)
    trial = study.ask()
    with pytest.warns(UserWarning, match="Trial #0 failed: .*NaN is not a valid objective value"):
        frozen = study.tell(trial, float("nan"))
    assert frozen.state == TrialState.FAIL
    assert "NaN" in study.trials[0].system_attrs["fail_reason"]


def test_enqueued_params_are_used_first(storage_url):
    study = tftune.create_study(storage=storage_url)
    study.enqueue_trial({"x": 0.25, "kind": "b"}, user_attrs={"source": "expert"})
    study.enqueue_trial({"x": 0.25, "kind": "b"}, skip_if_exists=True)  # already queued: skipped

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("kind", ["a", "b"])
        trial.suggest_int("n", 1, 3)  # not enqueued: sampled
        return x

    study.optimize(objective, n_trials=2)
    first, second = study.trials
    assert (
        first.params["x"] == 0.25 and first.params["kind"] == "b" and 1 <= first.params["n"] <= 3
    )
    assert first.user_attrs == {"source": "expert"}
    assert second.params["x"] != 0.25
    study.enqueue_trial({"x": 0.25, "kind": "b"}, skip_if_exists=True)  # already ran: skipped
    assert len(study.trials) == 2


def test_enqueued_value_outside_the_range_warns_and_is_used():
    study = tftune.create_study()
    study.enqueue_trial({"x": 5.0})
    trial = study.ask()
    with pytest.warns(
        UserWarning, match=r"Parameter 'x': the fixed value 5.0 of trial #0 lies outside"
    ):
        assert trial.suggest_float("x", 0, 1) == 5.0


def test_enqueue_rejects_non_json_params():
    with pytest.raises(TypeError, match="`params` and `user_attrs` must be JSON-serialisable"):
        tftune.create_study().enqueue_trial({"x": object()})


def test_multi_objective_pareto_front(storage_url):
    study = tftune.create_study(storage=storage_url, directions=["minimize", "maximize"])
    points = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (0.5, 0.5), (2.0, 3.0), (4.0, 4.0)]
    for point in points:
        study.tell(study.ask(), point)
    front = sorted(tuple(t.values) for t in study.best_trials)
    assert front == [(0.5, 0.5), (1.0, 1.0), (2.0, 3.0), (2.0, 3.0), (4.0, 4.0)]
    with pytest.raises(RuntimeError, match="use `best_trials`"):
        _ = study.best_trial


def test_multi_objective_wrong_number_of_values_fails_the_trial():
    study = tftune.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: 1.0, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    assert "the study has 2 objective(s)" in study.trials[0].system_attrs["fail_reason"]


def test_trials_dataframe():
    pd = pytest.importorskip("pandas")
    study = tftune.create_study()
    study.optimize(lambda t: t.set_user_attr("fold", 1) or t.suggest_float("x", 0, 1), n_trials=3)
    frame = study.trials_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "number",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration",
        "params_x",
        "user_attrs_fold",
        "state",
    ]
    assert frame["value"].tolist() == frame["params_x"].tolist()
    assert set(frame["state"]) == {"COMPLETE"}
