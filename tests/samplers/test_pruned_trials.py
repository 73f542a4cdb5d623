"""Samplers learn from pruned trials: while few trials are complete, they compare trials at the
deepest step that enough trials reported (BOHB-like), and trials short of it rank behind; once
enough are complete, the pruned ones rank with them by their predicted final values."""

from __future__ import annotations

import numpy as np
import pytest

import tftune
from tftune.distributions import FloatDistribution
from tftune.samplers import GPSampler, RandomSampler, TPESampler
from tftune.samplers._tpe._observations import ObservationTable, rung_min_trials
from tftune.trial._state import TrialState

OPTIMUM = np.array([0.8, 0.2])
SPACE = {"x0": FloatDistribution(0.0, 1.0), "x1": FloatDistribution(0.0, 1.0)}


def loss_at(point: np.ndarray, step: int) -> float:
    """A learning curve that keeps its ranking at every step: the distance to the optimum."""
    return float(np.sum((point - OPTIMUM) ** 2)) + 1.0 / (step + 1)


def run_trial(study: tftune.Study, point: np.ndarray, steps: int, prune: bool) -> None:
    """One scripted trial at ``point`` that reports ``steps`` steps, then is pruned or
    completes."""
    study.enqueue_trial({"x0": float(point[0]), "x1": float(point[1])})
    trial = study.ask()
    for name in SPACE:
        trial.suggest_float(name, 0.0, 1.0)
    for step in range(steps):
        trial.report(loss_at(point, step), step)
    if prune:
        study.tell(trial, state=TrialState.PRUNED)
    else:
        study.tell(trial, loss_at(point, steps))


def scripted_study(sampler, n_pruned: int = 30, n_complete: int = 3) -> tftune.Study:
    """``n_pruned`` random points reported at steps 0 and 1, then pruned, and ``n_complete``
    random points reported at steps 0-4, then complete (fixed points, whatever the sampler)."""
    rng = np.random.default_rng(123)
    study = tftune.create_study(sampler=sampler)
    for _ in range(n_pruned):
        run_trial(study, rng.random(2), steps=2, prune=True)
    for _ in range(n_complete):
        run_trial(study, rng.random(2), steps=5, prune=False)
    return study


def mean_distance_of_proposals(sampler, n: int = 8) -> float:
    study = scripted_study(sampler)
    points = []
    for _ in range(n):
        trial = study.ask()
        points.append([trial.suggest_float(name, 0.0, 1.0) for name in SPACE])
        study.tell(trial, state=TrialState.FAIL)  # keep the data the same for every proposal
    return float(np.mean(np.linalg.norm(np.array(points) - OPTIMUM, axis=1)))


@pytest.mark.parametrize(
    "make", [lambda: TPESampler(seed=0), lambda: GPSampler(seed=0)], ids=["tpe", "gp"]
)
def test_proposals_concentrate_near_the_optimum_seen_in_pruned_trials(make):
    # 3 complete trials alone are below the samplers' random start; the 33 trials at step 1
    # are not.
    random = mean_distance_of_proposals(RandomSampler(seed=0))
    learned = mean_distance_of_proposals(make())
    assert learned < 0.5 * random, (learned, random)
    assert learned < 0.2


def table_of(study: tftune.Study) -> ObservationTable:
    table = ObservationTable(SPACE)
    table.update(study.get_trials(deepcopy=False), sign=1.0)
    return table


def test_rung_is_the_deepest_step_enough_trials_reached():
    study = scripted_study(RandomSampler(seed=0), n_pruned=12, n_complete=3)
    rng = np.random.default_rng(5)
    for _ in range(4):  # deeper, but too few trials there
        run_trial(study, rng.random(2), steps=4, prune=True)
    table = table_of(study)
    assert rung_min_trials(2) == 10
    assert table.rung(10) == 1  # 12 + 4 pruned trials and 3 complete ones reached step 1
    assert table.rung(19) == 1 and table.rung(20) is None
    assert table.rung(3) is None  # enough complete trials: their final values count


def test_trials_short_of_the_rung_rank_behind_it():
    study = scripted_study(RandomSampler(seed=0), n_pruned=12, n_complete=3)
    run_trial(study, OPTIMUM, steps=1, prune=True)  # the best point, but pruned before step 1
    table = table_of(study)
    leaders, losses = table.leaders(10)
    assert len(leaders) == 15  # the 12 pruned at step 1 and the 3 complete trials
    shallow = int(np.flatnonzero(table.number[: len(table)] == 15)[0])
    assert shallow not in leaders
    good, bad = table.split(leaders, losses, 2)
    assert bad[-1] == shallow
    expected = sorted(
        range(15), key=lambda i: loss_at(np.array([table.numeric[i, 0], table.numeric[i, 1]]), 1)
    )
    assert list(good) == expected[:2]


def test_pruned_trials_rank_with_the_complete_ones_once_there_are_enough():
    study = scripted_study(RandomSampler(seed=0), n_pruned=12, n_complete=10)
    table = table_of(study)
    assert table.rung(10) is None
    leaders, losses = table.leaders(10)
    assert sorted(table.number[leaders]) == list(range(22))
    complete = table.kind[leaders] == 0
    assert np.allclose(losses[complete], [loss_at(table.numeric[i], 5) for i in leaders[complete]])
    # two reports are too few to fit a curve: a pruned trial's last report counts
    pruned = leaders[~complete]
    assert np.allclose(losses[~complete], [loss_at(table.numeric[i], 1) for i in pruned])
    rows, ordered = table.leaders_by_loss(10)
    assert sorted(rows) == sorted(leaders) and np.all(np.diff(ordered) >= 0)
    assert np.allclose(ordered, np.sort(losses))


def exponential(final: float, step: int) -> float:
    return final + 0.5 * 0.7**step


def test_pruned_trials_count_with_their_curve_extrapolated_to_the_last_step():
    study = tftune.create_study(sampler=RandomSampler(seed=0))
    finals = np.linspace(-0.19, 0.1, 10)
    for number, final in enumerate(finals):  # complete, 20 steps
        study.enqueue_trial({"x0": 0.1 * number, "x1": 0.5})
        trial = study.ask()
        for name in SPACE:
            trial.suggest_float(name, 0.0, 1.0)
        for step in range(20):
            trial.report(exponential(float(final), step), step)
        study.tell(trial, exponential(float(final), 19))
    study.enqueue_trial({"x0": 0.95, "x1": 0.5})  # pruned at step 6, heading for -0.2
    trial = study.ask()
    for name in SPACE:
        trial.suggest_float(name, 0.0, 1.0)
    for step in range(7):
        trial.report(exponential(-0.2, step), step)
    study.tell(trial, state=TrialState.PRUNED)
    table = table_of(study)
    rows, losses = table.leaders_by_loss(10)
    assert table.number[rows[0]] == 10  # the best, though its last report is behind others
    assert np.count_nonzero(finals < exponential(-0.2, 6)) >= 2
    assert abs(losses[0] - exponential(-0.2, 19)) < 1e-6


def test_a_longer_complete_trial_moves_the_horizon_of_the_predictions():
    study = scripted_study(RandomSampler(seed=0), n_pruned=0, n_complete=10)
    point = np.array([0.5, 0.5])
    run_trial(study, point, steps=4, prune=True)
    table = table_of(study)
    _, before = table.leaders_by_loss(10)
    run_trial(study, np.array([0.0, 0.0]), steps=40, prune=False)
    table.update(study.get_trials(deepcopy=False), sign=1.0)
    rows, after = table.leaders_by_loss(10)
    pruned = int(np.flatnonzero(table.kind[rows] == 1)[0])
    reports = {s: loss_at(point, s) for s in range(4)}
    expected = tftune.pruners.extrapolate(reports, 3, 40, minimize=True)
    assert abs(after[pruned] - expected) < 1e-9
    assert expected < before.max() + 1.0 and len(after) == len(before) + 1
