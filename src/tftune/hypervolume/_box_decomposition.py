"""The region no point dominates, as disjoint boxes (what expected hypervolume improvement sums
over).

A sweep along the last objective: the region of the first ``k - 1`` objectives that the points
seen so far leave free is kept as disjoint boxes; each point, taken in ascending order of its last
objective, closes the boxes that reach into its dominated orthant (their slab in the last
objective ends at the point) and opens what is left of them outside the orthant (a box minus an
orthant is at most ``k - 1`` disjoint boxes). In two objectives this is the staircase's ``n + 1``
strips.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tftune.study._multi_objective import nondominated_mask


def non_dominated_box_bounds(
    loss_vals: Any, reference_point: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Disjoint boxes whose union is the part of ``(-inf, reference_point]`` that no point of
    ``loss_vals`` (an ``(n, k)`` array, every objective minimized) dominates.

    Returns ``(lower, upper)``, each of shape ``(n_boxes, k)``; lower bounds may be ``-inf``.
    Points not strictly better than the reference in every objective are ignored. A point ``y``
    improves the hypervolume by ``sum over boxes of prod(max(upper - max(y, lower), 0))``.
    """
    reference = np.asarray(reference_point, dtype=float)
    if reference.ndim != 1 or reference.size == 0:
        raise ValueError(
            f"`reference_point` must be a flat sequence of numbers, got shape {reference.shape}."
        )
    points = np.asarray(loss_vals, dtype=float).reshape(-1, reference.size)
    if np.isnan(points).any() or np.isnan(reference).any():
        raise ValueError("`loss_vals` and `reference_point` must not contain NaN.")
    k = reference.size
    points = points[np.all(points < reference, axis=1)]
    if len(points):
        points = np.unique(points[nondominated_mask(points)], axis=0)
    if k == 1:
        top = points[:, 0].min() if len(points) else reference[0]
        return np.array([[-np.inf]]), np.array([[top]])
    points = points[np.argsort(points[:, -1], kind="stable")]
    if k == 2:
        return _staircase(points, reference)
    return _sweep(points, reference)


def _staircase(points: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two objectives, the front sorted by its second objective: strip ``i`` is
    ``(-inf, x_i) x [z_i, z_{i+1})`` with ``x = (r_1, front's x)``, ``z = (-inf, front's z, r_2)``
    (the sweep's boxes, built at once)."""
    n = len(points)
    lower = np.column_stack([np.full(n + 1, -np.inf), np.concatenate([[-np.inf], points[:, 1]])])
    upper = np.column_stack(
        [
            np.concatenate([reference[:1], points[:, 0]]),
            np.concatenate([points[:, 1], reference[1:]]),
        ]
    )
    return lower, upper


def _sweep(points: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sweep of the module's docstring over ``points``: non-dominated, unique, sorted by the
    last objective, all strictly inside ``reference``."""
    k = reference.size
    # The free region of the first k - 1 objectives: disjoint boxes [low, high), opened at z.
    low = np.full((1, k - 1), -np.inf)
    high = reference[None, :-1].copy()
    opened = np.array([-np.inf])
    lowers, uppers = [], []
    for point in points:
        head, z = point[:-1], point[-1]
        hit = np.all(head < high, axis=1)  # the boxes reaching into the point's orthant
        if not hit.any():
            continue
        hit_low, hit_high, hit_opened = low[hit], high[hit], opened[hit]
        thick = hit_opened < z
        lowers.append(np.column_stack([hit_low[thick], hit_opened[thick]]))
        uppers.append(np.column_stack([hit_high[thick], np.full(int(thick.sum()), z)]))
        pieces_low, pieces_high = _minus_orthant(hit_low, hit_high, head)
        low = np.vstack([low[~hit], pieces_low])
        high = np.vstack([high[~hit], pieces_high])
        opened = np.concatenate([opened[~hit], np.full(len(pieces_low), z)])
    thick = opened < reference[-1]
    lowers.append(np.column_stack([low[thick], opened[thick]]))
    uppers.append(np.column_stack([high[thick], np.full(int(thick.sum()), reference[-1])]))
    return np.vstack(lowers), np.vstack(uppers)


def _minus_orthant(
    low: np.ndarray, high: np.ndarray, corner: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each box ``[low, high)`` minus the orthant ``[corner, inf)`` that it reaches into, as
    disjoint boxes: piece ``j`` lies below the corner in axis ``j`` and inside the orthant in the
    axes before ``j``."""
    piece_lows, piece_highs = [], []
    clipped = low.copy()
    for j in range(low.shape[1]):
        keep = clipped[:, j] < corner[j]
        piece_low, piece_high = clipped[keep].copy(), high[keep].copy()
        piece_high[:, j] = corner[j]
        piece_lows.append(piece_low)
        piece_highs.append(piece_high)
        clipped[:, j] = np.maximum(clipped[:, j], corner[j])
    return np.vstack(piece_lows), np.vstack(piece_highs)
