"""Exact hypervolume against a brute-force count over the grid the points span."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tftune.hypervolume import compute_hypervolume
from tftune.study._multi_objective import nondominated_mask


def brute_force(points: np.ndarray, reference: np.ndarray) -> float:
    """Sum of the grid cells (cut at every coordinate) that some point dominates."""
    axes = [
        np.unique(np.concatenate((points[:, d], [reference[d]]))) for d in range(len(reference))
    ]
    total = 0.0
    for cell in itertools.product(*(range(len(axis) - 1) for axis in axes)):
        low = np.array([axes[d][i] for d, i in enumerate(cell)])
        high = np.array([axes[d][i + 1] for d, i in enumerate(cell)])
        if np.any(np.all(points <= low, axis=1)):
            total += float(np.prod(high - low))
    return total


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_matches_the_grid_count(k):
    rng = np.random.default_rng(k)
    for n in (1, 2, 7):
        points = rng.integers(0, 5, size=(n, k)).astype(float)  # ties and duplicates happen
        reference = np.full(k, 5.0)
        assert compute_hypervolume(points, reference) == pytest.approx(
            brute_force(points, reference), rel=1e-12
        )


def test_points_outside_the_reference_add_nothing():
    reference = np.array([1.0, 1.0])
    points = np.array([[0.5, 0.5], [2.0, 0.0], [0.0, 1.0]])  # the last one only touches it
    assert compute_hypervolume(points, reference) == pytest.approx(0.25)
    assert compute_hypervolume(np.empty((0, 2)), reference) == 0.0
    assert compute_hypervolume(points[1:], reference) == 0.0


def test_large_fronts_agree_across_dimensions():
    # points on a sphere's quarter: every one is on the front; 3-D equals a 4-D box of depth 1
    rng = np.random.default_rng(0)
    points = np.abs(rng.normal(size=(400, 3)))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    three = compute_hypervolume(points, np.ones(3))
    four = compute_hypervolume(np.hstack((points, np.zeros((400, 1)))), np.ones(4))
    assert four == pytest.approx(three, rel=1e-12)
    assert 0.9 * (1 - np.pi / 6) < three < 1 - np.pi / 6  # at most all outside the sphere


def test_bad_shapes_are_refused():
    with pytest.raises(
        ValueError, match=r"`loss_vals` must have shape \(n, 2\).*got shape \(3,\)"
    ):
        compute_hypervolume(np.zeros(3), [1.0, 1.0])
    with pytest.raises(ValueError, match="`reference_point` must be a flat sequence"):
        compute_hypervolume(np.zeros((1, 2)), [[1.0, 1.0]])
    with pytest.raises(ValueError, match="must not contain NaN"):
        compute_hypervolume(np.array([[np.nan, 0.0]]), [1.0, 1.0])


def test_nondominated_mask_keeps_ties_in_two_and_more_objectives():
    for extra in (0, 1):
        loss = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [0.5, 3.0]])
        loss = np.hstack((loss, np.zeros((5, extra))))
        assert nondominated_mask(loss).tolist() == [True, True, True, False, True]
