"""BaseGASampler: generations, populations and kept parents for a genetic sampler of one's own
(the shape of OptunaHub's GA samplers), under Optuna's keys."""

from __future__ import annotations

import numpy as np
import pytest

import tftune
from tftune.samplers import BaseGASampler
from tftune.trial import TrialState


class HalfElite(BaseGASampler):
    """Keeps the better half of each generation; children perturb a random parent."""

    def __init__(self, population_size=4, seed=0):
        super().__init__(population_size)
        self.rng = np.random.default_rng(seed)
        self.selected = []

    def select_parent(self, study, generation):
        self.selected.append(generation)
        pool = self.get_population(study, generation - 1)
        pool += self.get_parent_population(study, generation - 1)
        return sorted(pool, key=lambda t: t.value)[: self.population_size // 2]

    def infer_relative_search_space(self, study, trial):
        return {"x": tftune.distributions.FloatDistribution(-5, 5)}

    def sample_relative(self, study, trial, search_space):
        generation = self.get_trial_generation(study, trial)
        parents = self.get_parent_population(study, generation)
        if not parents:
            return {}
        parent = parents[self.rng.integers(len(parents))]
        return {"x": float(np.clip(parent.params["x"] + self.rng.normal(0, 0.3), -5, 5))}

    def sample_independent(self, study, trial, name, distribution):
        return float(self.rng.uniform(distribution.low, distribution.high))


def _objective(trial):
    return (trial.suggest_float("x", -5, 5) - 1.0) ** 2


def test_generations_fill_one_population_at_a_time(sqlite_url):
    sampler = HalfElite(population_size=4)
    study = tftune.create_study(storage=sqlite_url, sampler=sampler)
    study.optimize(_objective, n_trials=12)
    generations = [t.system_attrs["HalfElite:generation"] for t in study.trials]
    assert generations == [0] * 4 + [1] * 4 + [2] * 4
    assert [t.number for t in sampler.get_population(study, 1)] == [4, 5, 6, 7]
    assert sampler.get_parent_population(study, 0) == []
    parents = sampler.get_parent_population(study, 2)
    best_of_gen1_and_parents = sorted(
        sampler.get_population(study, 1) + sampler.get_parent_population(study, 1),
        key=lambda t: t.value,
    )[:2]
    assert [t.number for t in parents] == [t.number for t in best_of_gen1_and_parents]
    assert sampler.selected == [1, 2]  # once per generation
    saved = study.system_attrs["HalfElite:parent:2"]
    assert saved == [t.trial_id for t in parents]
    assert min(t.value for t in study.trials[8:]) <= min(t.value for t in study.trials[:4])


def test_a_resumed_study_breeds_from_the_kept_parents(sqlite_url):
    first = HalfElite(population_size=4)
    study = tftune.create_study(study_name="ga", storage=sqlite_url, sampler=first)
    study.optimize(_objective, n_trials=10)
    kept = [t.number for t in first.get_parent_population(study, 2)]
    again = HalfElite(population_size=4, seed=1)
    resumed = tftune.load_study(study_name="ga", storage=sqlite_url, sampler=again)
    assert [t.number for t in again.get_parent_population(resumed, 2)] == kept
    assert again.selected == []  # read from the study, not chosen anew
    resumed.optimize(_objective, n_trials=2)
    assert resumed.trials[-1].system_attrs["HalfElite:generation"] == 2
    assert all(t.state == TrialState.COMPLETE for t in resumed.trials)


def test_the_population_size_is_checked():
    with pytest.raises(
        ValueError, match=r"`population_size` must be a positive int or None, got 0"
    ):
        HalfElite(population_size=0)
    sampler = HalfElite(population_size=None)
    study = tftune.create_study(sampler=sampler)
    with pytest.raises(ValueError, match=r"HalfElite.population_size must be set"):
        study.optimize(_objective, n_trials=1)
    sampler.population_size = 2
    study.optimize(_objective, n_trials=3)
    assert [t.state for t in study.trials][-3:] == [TrialState.COMPLETE] * 3
