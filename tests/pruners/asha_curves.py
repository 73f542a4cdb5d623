"""Learning curves and an ASHA run of them, shared by the tests of ASHA's final horizon
(test_asha_final_horizon.py) and of its two rankings at a rung (test_asha_two_rankings.py)."""

from __future__ import annotations

import math
from typing import Any

import tftune
from tftune.pruners import SuccessiveHalvingPruner
from tftune.pruners._successive_halving import CHECKPOINT_KEY
from tftune.trial import TrialState

STEPS = 27  # epochs 1..27; rungs (min_resource 1, factor 3) at epochs 1, 3, 9 and 27


def exponential(final: float, rate: float) -> list[float]:
    """A curve from 1.0 towards ``final`` at ``rate`` per epoch (epochs 1..STEPS)."""
    return [final + (1.0 - final) * math.exp(-rate * t) for t in range(1, STEPS + 1)]


def run(study: tftune.Study, curve: list[float], pause: bool = False) -> int | None:
    """Report ``curve`` (epochs 1..) on a new trial; the epoch it was pruned at, or None if it
    completed. A paused trial keeps a checkpoint on record, as the Keras tuner's do."""
    trial = study.ask()
    for epoch, value in enumerate(curve, 1):
        trial.report(value, epoch)
        if trial.should_prune():
            if pause:
                trial.set_system_attr(CHECKPOINT_KEY, {"path": f"t{trial.number}.h5"})
            study.tell(trial, state=TrialState.PRUNED)
            return epoch
    study.tell(trial, curve[-1])
    return None


def asha(**kwargs: Any) -> SuccessiveHalvingPruner:
    """ASHA with rungs at epochs 1, 3, 9 and 27."""
    return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3, **kwargs)
