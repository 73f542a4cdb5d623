"""The search space every complete trial shares: what model-based samplers model jointly."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from tftune.distributions import BaseDistribution
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study


class _Progress:
    """How far one study's trial list has been looked at."""

    __slots__ = ("scan_from", "seen", "space")

    def __init__(self) -> None:
        self.scan_from = 0  # every trial before this index is finished and was looked at
        self.seen: set[int] = set()  # finished trials looked at past ``scan_from``
        self.space: dict[str, BaseDistribution] | None = None


class IntersectionSearchSpace:
    """The parameters (with identical distributions) of all complete trials, kept up to date
    incrementally: each trial is looked at once, and each call only walks the trials past the
    longest finished prefix of the study (new ones and those still open), however long the
    study is. Single-valued parameters are left out."""

    def __init__(self) -> None:
        self._progress: dict[tuple[int, int], _Progress] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_progress",))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    def calculate(self, study: Study) -> dict[str, BaseDistribution]:
        trials = study.get_trials(deepcopy=False)
        with self._lock:
            key = (id(study.storage), study.study_id)
            progress = self._progress.get(key)
            if progress is None:
                progress = self._progress[key] = _Progress()
            prefix = True
            for index in range(progress.scan_from, len(trials)):
                trial = trials[index]
                if not trial.state.is_finished():
                    prefix = False
                    continue
                if prefix:
                    progress.scan_from = index + 1
                if trial.trial_id in progress.seen:
                    if prefix:
                        progress.seen.discard(trial.trial_id)
                    continue
                if not prefix:
                    progress.seen.add(trial.trial_id)
                if trial.state != TrialState.COMPLETE:
                    continue
                if progress.space is None:
                    progress.space = dict(trial.distributions)
                else:
                    progress.space = {
                        k: d for k, d in progress.space.items() if trial.distributions.get(k) == d
                    }
            return {k: d for k, d in (progress.space or {}).items() if not d.single()}
