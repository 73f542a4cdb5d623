"""Pareto fronts for studies with several objectives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial

#: Points compared at once by ``nondominated_mask`` (bounds its memory to about 32 MB).
_CHUNK_CELLS = 4_000_000


def loss_values(
    values: Sequence[Sequence[float]], directions: Sequence[StudyDirection]
) -> np.ndarray:
    """Objective values as an ``(n, k)`` array in which every objective is minimized."""
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    loss: np.ndarray = np.asarray(values, dtype=float).reshape(-1, len(signs)) * signs
    return loss


def nondominated_mask(loss: np.ndarray) -> np.ndarray:
    """Which rows of ``loss`` (minimized) no other row dominates: at least as good everywhere,
    better somewhere. Identical rows are all kept, as they are equally good.
    """
    loss = np.asarray(loss, dtype=float)
    n = len(loss)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    if loss.shape[1] == 2:
        return _nondominated_mask_2d(loss)
    chunk = max(1, _CHUNK_CELLS // (n * loss.shape[1]))
    for start in range(0, n, chunk):
        block = loss[start : start + chunk, None, :]  # (b, 1, k) against all (1, n, k)
        no_worse = np.all(loss[None, :, :] <= block, axis=2)
        better = np.any(loss[None, :, :] < block, axis=2)
        keep[start : start + chunk] = ~np.any(no_worse & better, axis=1)
    return keep


def _nondominated_mask_2d(loss: np.ndarray) -> np.ndarray:
    """``nondominated_mask`` for two objectives in O(n log n): among distinct points sorted by
    (first, second), one is dominated exactly when an earlier one has a second value <= its own.
    """
    unique, inverse = np.unique(loss, axis=0, return_inverse=True)  # sorted lexicographically
    earlier_best = np.minimum.accumulate(np.concatenate(([np.inf], unique[:-1, 1])))
    return ~(earlier_best <= unique[:, 1])[inverse.ravel()]


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """The trials that no other trial dominates (at least as good everywhere, better somewhere).

    Trials with identical values are all kept, as they are equally good.
    """
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    keep = nondominated_mask(loss_values([t.values for t in trials], directions))  # type: ignore[misc]
    return sorted(
        (t for t, kept in zip(trials, keep, strict=True) if kept), key=lambda t: t.number
    )


def nondomination_ranks(
    loss: np.ndarray, penalty: np.ndarray | None = None, n_needed: int | None = None
) -> np.ndarray:
    """Each row's front in a non-dominated sort of ``loss`` (minimized): 0 for the Pareto front,
    1 for the front of what remains, and so on.

    With ``penalty`` (each row's total constraint violation, 0 when feasible) the sort is Deb's
    constrained one: the feasible rows are sorted by their objectives first, then the infeasible
    ones rank after them, one rank per distinct penalty, the smallest first. With ``n_needed``
    the sort stops once that many rows are ranked; the rest get the next rank.
    """
    loss = np.asarray(loss, dtype=float)
    n = len(loss)
    ranks = np.full(n, -1, dtype=np.int64)
    feasible = np.ones(n, dtype=bool) if penalty is None else np.asarray(penalty) <= 0.0
    limit = n if n_needed is None else min(n, n_needed)
    remaining = np.flatnonzero(feasible)
    rank, ranked = 0, 0
    while len(remaining) and ranked < limit:
        front = nondominated_mask(loss[remaining])
        ranks[remaining[front]] = rank
        ranked += int(front.sum())
        remaining = remaining[~front]
        rank += 1
    if len(remaining):  # stopped early: the rest of the feasible rows share the next rank
        ranks[remaining] = rank
        rank += 1
    if penalty is not None and not feasible.all():
        infeasible = np.flatnonzero(~feasible)
        _, by_penalty = np.unique(np.asarray(penalty)[infeasible], return_inverse=True)
        ranks[infeasible] = rank + by_penalty.ravel()
    return ranks


def crowding_distance(loss: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance of each row of one front: per objective, the gap between its
    neighbours divided by the objective's range, summed; the extreme rows get infinity."""
    loss = np.asarray(loss, dtype=float)
    n, k = loss.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(loss[:, j], kind="stable")
        values = loss[order, j]
        span = values[-1] - values[0]
        if not np.isfinite(span) or span == 0.0:
            continue
        distance[order[0]] = distance[order[-1]] = np.inf
        distance[order[1:-1]] += (values[2:] - values[:-2]) / span
    return distance


def constrained_dominates(
    loss_a: np.ndarray, penalty_a: float, loss_b: np.ndarray, penalty_b: float
) -> bool:
    """Deb's constrained domination: a feasible row beats an infeasible one, of two infeasible
    ones the smaller violation wins, and of two feasible ones Pareto domination decides."""
    if penalty_a <= 0.0 and penalty_b <= 0.0:
        return bool(np.all(loss_a <= loss_b) and np.any(loss_a < loss_b))
    if penalty_a <= 0.0 or penalty_b <= 0.0:
        return penalty_a <= 0.0
    return penalty_a < penalty_b
