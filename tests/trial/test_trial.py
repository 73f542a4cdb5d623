"""Trial: define-by-run suggestions, reports and attributes."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.exceptions import UpdateFinishedTrialError


@pytest.fixture
def trial():
    return tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0)).ask()


def test_suggestions_respect_their_ranges(trial):
    assert 0.1 <= trial.suggest_float("f", 0.1, 0.2) <= 0.2
    assert trial.suggest_float("stepped", 0, 1, step=0.25) in (0, 0.25, 0.5, 0.75, 1.0)
    assert 1e-5 <= trial.suggest_float("lr", 1e-5, 1e-1, log=True) <= 1e-1
    units = trial.suggest_int("units", 16, 128, step=16)
    assert isinstance(units, int) and units % 16 == 0
    assert trial.suggest_categorical("act", ["relu", "tanh"]) in ("relu", "tanh")
    assert trial.suggest_float("fixed", 3.0, 3.0) == 3.0
    assert set(trial.params) == {"f", "stepped", "lr", "units", "act", "fixed"}


def test_the_same_name_returns_the_same_value(trial):
    first = trial.suggest_float("x", 0, 1)
    assert trial.suggest_float("x", 0, 1) == first


def test_the_same_name_with_another_kind_of_distribution_is_an_error(trial):
    first = trial.suggest_float("x", 0, 1)
    with pytest.warns(UserWarning, match=r"the suggestion as FloatDistribution\(low=0.0, high=2"):
        assert trial.suggest_float("x", 0, 2) == first  # a new range: the first value stays
    with pytest.raises(
        ValueError,
        match=(
            r"Parameter 'x' was already suggested in this trial as "
            r"FloatDistribution\(low=0.0, high=1.0.*another kind of distribution"
        ),
    ):
        trial.suggest_int("x", 0, 1)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda t: t.suggest_float("lr", 1.0, 0.1),
            r"Parameter 'lr': `low` must be <= `high`, got low=1.0 and high=0.1",
        ),
        (
            lambda t: t.suggest_float("lr", 0.0, 1.0, log=True),
            r"Parameter 'lr': `low` must be > 0 when log=True, got low=0.0",
        ),
        (
            lambda t: t.suggest_float("lr", 0.1, 1.0, log=True, step=0.1),
            r"Parameter 'lr': `step` cannot be combined with log=True",
        ),
        (
            lambda t: t.suggest_int("n", 1, 10, step=0),
            r"Parameter 'n': `step` must be > 0, got step=0",
        ),
        (
            lambda t: t.suggest_int("n", 1.5, 10),
            r"Parameter 'n': `low` must be an integer, got 1.5",
        ),
        (
            lambda t: t.suggest_categorical("act", []),
            r"Parameter 'act': `choices` must contain at least one element",
        ),
        (
            lambda t: t.suggest_float("x", float("nan"), 1.0),
            r"Parameter 'x': `low` must be finite, got nan",
        ),
    ],
)
def test_bad_suggestions_name_the_parameter_rule_and_value(trial, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(trial)
    assert trial.params == {}


@pytest.mark.parametrize(
    "legacy, modern",
    [
        (lambda t: t.suggest_uniform("x", 0, 1), lambda t: t.suggest_float("x", 0, 1)),
        (
            lambda t: t.suggest_loguniform("x", 1e-3, 1),
            lambda t: t.suggest_float("x", 1e-3, 1, log=True),
        ),
        (
            lambda t: t.suggest_discrete_uniform("x", 0, 1, 0.1),
            lambda t: t.suggest_float("x", 0, 1, step=0.1),
        ),
    ],
)
def test_legacy_suggestions_warn_and_still_work(legacy, modern):
    study = tftune.create_study()
    trial = study.ask()
    with pytest.warns(FutureWarning, match="is deprecated; use suggest_float"):
        value = legacy(trial)
    assert modern(trial) == value  # the same distribution: the stored value comes back


def test_reports(trial):
    trial.report(0.5, 0)
    trial.report(0.4, step=1)
    with pytest.warns(UserWarning, match="already reported step 1; the new value 0.3 is ignored"):
        trial.report(0.3, 1)
    with pytest.raises(ValueError, match="`step` must be >= 0, got -1"):
        trial.report(0.1, -1)
    with pytest.raises(TypeError, match=r"`step` must be an int, got 1.5 \(float\)"):
        trial.report(0.1, 1.5)
    with pytest.raises(TypeError, match=r"`value` must be a float, got 'high' \(str\)"):
        trial.report("high", 2)
    trial.report(math.inf, 2)
    frozen = trial.study.tell(trial, 0.4)
    assert frozen.intermediate_values == {0: 0.5, 1: 0.4, 2: math.inf}
    with pytest.raises(UpdateFinishedTrialError):
        trial.report(0.1, 3)


def test_should_prune_asks_the_pruner():
    class PruneAfterTwoReports(tftune.pruners.BasePruner):
        def prune(self, study, trial):
            return len(trial.intermediate_values) >= 2

    trial = tftune.create_study(pruner=PruneAfterTwoReports()).ask()
    trial.report(1.0, 0)
    assert trial.should_prune() is False
    trial.report(1.0, 1)
    assert trial.should_prune() is True


def test_user_attrs(trial):
    trial.set_user_attr("fold_scores", [0.9, 0.8])
    assert trial.user_attrs == {"fold_scores": [0.9, 0.8]}
    with pytest.raises(TypeError, match="Attribute 'model' must be JSON-serialisable"):
        trial.set_user_attr("model", object())


def test_a_non_primitive_choice_warns_and_is_suggested_in_memory(trial):
    with pytest.warns(UserWarning, match=r"got \[1, 2\] of type list\. It is used as given"):
        assert trial.suggest_categorical("act", [[1, 2]]) == [1, 2]


def test_a_fixed_trial_warns_for_the_choice_and_refuses_a_value_not_in_it():
    fixed = tftune.trial.FixedTrial({"x": "baz"})
    with (
        pytest.warns(UserWarning, match="`choices` should hold only None"),
        pytest.raises(ValueError, match="'baz'"),
    ):
        fixed.suggest_categorical("x", [{"foo": "bar"}])


class _Obj:
    """An object JSON cannot hold."""


def test_a_non_primitive_choice_warning_names_the_parameter_at_the_callers_line(trial):
    with pytest.warns(
        UserWarning, match=r"^Parameter 'act': `choices` should hold only None.*of type _Obj"
    ) as record:
        trial.suggest_categorical("act", [_Obj()])
    assert [w.filename for w in record] == [__file__]


def test_a_choice_a_database_cannot_store_names_the_parameter(sqlite_url):
    trial = tftune.create_study(storage=sqlite_url).ask()
    with (
        pytest.warns(UserWarning, match=r"^Parameter 'act': `choices` should hold only None"),
        pytest.raises(
            TypeError, match=r"^Parameter 'act': CategoricalDistribution.*cannot be stored"
        ),
    ):
        trial.suggest_categorical("act", [_Obj(), "relu"])
    assert trial.params == {}
