"""Exact hypervolume of minimized points: a sweep in 2-D and 3-D, WFG's recursion above."""

from __future__ import annotations

from typing import Any

import numpy as np

from tftune.study._multi_objective import nondominated_mask

#: Cells of the slab-by-point matrix the 3-D sweep builds at once (bounds memory to ~32 MB).
_CHUNK_CELLS = 4_000_000


def compute_hypervolume(
    loss_vals: Any, reference_point: Any, assume_pareto: bool = False
) -> float:
    """The volume dominated by ``loss_vals`` (an ``(n, k)`` array, every objective minimized)
    and bounded by ``reference_point`` (``k`` numbers).

    Points that are not strictly better than the reference in every objective add nothing and
    are ignored. ``assume_pareto=True`` skips removing dominated points (the result is the same
    either way; it saves time when the caller already has a Pareto front).
    """
    reference = np.asarray(reference_point, dtype=float)
    if reference.ndim != 1 or reference.size == 0:
        raise ValueError(
            f"`reference_point` must be a flat sequence of numbers, got shape {reference.shape}."
        )
    points = np.asarray(loss_vals, dtype=float)
    if points.size == 0:
        return 0.0
    if points.ndim != 2 or points.shape[1] != reference.size:
        raise ValueError(
            f"`loss_vals` must have shape (n, {reference.size}) to match `reference_point`, "
            f"got shape {points.shape}."
        )
    if np.isnan(points).any() or np.isnan(reference).any():
        raise ValueError("`loss_vals` and `reference_point` must not contain NaN.")
    points = points[np.all(points < reference, axis=1)]
    if len(points) == 0:
        return 0.0
    if not assume_pareto and points.shape[1] > 3:  # the sweeps of 2-D and 3-D skip them anyway
        points = np.unique(points[nondominated_mask(points)], axis=0)
    return float(_hypervolume(points, reference))


def _hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Volume of ``points``, all strictly inside ``reference`` (dominated ones add nothing)."""
    n, k = points.shape
    if n == 1:
        return float(np.prod(reference - points[0]))
    if k == 1:
        return float(reference[0] - points[:, 0].min())
    if k == 2:
        return _hypervolume_2d(points, reference)
    if k == 3:
        return _hypervolume_3d(points, reference)
    return _hypervolume_wfg(points, reference)


def _hypervolume_2d(points: np.ndarray, reference: np.ndarray) -> float:
    """Staircase area: sort by the first objective, keep each new best second objective."""
    order = np.lexsort((points[:, 1], points[:, 0]))
    x, y = points[order, 0], points[order, 1]
    best_y = np.minimum.accumulate(y)
    upper = np.concatenate(([reference[1]], best_y[:-1]))  # the step above each point
    return float(np.sum((reference[0] - x) * np.clip(upper - best_y, 0.0, None)))


def _hypervolume_3d(points: np.ndarray, reference: np.ndarray) -> float:
    """Sweep over the third objective: between consecutive z values the dominated region is the
    2-D staircase of the points at or below z. All staircases come at once from one matrix
    (rows: slabs, columns: points by x), in chunks of rows to bound memory.
    """
    by_z = points[np.argsort(points[:, 2], kind="stable")]
    z = by_z[:, 2]
    heights = np.diff(np.concatenate((z, [reference[2]])))  # thickness of each slab
    by_x = np.argsort(by_z[:, 0], kind="stable")
    xs = by_z[by_x, 0]
    widths = np.diff(np.concatenate((xs, [reference[0]])))
    y_by_x = by_z[by_x, 1]
    rank_by_x = by_x  # column m holds the point that entered at slab by_x[m]
    n = len(by_z)
    chunk = max(1, _CHUNK_CELLS // n)
    volume = 0.0
    for start in range(0, n, chunk):
        slabs = np.arange(start, min(n, start + chunk))
        present = rank_by_x[None, :] <= slabs[:, None]
        ys = np.where(present, y_by_x[None, :], reference[1])
        lowest = np.minimum.accumulate(ys, axis=1)  # the staircase along x
        areas = (reference[1] - lowest) @ widths
        volume += float(areas @ heights[slabs])
    return volume


def _hypervolume_wfg(points: np.ndarray, reference: np.ndarray) -> float:
    """WFG (While, Bradstreet and Barone 2012): the sum of each point's exclusive volume.

    Points are taken worst-last-objective first, so the points after one are all at least as
    good in the last objective: limited to its box they share its last value, and their volume
    is a (k-1)-dimensional one times that slab's thickness.
    """
    points = points[np.argsort(-points[:, -1], kind="stable")]
    total = 0.0
    for i in range(len(points)):
        point = points[i]
        own = float(np.prod(reference - point))
        limited = np.maximum(points[i + 1 :, :-1], point[:-1])
        limited = limited[np.all(limited < reference[:-1], axis=1)]
        if len(limited):
            if limited.shape[1] > 3:
                limited = np.unique(limited[nondominated_mask(limited)], axis=0)
            own -= (reference[-1] - point[-1]) * _hypervolume(limited, reference[:-1])
        total += own
    return total
