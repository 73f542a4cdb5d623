"""GPSampler with constraints: the best feasible incumbent and feasibility-weighted log EI."""

from __future__ import annotations

import pytest

import tftune
from tftune.samplers import GPSampler


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def test_constrained_gp_reaches_the_optimum_on_the_constraint_boundary() -> None:
    sampler = GPSampler(seed=0, constraints_func=lambda t: [t.params["x"] + t.params["y"] - 1.0])
    study = tftune.create_study(sampler=sampler, direction="maximize")
    study.optimize(
        lambda t: t.suggest_float("x", -2, 2) + 2 * t.suggest_float("y", -2, 2), n_trials=25
    )
    assert study.best_value > 2.9  # the optimum: x = -1, y = 2, value 3
    assert study.best_trial.params["x"] + study.best_trial.params["y"] <= 1.0
    late = study.trials[15:]
    assert sum(t.params["x"] + t.params["y"] <= 1.0 for t in late) >= 0.6 * len(late)


def test_gp_reads_constraints_stored_by_another_sampler() -> None:
    auto = tftune.samplers.AutoSampler(
        seed=0, constraints_func=lambda t: [t.params["x"] - 0.5], tpe_every=None
    )
    study = tftune.create_study(sampler=auto, direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0.0, 1.0), n_trials=20)
    assert 0.45 < study.best_value <= 0.5
