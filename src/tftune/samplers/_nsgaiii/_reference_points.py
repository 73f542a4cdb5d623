"""Reference points of NSGA-III and how a front's trials are niched around them."""

from __future__ import annotations

import itertools

import numpy as np


def das_dennis(n_objectives: int, dividing_parameter: int) -> np.ndarray:
    """Das and Dennis's points on the unit simplex: every vector of ``n_objectives`` multiples
    of ``1 / dividing_parameter`` that sum to 1, shape (C(p + k - 1, k - 1), k)."""
    points = [
        np.diff((-1, *bars, dividing_parameter + n_objectives - 1)) - 1
        for bars in itertools.combinations(
            range(dividing_parameter + n_objectives - 1), n_objectives - 1
        )
    ]
    return np.array(points, dtype=float).reshape(-1, n_objectives) / dividing_parameter


def normalize(loss: np.ndarray) -> np.ndarray:
    """Objectives translated to the ideal point and scaled by the intercepts of the hyperplane
    through the extreme points (Deb and Jain 2014); where that plane is degenerate, by each
    objective's largest translated value."""
    translated = loss - loss.min(axis=0)
    k = loss.shape[1]
    weights = np.full((k, k), 1e-6) + np.eye(k) * (1.0 - 1e-6)
    scalarized = np.max(translated[None, :, :] / weights[:, None, :], axis=2)  # (k, n)
    extremes = translated[np.argmin(scalarized, axis=1)]
    intercepts = None
    try:
        plane = np.linalg.solve(extremes, np.ones(k))
        with np.errstate(divide="ignore"):
            intercepts = 1.0 / plane
    except np.linalg.LinAlgError:
        pass
    if intercepts is None or not np.all(np.isfinite(intercepts)) or np.any(intercepts <= 1e-10):
        intercepts = translated.max(axis=0)
    intercepts = np.where(intercepts > 1e-10, intercepts, 1.0)
    scaled: np.ndarray = translated / intercepts
    return scaled


def associate(points: np.ndarray, references: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest reference line (through the origin) and its distance to it."""
    directions = references / np.linalg.norm(references, axis=1, keepdims=True)
    along = points @ directions.T  # (n, m) projections
    squared = np.sum(points**2, axis=1, keepdims=True) - along**2
    distance = np.sqrt(np.maximum(squared, 0.0))
    nearest = np.argmin(distance, axis=1)
    return nearest, distance[np.arange(len(points)), nearest]


def niche_select(
    nearest: np.ndarray,
    distance: np.ndarray,
    chosen: np.ndarray,
    front: np.ndarray,
    room: int,
    n_references: int,
    rng: np.random.Generator,
) -> list[int]:
    """``room`` rows of ``front`` by niching: repeatedly the least crowded reference point takes
    its closest front member if nobody is there yet, else a random one of its members; a point
    with no member left in the front drops out."""
    counts = np.bincount(nearest[chosen], minlength=n_references).astype(float)
    left = {int(i) for i in front}
    picked: list[int] = []
    while len(picked) < room and left:
        fewest = np.flatnonzero(counts == counts.min())
        reference = int(fewest[int(rng.integers(len(fewest)))])
        members = [i for i in left if nearest[i] == reference]
        if not members:
            counts[reference] = np.inf
            continue
        if counts[reference] == 0:
            pick = min(members, key=lambda i: (distance[i], i))
        else:
            pick = sorted(members)[int(rng.integers(len(members)))]
        picked.append(pick)
        left.discard(pick)
        counts[reference] += 1
    return picked
