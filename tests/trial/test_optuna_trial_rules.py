"""Optuna's rules for trials: one distribution kind per name in a study, legacy distributions
converted with a FutureWarning, FixedTrial's checks, ``constraints``, report's checks."""

from __future__ import annotations

import pytest

import tftune
from tftune.distributions import (
    FloatDistribution,
    IntDistribution,
    IntUniformDistribution,
    UniformDistribution,
)
from tftune.trial import FixedTrial, create_trial


@pytest.mark.parametrize("storage", [None, "sqlite"])
def test_a_name_keeps_its_kind_of_distribution_across_trials(storage, tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}" if storage else None
    study = tftune.create_study(storage=url)
    first = study.ask()
    first.suggest_float("x", 0, 1)
    second = study.ask()  # the first is still running
    with pytest.raises(ValueError, match=r"Parameter 'x' was suggested as FloatDistribution"):
        second.suggest_int("x", 0, 10)
    with pytest.raises(ValueError, match="Cannot change `log`"):
        second.suggest_float("x", 0.1, 1, log=True)
    assert second.suggest_float("x", 0, 5) <= 5  # another range is compatible
    again = tftune.load_study(study_name=study.study_name, storage=url or study.storage)
    with pytest.raises(ValueError, match="one kind of distribution per name"):
        again.ask().suggest_categorical("x", ["a", "b"])


def test_legacy_distributions_become_current_ones_with_a_future_warning():
    with pytest.warns(FutureWarning):
        legacy = {"u": UniformDistribution(0, 10), "i": IntUniformDistribution(0, 10, step=2)}
    study = tftune.create_study()
    with pytest.warns(FutureWarning, match="optuna/issues/2941") as record:
        trial = study.ask(fixed_distributions=legacy)
    assert len(record) == 2
    assert trial.distributions == {
        "u": FloatDistribution(0, 10),
        "i": IntDistribution(0, 10, step=2),
    }
    assert type(trial.distributions["u"]) is FloatDistribution
    with pytest.warns(FutureWarning, match="internally converted to FloatDistribution"):
        frozen = create_trial(value=1.0, params={"u": 3.0}, distributions={"u": legacy["u"]})
    assert type(frozen.distributions["u"]) is FloatDistribution


def test_fixed_trial_warns_out_of_range_and_refuses_unknown_choices():
    trial = FixedTrial({"x": 1.0, "c": "baz"})
    with pytest.warns(UserWarning, match=r"value 1.0 of parameter 'x' is out of the range"):
        assert trial.suggest_float("x", 10, 100) == 1.0
    with pytest.raises(ValueError, match=r"FixedTrial's value 'baz' of parameter 'c' is not one"):
        trial.suggest_categorical("c", ["foo", "bar"])


@pytest.mark.parametrize("make", [lambda: FixedTrial({}), lambda: tftune.create_study().ask()])
def test_constraints_are_readable_on_trials(make):
    trial = make()
    trial.set_constraint("cost", 1.5)
    trial.set_constraint("limit", 2.5)
    with pytest.warns(UserWarning, match="Constraint 'cost' is already set to 1.5"):
        trial.set_constraint("cost", -1.0)
    assert trial.constraints == {"cost": 1.5, "limit": 2.5}


def test_report_checks_the_value_before_the_step():
    trial = tftune.create_study().ask()
    with pytest.raises(TypeError, match="`value` must be a float, got 'foo'"):
        trial.report("foo", -1)
    with pytest.raises(ValueError, match="`step` must be >= 0, got -1"):
        trial.report(1.0, -1)
