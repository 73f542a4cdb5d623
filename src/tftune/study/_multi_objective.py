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
