"""Asynchronous successive halving (ASHA): keep the top 1/eta of each rung, never wait."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tftune._direction import StudyDirection
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import non_negative_int
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


#: A paused trial's checkpoint: ``{"path": ..., "epoch": ..., ...}`` (set by the Keras tuner).
CHECKPOINT_KEY = "checkpoint"
#: On a resumed trial: the number of the paused trial it continues.
RESUME_OF_KEY = "resume_of"
#: On a resumed trial: the number of the first trial of its configuration's line.
LINEAGE_KEY = "lineage"


def lineage(trial: FrozenTrial) -> int:
    """The trial number that stands for a configuration however often it was resumed."""
    return int(trial.system_attrs.get(LINEAGE_KEY, trial.number))


def estimate_min_resource(study: Study) -> int | None:
    """ "auto": a hundredth of the steps the longest complete trial reported (at least 1)."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    steps = [t.last_step for t in complete if t.last_step is not None]
    return max(max(steps) // 100, 1) if steps else None


def check_resource(name: str, value: Any) -> None:
    if value != "auto" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"`{name}` must be 'auto' or a positive int, got {value!r}.")


def _has_rung_notes(trial: FrozenTrial) -> bool:
    """Whether any successive-halving pruner (of any Hyperband bracket) saw the trial."""
    return any("_rung_" in key or key == "hyperband_bracket" for key in trial.system_attrs)


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving.

    Rung *k* sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    A trial that reaches a rung records its value there and goes on only if that value is in
    the top ``1 / reduction_factor`` of all values recorded at the rung so far (while a rung
    holds fewer than ``reduction_factor`` values, only the best goes on). No worker ever waits
    for a rung to fill, and workers sharing a storage share the rungs.

    Args:
        min_resource: steps before the first rung, or "auto" (1% of the longest complete trial).
        reduction_factor: eta, at least 2.
        min_early_stopping_rate: skip this many rungs at the start.
        bootstrap_count: prune at a rung until it holds more than this many values.
    """

    def __init__(
        self,
        min_resource: int | str = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        check_resource("min_resource", min_resource)
        if (
            isinstance(reduction_factor, bool)
            or not isinstance(reduction_factor, int)
            or reduction_factor < 2
        ):
            raise ValueError(f"`reduction_factor` must be an int >= 2, got {reduction_factor!r}.")
        self.min_resource = min_resource
        self.reduction_factor = reduction_factor
        self.min_early_stopping_rate = non_negative_int(
            "min_early_stopping_rate", min_early_stopping_rate
        )
        self.bootstrap_count = non_negative_int("bootstrap_count", bootstrap_count)
        self._rung_prefix = "completed_rung_"

    def rung_step(self, rung: int, min_resource: int) -> int:
        # int ** int is typed Any (a negative exponent gives a float); this one is >= 0.
        factor: int = self.reduction_factor ** (self.min_early_stopping_rate + rung)
        return min_resource * factor

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return True
        min_resource = (
            self.min_resource
            if isinstance(self.min_resource, int)
            else estimate_min_resource(study)
        )
        if min_resource is None:
            return False
        rung = sum(1 for key in trial.system_attrs if key.startswith(self._rung_prefix))
        while step >= self.rung_step(rung, min_resource):
            key = f"{self._rung_prefix}{rung}"
            study._storage.set_trial_attr(trial._trial_id, key, value, system=True)
            trial.system_attrs[key] = value
            competing = self._rung_values(study, key, self.rung_step(rung, min_resource))
            if len(competing) <= self.bootstrap_count:
                return True
            if not self._promotable(value, competing, study.direction):
                return True
            rung += 1
        return False

    def _rung_values(self, study: Study, key: str, rung_step: int) -> list[float]:
        """The values recorded at a rung, one per configuration (a resumed trial carries its
        paused predecessor's notes), and those of finished trials that reported the rung's step
        without asking the pruner (so they never recorded it)."""
        by_line: dict[int, float] = {}
        for other in study.get_trials(deepcopy=False):
            if key in other.system_attrs:
                by_line[lineage(other)] = other.system_attrs[key]
            elif (
                other.state.is_finished()
                and rung_step in other.intermediate_values
                and not _has_rung_notes(other)
            ):
                by_line[lineage(other)] = other.intermediate_values[rung_step]
        return [v for v in by_line.values() if not math.isnan(v)]

    def promotions(self, study: Study) -> list[FrozenTrial]:
        """Paused trials that their rung now ranks in its top ``1 / reduction_factor``, the
        highest rung first (ASHA's promotion rule): each may resume from its checkpoint.

        A trial is paused when it was pruned with a checkpoint on record; it is promoted once
        (a trial that resumes it names it in ``resume_of``).
        """
        trials = study.get_trials(deepcopy=False)
        resumed = {
            t.system_attrs[RESUME_OF_KEY] for t in trials if RESUME_OF_KEY in t.system_attrs
        }
        min_resource = (
            self.min_resource
            if isinstance(self.min_resource, int)
            else estimate_min_resource(study)
        )
        if min_resource is None:
            return []
        ranked = []
        for trial in trials:
            if (
                trial.state != TrialState.PRUNED
                or CHECKPOINT_KEY not in trial.system_attrs
                or trial.number in resumed
            ):
                continue
            rung = sum(1 for key in trial.system_attrs if key.startswith(self._rung_prefix)) - 1
            if rung < 0:
                continue
            key = f"{self._rung_prefix}{rung}"
            value = trial.system_attrs[key]
            competing = self._rung_values(study, key, self.rung_step(rung, min_resource))
            place = len(competing) // self.reduction_factor - 1
            if place < 0 or math.isnan(value):
                continue
            ordered = sorted(competing, reverse=study.direction == StudyDirection.MAXIMIZE)
            if (
                (value >= ordered[place])
                if study.direction == StudyDirection.MAXIMIZE
                else (value <= ordered[place])
            ):
                ranked.append(
                    (-rung, value if study.direction == StudyDirection.MINIMIZE else -value, trial)
                )
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [trial for *_, trial in ranked]

    def _promotable(self, value: float, competing: list[float], direction: StudyDirection) -> bool:
        place = max(len(competing) // self.reduction_factor - 1, 0)
        if direction == StudyDirection.MAXIMIZE:
            return value >= sorted(competing, reverse=True)[place]
        return value <= sorted(competing)[place]
