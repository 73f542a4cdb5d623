"""Pareto fronts for studies with several objectives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial


def pareto_front(
    trials: Sequence[FrozenTrial], directions: Sequence[StudyDirection]
) -> list[FrozenTrial]:
    """The trials that no other trial dominates (at least as good everywhere, better somewhere).

    Trials with identical values are all kept, as they are equally good.
    """
    trials = [t for t in trials if t.values is not None]
    if not trials:
        return []
    signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
    loss = np.array([t.values for t in trials], dtype=float) * signs  # everything minimized
    order = np.lexsort(loss.T[::-1])  # sort by the first objective, then the next ...
    kept: list[int] = []
    front = np.empty((0, loss.shape[1]))
    for index in order:
        point = loss[index]
        dominated = np.any(np.all(front <= point, axis=1) & np.any(front < point, axis=1))
        if not dominated:
            kept.append(index)
            front = np.vstack([front, point])
    return [trials[i] for i in sorted(kept, key=lambda i: trials[i].number)]
