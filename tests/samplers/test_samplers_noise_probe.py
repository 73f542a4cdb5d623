"""Noisy objectives on discrete grids: one noise probe, then repeats; the GP's incumbent is the
model's mean, not the luckiest observation."""

from __future__ import annotations

import numpy as np
import pytest

import tftune
from tftune.samplers import GPSampler, TPESampler
from tftune.samplers._gp._model import GaussianProcess
from tftune.samplers._gp._sampler import posterior_incumbent
from tftune.samplers._tpe._repeats import PROBE_AFTER

SAMPLERS = {
    "tpe": lambda: TPESampler(seed=3, n_startup_trials=5),
    "gp": lambda: GPSampler(seed=3, n_startup_trials=5),
}
GRID = 12 * 12


def suggest(trial):
    return trial.suggest_int("a", 0, 11), trial.suggest_int("b", 0, 11)


def exact(trial):
    a, b = suggest(trial)
    return (a - 4) ** 2 + (b - 7) ** 2


def configurations(study):
    return [(t.params["a"], t.params["b"]) for t in study.trials]


@pytest.mark.parametrize("name", SAMPLERS)
def test_an_exact_objective_gets_one_probe_of_the_best_configuration(name):
    study = tftune.create_study(sampler=SAMPLERS[name]())
    study.optimize(exact, n_trials=5 + PROBE_AFTER + 8)
    seen = configurations(study)
    assert len(set(seen[:5])) == 5  # (seeded: the random trials drew distinct ones)
    probe = 5 + PROBE_AFTER
    values = [t.value for t in study.trials]
    assert seen[probe] == seen[int(np.argmin(values[:probe]))]
    assert values[probe] == min(values[:probe])
    # one value twice: exact, so every other proposal is new
    others = seen[:probe] + seen[probe + 1 :]
    assert len(set(others)) == len(others)


@pytest.mark.parametrize("name", SAMPLERS)
def test_a_noisy_objective_turns_repeats_on(name):
    rng = np.random.default_rng(0)

    def noisy(trial):
        return exact(trial) + float(rng.normal(0.0, 3.0))

    study = tftune.create_study(sampler=SAMPLERS[name]())
    study.optimize(noisy, n_trials=5 + PROBE_AFTER + 20)
    seen = configurations(study)
    probe = 5 + PROBE_AFTER
    assert seen[probe] in seen[:probe]  # the probe found two values of one configuration
    later = seen[probe + 1 :]
    repeats = sum(1 for i, c in enumerate(later) if c in seen[: probe + 1 + i])
    assert repeats >= 2  # good configurations are evaluated again (the grid has 144)


def test_the_probe_waits_for_the_model_based_trials():
    study = tftune.create_study(sampler=TPESampler(seed=3, n_startup_trials=5))
    study.optimize(exact, n_trials=5 + PROBE_AFTER)
    seen = configurations(study)
    assert len(set(seen)) == len(seen)


def _noisy_data():
    """A smooth bowl observed three times per point with noise, plus one very lucky draw far from
    the bowl's bottom (at x = 0.9)."""
    rng = np.random.default_rng(1)
    x = np.repeat(np.linspace(0.0, 1.0, 11), 3)
    y = 4.0 * (x - 0.5) ** 2 + rng.normal(0.0, 0.15, len(x))
    lucky = int(np.flatnonzero(np.isclose(x, 0.9))[0])
    y[lucky] = -0.6
    y = (y - y.mean()) / y.std()
    return x[:, None], np.empty((len(x), 0), dtype=np.int64), y, lucky


def test_the_gp_incumbent_is_the_posterior_mean_not_the_lucky_draw():
    u, c, y, lucky = _noisy_data()
    model = GaussianProcess(1)
    model.fit(u, c, y)
    assert model.noise > 0.01  # the repeated points let it fit the noise
    best_y, top = posterior_incumbent(model, u, c)
    assert int(np.argmin(y)) == lucky
    assert best_y > float(y.min()) + 0.5
    assert abs(float(u[top[0], 0]) - 0.5) <= 0.1  # the bottom of the bowl, not x = 0.9
    assert len(top) == 5


def test_with_exact_observations_the_incumbent_is_the_lowest_value():
    u = np.linspace(0.0, 1.0, 9)[:, None]
    c = np.empty((9, 0), dtype=np.int64)
    y = np.sin(6.0 * u[:, 0])
    y = (y - y.mean()) / y.std()
    model = GaussianProcess(1, deterministic=True)
    model.fit(u, c, y)
    best_y, top = posterior_incumbent(model, u, c)
    assert best_y == pytest.approx(float(y.min()), abs=1e-4)
    assert int(top[0]) == int(np.argmin(y))
