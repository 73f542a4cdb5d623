"""Non-dominated sorting, crowding distance and constrained domination (Deb et al. 2002)."""

from __future__ import annotations

import numpy as np

from tftune.study._multi_objective import (
    constrained_dominates,
    crowding_distance,
    nondomination_ranks,
)


def _brute_force_ranks(loss: np.ndarray) -> np.ndarray:
    ranks = np.full(len(loss), -1)
    rank, left = 0, set(range(len(loss)))
    while left:
        front = {
            i
            for i in left
            if not any(np.all(loss[j] <= loss[i]) and np.any(loss[j] < loss[i]) for j in left)
        }
        for i in front:
            ranks[i] = rank
        left -= front
        rank += 1
    return ranks


def test_ranks_match_a_brute_force_sort_in_two_and_three_objectives() -> None:
    rng = np.random.default_rng(0)
    for k in (2, 3):
        loss = rng.integers(0, 6, size=(40, k)).astype(float)  # ties included
        assert np.array_equal(nondomination_ranks(loss), _brute_force_ranks(loss))


def test_ranks_stop_once_enough_rows_are_ranked() -> None:
    loss = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert nondomination_ranks(loss, n_needed=2).tolist() == [0, 1, 2, 2]


def test_infeasible_rows_rank_after_feasible_ones_by_violation() -> None:
    loss = np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 9.0], [9.0, 1.0], [0.0, 0.0]])
    penalty = np.array([2.0, 0.0, 0.0, 0.0, 0.5])
    # feasible: row 1 is dominated by neither 2 nor 3 -> all rank 0; then 0.5, then 2.0
    assert nondomination_ranks(loss, penalty).tolist() == [2, 0, 0, 0, 1]


def test_crowding_distance_favours_the_extremes_and_sparse_rows() -> None:
    loss = np.array([[0.0, 4.0], [1.0, 3.0], [1.1, 2.9], [4.0, 0.0]])
    distance = crowding_distance(loss)
    assert np.isinf(distance[0]) and np.isinf(distance[3])
    # row 1's neighbours span [0, 1.1] x [2.9, 4]; row 2's span [1, 4] x [0, 3]
    assert distance[1] == np.float64(1.1 / 4 + 1.1 / 4)
    assert distance[2] > distance[1]


def test_constrained_domination() -> None:
    good, bad = np.array([0.0, 0.0]), np.array([1.0, 1.0])
    assert constrained_dominates(good, 0.0, bad, 0.0)
    assert not constrained_dominates(bad, 0.0, good, 0.0)
    assert constrained_dominates(bad, 0.0, good, 0.1)  # feasible beats infeasible
    assert constrained_dominates(bad, 0.1, good, 0.2)  # smaller violation wins
    assert not constrained_dominates(good, 0.2, bad, 0.1)
    assert not constrained_dominates(good, 0.0, good, 0.0)
