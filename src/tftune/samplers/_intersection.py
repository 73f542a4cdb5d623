"""The search space every complete trial shares: what model-based samplers model jointly."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tftune.distributions import BaseDistribution
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


class IntersectionSearchSpace:
    """The parameters (with identical distributions) of all complete trials, kept up to date
    incrementally: each trial is looked at once. Single-valued parameters are left out."""

    def __init__(self) -> None:
        self._seen: set[int] = set()
        self._space: dict[str, BaseDistribution] | None = None
        self._lock = threading.Lock()

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        with self._lock:
            for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                if trial._trial_id in self._seen:
                    continue
                self._seen.add(trial._trial_id)
                if self._space is None:
                    self._space = dict(trial.distributions)
                else:
                    self._space = {
                        k: d for k, d in self._space.items() if trial.distributions.get(k) == d
                    }
            return {k: d for k, d in (self._space or {}).items() if not d.single()}
