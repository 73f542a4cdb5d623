"""Two objectives' free region built at once equals the general sweep's boxes."""

from __future__ import annotations

import numpy as np
import pytest

from tftune.hypervolume import compute_hypervolume, non_dominated_box_bounds
from tftune.hypervolume import _box_decomposition as boxes
from tftune.study._multi_objective import nondominated_mask


@pytest.mark.parametrize("n", [1, 2, 9, 80])
def test_staircase_equals_the_sweep(n: int) -> None:
    rng = np.random.default_rng(n)
    points = rng.random((n, 2))
    front = np.unique(points[nondominated_mask(points)], axis=0)
    front = front[np.argsort(front[:, 1], kind="stable")]
    reference = np.array([1.2, 1.3])
    fast = boxes._staircase(front, reference)
    sweep = boxes._sweep(front, reference)
    np.testing.assert_array_equal(fast[0], sweep[0])
    np.testing.assert_array_equal(fast[1], sweep[1])


def test_two_objective_boxes_cover_what_the_front_leaves_free() -> None:
    rng = np.random.default_rng(0)
    points = rng.random((30, 2))  # dominated points and points beyond the reference included
    reference = np.array([0.9, 0.95])
    lower, upper = non_dominated_box_bounds(points, reference)
    floor = -1.0
    free = np.prod(upper - np.maximum(lower, floor), axis=1).sum()
    assert free + compute_hypervolume(points, reference) == pytest.approx(
        np.prod(reference - floor), rel=1e-12
    )
    empty = non_dominated_box_bounds(np.empty((0, 2)), reference)
    np.testing.assert_array_equal(empty[1], [reference])
