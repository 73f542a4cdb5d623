"""Samplers compare pruned trials at a rung by their predicted final values: a slow starter
(behind at the rung, heading lower) ranks ahead of a fast learner that has stalled."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.distributions import FloatDistribution
from tftune.samplers import GPSampler, RandomSampler, TPESampler
from tftune.samplers._tpe._observations import ObservationTable
from tftune.trial._state import TrialState

SPACE = {"x": FloatDistribution(0.0, 1.0)}
STEPS = 20


def loss_at(x: float, step: int) -> float:
    """Small x learns slowly but ends low (0.1), large x learns fast and stalls high (0.5)."""
    final = 0.1 + 0.4 * x
    rate = 0.1 + 3.0 * x * x
    return final + (1.0 - final) * math.exp(-rate * (step + 1))


def run_trial(study: tftune.Study, x: float, steps: int) -> None:
    study.enqueue_trial({"x": x})
    trial = study.ask()
    trial.suggest_float("x", 0.0, 1.0)
    for step in range(steps):
        trial.report(loss_at(x, step), step)
    if steps < STEPS:
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, loss_at(x, STEPS - 1))


def scripted_study(sampler) -> tftune.Study:
    """30 trials pruned after 6 steps, at evenly spread x, and 2 complete ones at x = 0.5."""
    study = tftune.create_study(sampler=sampler)
    for x in np.linspace(0.0, 1.0, 30):
        run_trial(study, float(x), steps=6)
    for _ in range(2):
        run_trial(study, 0.5, steps=STEPS)
    return study


def test_the_rung_ranks_slow_starters_by_where_they_are_heading():
    assert loss_at(0.0, 5) > loss_at(1.0, 5)  # the raw values at the rung say the opposite
    table = ObservationTable(SPACE)
    table.update(scripted_study(RandomSampler(seed=0)).get_trials(deepcopy=False), sign=1.0)
    assert table.rung(10) == 5
    leaders, losses = table.leaders(10)
    xs = table.numeric[leaders, 0]
    slow, fast = losses[xs < 0.2], losses[(xs > 0.8) & (table.kind[leaders] == 1)]
    assert slow.max() < fast.min()
    assert np.all(np.abs(losses[xs < 0.2] - (0.1 + 0.4 * xs[xs < 0.2])) < 0.15)


@pytest.mark.parametrize(
    "make", [lambda: TPESampler(seed=0), lambda: GPSampler(seed=0)], ids=["tpe", "gp"]
)
def test_proposals_follow_the_slow_starters(make):
    study = scripted_study(make())
    xs = []
    for _ in range(8):
        trial = study.ask()
        xs.append(trial.suggest_float("x", 0.0, 1.0))
        study.tell(trial, state=TrialState.FAIL)  # the same data for every proposal
    assert float(np.mean(xs)) < 0.25, xs
