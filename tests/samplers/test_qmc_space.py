"""QMCSampler's search space: the first finished trial's, or while none has finished the
running trials' so far; and its experimental warning."""

from __future__ import annotations

import pytest

import tftune
from tftune.distributions import FloatDistribution
from tftune.exceptions import ExperimentalWarning
from tftune.samplers import QMCSampler

pytestmark = pytest.mark.filterwarnings("ignore::tftune.exceptions.ExperimentalWarning")


def test_no_trials_no_space() -> None:
    sampler = QMCSampler(seed=0)
    study = tftune.create_study(sampler=sampler)
    assert sampler.infer_relative_search_space(study, study.ask()) == {}


def test_running_trials_give_a_speculative_space() -> None:
    sampler = QMCSampler(seed=0)
    study = tftune.create_study(sampler=sampler)
    first = study.ask()
    first.suggest_float("a", 1, 10)
    second = study.ask()
    second.suggest_int("b", 0, 3)
    second.suggest_float("one", 2.0, 2.0)  # a single value is left out
    space = sampler.infer_relative_search_space(study, study.ask())
    assert space == {"a": FloatDistribution(1, 10), "b": second.distributions["b"]}


def test_fixed_distributions_of_a_running_trial_count() -> None:
    sampler = QMCSampler(seed=0)
    study = tftune.create_study(sampler=sampler)
    study.ask(fixed_distributions={"a": FloatDistribution(1, 10)})
    assert set(sampler.infer_relative_search_space(study, study.ask())) == {"a"}


def test_the_first_finished_trial_fixes_the_space_even_if_pruned() -> None:
    sampler = QMCSampler(seed=0)
    study = tftune.create_study(sampler=sampler)
    trial = study.ask()
    trial.suggest_float("x", 0, 1)
    study.tell(trial, state=tftune.trial.TrialState.PRUNED)
    later = study.ask()
    later.suggest_float("y", 0, 1)  # running: no longer widens the space
    assert set(sampler.infer_relative_search_space(study, study.ask())) == {"x"}
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert all(0 <= t.params["x"] <= 1 for t in study.trials if "x" in t.params)


def test_qmc_sampler_is_experimental() -> None:
    with pytest.warns(ExperimentalWarning, match=r"QMCSampler is experimental \(supported from"):
        QMCSampler()
