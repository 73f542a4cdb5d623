"""optuna.trial: Trial, FixedTrial, FrozenTrial (as a trial too), create_trial, TrialState."""

from __future__ import annotations

import datetime

import pytest

import tftune as optuna
from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.trial import FixedTrial, FrozenTrial, TrialState, create_trial


def _objective(trial):
    x = trial.suggest_float("x", -1.0, 1.0)
    n = trial.suggest_int("n", 1, 4)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    trial.report(x, 0)
    trial.set_user_attr("tag", kind)
    return x * x + n + (kind == "b")


def test_trial_suggestions_lie_in_their_ranges():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(_objective, n_trials=5)
    for trial in study.trials:
        assert -1.0 <= trial.params["x"] <= 1.0
        assert trial.params["n"] in {1, 2, 3, 4}
        assert trial.params["kind"] in {"a", "b"}
        assert trial.user_attrs == {"tag": trial.params["kind"]}
        assert trial.intermediate_values == {0: trial.params["x"]}
        assert trial.distributions["n"] == IntDistribution(1, 4)


def test_suggest_int_log_and_step_and_float_step():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))

    def objective(trial):
        a = trial.suggest_int("a", 1, 1000, log=True)
        b = trial.suggest_int("b", 0, 10, step=5)
        c = trial.suggest_float("c", 0.0, 1.0, step=0.5)
        d = trial.suggest_float("d", 1e-4, 1.0, log=True)
        assert 1 <= a <= 1000 and b in (0, 5, 10) and c in (0.0, 0.5, 1.0)
        assert 1e-4 <= d <= 1.0
        return a + b + c + d

    study.optimize(objective, n_trials=10)
    assert len(study.trials) == 10


def test_same_name_twice_returns_the_same_value():
    trial = optuna.create_study().ask()
    assert trial.suggest_float("x", 0, 1) == trial.suggest_float("x", 0, 1)


def test_legacy_suggest_methods_warn_and_suggest():
    trial = optuna.create_study().ask()
    with pytest.warns(FutureWarning, match="suggest_float"):
        assert 0 <= trial.suggest_uniform("u", 0, 1) <= 1
    with pytest.warns(FutureWarning):
        assert 1e-3 <= trial.suggest_loguniform("l", 1e-3, 1) <= 1
    with pytest.warns(FutureWarning):
        assert trial.suggest_discrete_uniform("d", 0, 1, 0.5) in (0.0, 0.5, 1.0)
    assert trial.distributions["l"] == FloatDistribution(1e-3, 1, log=True)


def test_trial_properties():
    study = optuna.create_study()
    trial = study.ask()
    assert trial.number == 0
    assert isinstance(trial.datetime_start, datetime.datetime)
    trial.suggest_float("x", 0, 1)
    assert set(trial.params) == {"x"} and set(trial.distributions) == {"x"}
    assert trial.relative_params == {}  # nothing sampled jointly by the random sampler


def test_relative_params_are_the_joint_sample():
    sampler = optuna.samplers.TPESampler(seed=0, n_startup_trials=2)
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), n_trials=4)
    trial = study.ask()
    relative = trial.relative_params
    assert set(relative) == {"x", "y"}
    assert trial.suggest_float("x", 0, 1) == relative["x"]


def test_report_and_should_prune_with_a_pruner():
    study = optuna.create_study(pruner=optuna.pruners.ThresholdPruner(upper=1.0))
    trial = study.ask()
    trial.report(0.5, 0)
    assert not trial.should_prune()
    trial.report(2.0, 1)
    assert trial.should_prune()


def test_fixed_trial_replays_an_objective():
    params = {"x": 0.5, "n": 2, "kind": "b"}
    trial = FixedTrial(params, number=7)
    assert _objective(trial) == pytest.approx(0.25 + 2 + 1)
    assert trial.number == 7
    assert trial.params == params
    assert trial.user_attrs == {"tag": "b"}
    assert trial.distributions["kind"] == CategoricalDistribution(["a", "b"])
    assert trial.should_prune() is False
    assert isinstance(trial.datetime_start, datetime.datetime)


def test_fixed_trial_legacy_suggest_and_missing_parameter():
    trial = FixedTrial({"u": 0.3, "d": 0.5})
    with pytest.warns(FutureWarning):
        assert trial.suggest_uniform("u", 0, 1) == 0.3
    with pytest.warns(FutureWarning):
        assert trial.suggest_discrete_uniform("d", 0, 1, 0.5) == 0.5
    with pytest.raises(ValueError, match="no value for parameter 'y'"):
        trial.suggest_float("y", 0, 1)


def _frozen(**overrides):
    fields = dict(
        number=0,
        state=TrialState.COMPLETE,
        value=0.2,
        datetime_start=datetime.datetime.now(),
        datetime_complete=datetime.datetime.now(),
        params={"x": 0.5, "n": 2, "kind": "b"},
        distributions={
            "x": FloatDistribution(-1, 1),
            "n": IntDistribution(1, 4),
            "kind": CategoricalDistribution(["a", "b"]),
        },
        user_attrs={},
        system_attrs={},
        intermediate_values={},
        trial_id=0,
    )
    fields.update(overrides)
    return FrozenTrial(**fields)


def test_frozen_trial_optuna_constructor():
    trial = _frozen()
    assert trial.value == 0.2 and trial.values == [0.2]
    assert trial.duration is not None and trial.last_step is None
    multi = _frozen(value=None, values=[1.0, 2.0])
    assert multi.values == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="values"):
        _ = multi.value
    with pytest.raises(ValueError, match="either `value` or `values`"):
        _frozen(values=[1.0])
    positional = FrozenTrial(1, TrialState.RUNNING, None, None, None, {}, {}, {}, {}, {}, 5)
    assert (positional.number, positional.state, positional.values) == (
        1,
        TrialState.RUNNING,
        None,
    )


def test_frozen_trial_value_setter_and_ordering():
    trial = _frozen()
    trial.value = 3.0
    assert trial.values == [3.0]
    trial.values = None
    assert trial.value is None
    assert _frozen(number=0) < _frozen(number=1) <= _frozen(number=1)
    assert sorted([_frozen(number=2), _frozen(number=0)])[0].number == 0


def test_frozen_trial_replays_an_objective():
    trial = _frozen()
    assert _objective(trial) == pytest.approx(0.25 + 2 + 1)
    assert trial.user_attrs == {"tag": "b"}
    assert trial.should_prune() is False
    with pytest.raises(ValueError, match="no value for parameter 'y'"):
        trial.suggest_float("y", 0, 1)
    with pytest.warns(UserWarning, match="lies outside"):
        trial.suggest_float("x", 0.6, 1.0)
    with pytest.raises(ValueError, match="another kind of distribution"):
        trial.suggest_categorical("n", [1, 2])


def test_frozen_trial_replays_a_stored_best_trial():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    study.optimize(_objective, n_trials=4)
    best = study.best_trial
    assert _objective(best) == pytest.approx(study.best_value)


def test_create_trial_defaults_and_checks():
    trial = create_trial(
        value=1.0, params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}
    )
    assert trial.state == TrialState.COMPLETE and trial.value == 1.0
    assert trial.datetime_start is not None and trial.datetime_complete is not None
    waiting = create_trial(state=TrialState.WAITING)
    assert waiting.datetime_start is None and waiting.datetime_complete is None
    pruned = create_trial(state=TrialState.PRUNED, intermediate_values={3: 0.7})
    assert pruned.last_step == 3 and pruned.values is None
    with pytest.raises(ValueError, match="needs `value` or `values`"):
        create_trial(state=TrialState.COMPLETE)
    with pytest.raises(ValueError, match="same parameters"):
        create_trial(value=1.0, params={"x": 1.0})
    with pytest.raises(ValueError, match="lies outside"):
        create_trial(value=1.0, params={"x": 5.0}, distributions={"x": FloatDistribution(0, 1)})
    with pytest.raises(ValueError, match="NaN"):
        create_trial(value=float("nan"))
    assert create_trial(values=[1.0, 2.0]).values == [1.0, 2.0]


def test_trial_state():
    assert [s.name for s in TrialState] == ["RUNNING", "COMPLETE", "PRUNED", "FAIL", "WAITING"]
    assert TrialState.COMPLETE.is_finished() and not TrialState.WAITING.is_finished()
    assert int(TrialState.FAIL) == 3


def test_base_trial_covers_every_kind_of_trial():
    study = optuna.create_study()
    for trial in (study.ask(), FixedTrial({}), _frozen()):
        assert isinstance(trial, optuna.trial.BaseTrial)


def test_suggesting_a_name_again_with_a_new_range_warns_and_keeps_the_value():
    trial = optuna.create_study().ask()
    first = trial.suggest_float("x", 10, 20)
    with pytest.warns(UserWarning, match="returns the first value"):
        assert trial.suggest_float("x", 10, 30) == first
    with pytest.raises(ValueError, match="Cannot change `log`"):
        trial.suggest_float("x", 10, 20, log=True)
    trial.suggest_categorical("c", [1, 2, 3])
    with pytest.raises(ValueError, match="does not support changing choices"):
        trial.suggest_categorical("c", [1, 2])


def test_suggest_int_warns_when_the_range_is_not_a_whole_number_of_steps():
    trial = optuna.create_study().ask()
    with pytest.warns(UserWarning, match=r"\[0, 10\] is not divisible by `step`=3"):
        assert trial.suggest_int("x", 0, 10, step=3) in (0, 3, 6, 9)


def test_report_takes_integral_steps_of_any_number_type():
    import numpy as np

    trial = optuna.create_study().ask()
    trial.report(1.0, 1.0)
    trial.report(2.0, np.int64(2))
    assert trial.intermediate_values == {1: 1.0, 2: 2.0}
    with pytest.raises(TypeError, match="`step` must be an int, got None"):
        trial.report(1.0, None)
    with pytest.raises(TypeError, match="`step` must be an int, got 'foo'"):
        trial.report(1.0, "foo")
    with pytest.raises(ValueError, match="`step` must be >= 0, got -1"):
        trial.report(1.0, -1)


def test_create_trial_with_named_constraints():
    trial = create_trial(
        value=0.2,
        params={"x": 10},
        distributions={"x": FloatDistribution(5, 12)},
        constraints={"cost": 1.5, "limit": -2.5},
    )
    assert trial.constraints == {"cost": 1.5, "limit": -2.5}
    study = optuna.create_study()
    study.add_trial(trial)
    assert study.trials[0].constraints == {"cost": 1.5, "limit": -2.5}
    with pytest.raises(ValueError, match="Constraint 'cost' cannot be NaN"):
        create_trial(value=0.2, constraints={"cost": float("nan")})
    with pytest.raises(TypeError, match="Constraint 'cost' must be a float, got 'foo'"):
        create_trial(value=0.2, constraints={"cost": "foo"})


def test_frozen_trial_values_are_a_list_and_value_refuses_several_objectives():
    trial = create_trial(values=[0.2, 0.3])
    trial.values = (0.1, 0.2)
    assert trial.values == [0.1, 0.2]
    with pytest.raises(RuntimeError, match="has 2 objective values"):
        trial.value = 0.1
    with pytest.raises(RuntimeError, match="has 2 objective values"):
        _ = trial.value


def test_set_constraint_on_every_kind_of_trial():
    study = optuna.create_study()
    trial = study.ask()
    trial.set_constraint("cost", 1.5)
    trial.set_constraint("limit", "-2")  # anything float() takes
    with pytest.warns(UserWarning, match="Constraint 'cost' is already set to 1.5"):
        trial.set_constraint("cost", 3.0)
    with pytest.raises(ValueError, match="Constraint 'x' cannot be NaN"):
        trial.set_constraint("x", float("nan"))
    with pytest.raises(TypeError, match="Constraint 'x' must be a float, got 'foo'"):
        trial.set_constraint("x", "foo")
    study.tell(trial, 1.0)
    assert study.trials[0].constraints == {"cost": 1.5, "limit": -2.0}
    fixed = FixedTrial({})
    fixed.set_constraint("cost", 1)
    assert fixed.system_attrs == {"constraints:cost": 1.0}
    frozen = create_trial(value=1.0)
    frozen.set_constraint("cost", 0)
    assert frozen.constraints == {"cost": 0.0}
