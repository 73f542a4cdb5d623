"""Discrete spaces: candidates are scored on the grid, and no configuration is proposed twice
while untried ones remain, but for the one noise probe (the best configuration proposed again
after ``PROBE_AFTER`` model-based trials; see test_samplers_noise_probe.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.distributions import FloatDistribution, IntDistribution
from tftune.samplers import AutoSampler, GPSampler, TPESampler
from tftune.samplers._tpe._repeats import PROBE_AFTER, DiscreteGrid
from tftune.samplers._tpe._transform import NumericAxis

SAMPLERS = {
    "tpe": lambda **kw: TPESampler(seed=0, n_startup_trials=5, **kw),
    "gp": lambda **kw: GPSampler(seed=0, n_startup_trials=5, **kw),
}


def bowl(trial):
    """A 6 x 5 grid (30 configurations) with one best corner: a model converges on it fast."""
    a = trial.suggest_int("a", 0, 5)
    b = trial.suggest_categorical("b", ["p", "q", "r", "s", "t"])
    return (a - 1) ** 2 + "pqrst".index(b)


def configurations(study):
    return [(t.params["a"], t.params["b"]) for t in study.trials]


@pytest.mark.parametrize("name", SAMPLERS)
def test_model_proposals_are_new_configurations_until_the_grid_is_exhausted(name):
    study = tftune.create_study(sampler=SAMPLERS[name]())
    study.optimize(bowl, n_trials=34)
    seen = configurations(study)
    probe = 5 + PROBE_AFTER
    values = [t.value for t in study.trials]
    best = seen[int(np.argmin(values[:probe]))]
    assert seen[probe] == best  # the noise probe: the best so far, once (the objective is exact)
    for i in range(
        5, 31
    ):  # the model's proposals (after the 5 random ones), while configurations are left
        if len(set(seen[:i])) < 30 and i != probe:
            assert seen[i] not in seen[:i], (i, seen[i])
    assert (
        len(set(seen)) == 30
    )  # every configuration tried; then repeats are allowed (trials 31-33 ran)


@pytest.mark.parametrize("name", SAMPLERS)
def test_without_avoid_repeats_a_converged_model_proposes_tried_configurations(name):
    study = tftune.create_study(sampler=SAMPLERS[name](avoid_repeats=False))
    study.optimize(bowl, n_trials=30)
    assert len(set(configurations(study))) < 30


@pytest.mark.parametrize("name", SAMPLERS)
def test_running_trials_count_as_tried(name):
    study = tftune.create_study(sampler=SAMPLERS[name]())
    study.optimize(bowl, n_trials=10)
    running = [study.ask() for _ in range(6)]
    proposed = [
        (t.suggest_int("a", 0, 5), t.suggest_categorical("b", ["p", "q", "r", "s", "t"]))
        for t in running
    ]
    assert len(set(proposed)) == 6
    assert not set(proposed) & set(configurations(study)[:10])


def test_the_default_sampler_avoids_repeats_on_a_small_integer_grid():
    study = tftune.create_study(sampler=AutoSampler(seed=1))
    study.optimize(
        lambda t: abs(t.suggest_int("x", 0, 9) - 3) + abs(t.suggest_int("y", 0, 4) - 2),
        n_trials=40,
    )
    values = [(t.params["x"], t.params["y"]) for t in study.trials]
    model = values[10:]
    # 30 model proposals, no two alike (the grid has 50), and none of the random ones, but for
    # at most one noise probe (none here: two random trials already drew one configuration
    # and got one value, so the objective is known to repeat its values)
    assert len(set(model)) == 30
    assert not set(model) & set(values[:10])
    assert len(set(values[:10])) < 10


def test_a_continuous_parameter_turns_the_check_off():
    axes = [NumericAxis(IntDistribution(0, 5)), NumericAxis(FloatDistribution(0.0, 1.0))]
    assert not DiscreteGrid(axes, []).is_finite
    assert DiscreteGrid(axes[:1], [3]).is_finite


def test_grid_snaps_log_ints_and_stepped_floats_in_model_space():
    log_int = NumericAxis(IntDistribution(1, 100, log=True))
    stepped = NumericAxis(FloatDistribution(0.0, 1.0, step=0.25))
    grid = DiscreteGrid([log_int, stepped], [4])
    snapped = grid.snap(np.array([[math.log(7.4), 0.3], [math.log(150.0), -0.2]]))
    assert np.allclose(snapped, [[math.log(7.0), 0.25], [math.log(100.0), 0.0]])
    assert grid.size == 100 * 5 * 4
    assert grid.keys(snapped[:1], np.array([[2]])) == grid.keys(
        np.array([[math.log(7.0), 0.25]]), np.array([[2]])
    )
    numeric, categorical = DiscreteGrid([stepped], [2]).enumerate()
    assert numeric.shape == (10, 1) and categorical.shape == (10, 1)
    assert sorted(set(numeric[:, 0])) == [0.0, 0.25, 0.5, 0.75, 1.0]


@pytest.mark.parametrize("name", SAMPLERS)
def test_define_by_run_branches_turn_the_check_off(name):
    """With parameters outside the shared space, the same shared values can be a new
    configuration: the proposals are those of ``avoid_repeats=False``."""

    def objective(trial):
        x = trial.suggest_int("x", 0, 9)
        return trial.suggest_float("y", 0.0, 1.0) if x == 0 else float(x)

    runs = []
    for avoid in (True, False):
        study = tftune.create_study(sampler=SAMPLERS[name](avoid_repeats=avoid))
        study.optimize(objective, n_trials=15)
        runs.append([t.params["x"] for t in study.trials])
    assert runs[0] == runs[1]
    assert len(set(runs[0][:10])) < 10  # x repeated while other values were untried


def test_the_check_covers_categorical_only_spaces():
    study = tftune.create_study(sampler=GPSampler(seed=0, n_startup_trials=2))
    study.enqueue_trial({"c": "x"})
    study.enqueue_trial({"c": "y"})
    study.optimize(
        lambda t: ["x", "y", "z"].index(t.suggest_categorical("c", ["x", "y", "z"])), n_trials=3
    )
    assert [t.params["c"] for t in study.trials] == [
        "x",
        "y",
        "z",
    ]  # z is worse by the model, but untried
