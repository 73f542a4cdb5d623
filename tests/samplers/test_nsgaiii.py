"""NSGA-III: Das-Dennis reference points, normalization, niching, and the sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.samplers import NSGAIIISampler
from tftune.samplers._nsgaiii._reference_points import (
    associate,
    das_dennis,
    niche_select,
    normalize,
)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def test_das_dennis_points_are_every_simplex_lattice_point() -> None:
    points = das_dennis(3, 3)
    assert points.shape == (math.comb(5, 2), 3)
    assert np.allclose(points.sum(axis=1), 1.0)
    assert len({tuple(p) for p in np.round(points * 3).astype(int)}) == 10
    assert das_dennis(2, 4).tolist() == [[0, 1], [0.25, 0.75], [0.5, 0.5], [0.75, 0.25], [1, 0]]


def test_normalize_maps_the_extremes_onto_the_unit_axes() -> None:
    loss = np.array([[1.0, 11.0], [3.0, 5.0], [5.0, 1.0]])  # a line: intercepts 4 and 10
    scaled = normalize(loss)
    assert np.allclose(scaled[0], [0.0, 1.0]) and np.allclose(scaled[2], [1.0, 0.0])


def test_each_point_joins_its_nearest_reference_line() -> None:
    references = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    nearest, distance = associate(np.array([[0.9, 0.1], [0.4, 0.5], [0.0, 2.0]]), references)
    assert nearest.tolist() == [0, 1, 2]
    assert distance[2] == pytest.approx(0.0)


def test_niching_fills_empty_reference_points_first() -> None:
    nearest = np.array([0, 0, 0, 1, 2])  # rows 0-1 chosen on point 0; 2, 3, 4 in the front
    distance = np.array([0.0, 0.0, 0.1, 0.3, 0.2])
    picked = niche_select(
        nearest, distance, np.array([0, 1]), np.array([2, 3, 4]), 2, 3, np.random.default_rng(0)
    )
    assert sorted(picked) == [3, 4]


def test_reference_points_must_match_the_objectives() -> None:
    with pytest.raises(ValueError, match=r"`reference_points` must be None or a finite 2-D"):
        NSGAIIISampler(reference_points=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"`dividing_parameter` must be an int >= 1, got 0"):
        NSGAIIISampler(dividing_parameter=0)
    sampler = NSGAIIISampler(population_size=4, reference_points=[[1.0, 0.0], [0.0, 1.0]])
    study = tftune.create_study(directions=["minimize"] * 3, sampler=sampler)
    objective = lambda t: (t.suggest_float("a", 0, 1), t.suggest_float("b", 0, 1), 0.5)  # noqa: E731
    with pytest.raises(ValueError, match="`reference_points` have 2 coordinates, but the study"):
        study.optimize(objective, n_trials=12)


def test_nsga3_spreads_a_three_objective_front() -> None:
    def dtlz2(trial):
        x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(4)]
        g = sum((v - 0.5) ** 2 for v in x[2:])
        a, b = x[0] * math.pi / 2, x[1] * math.pi / 2
        return (
            (1 + g) * math.cos(a) * math.cos(b),
            (1 + g) * math.cos(a) * math.sin(b),
            (1 + g) * math.sin(a),
        )

    study = tftune.create_study(
        directions=["minimize"] * 3, sampler=NSGAIIISampler(population_size=10, seed=0)
    )
    study.optimize(dtlz2, n_trials=60)
    generations = [t.system_attrs["NSGAIIISampler:generation"] for t in study.trials]
    assert generations[-1] == 5
    parents = study.system_attrs["NSGAIIISampler:parent:5"]
    assert len(parents) == 10
    by_id = {t.trial_id: t for t in study.trials}
    values = np.array([by_id[i].values for i in parents])
    assert np.all(values.max(axis=0) - values.min(axis=0) > 0.3)  # spread on every objective
