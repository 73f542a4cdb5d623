"""Asynchronous successive halving (ASHA): keep the top 1/eta of each rung, never wait."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from tftune._direction import StudyDirection
from tftune.pruners._base import BasePruner
from tftune.pruners._checks import non_negative_int
from tftune.pruners._curves import (
    CURVE_HORIZONS,
    MIN_REPORTS,
    calibrated_margin,
    check_confidence,
    extrapolate,
    optimistic_bound,
)
from tftune.pruners._rungs import (
    CHECKPOINT_KEY,
    LINEAGE_KEY,
    RESUME_OF_KEY,
    STUDY_RUNGS,
    StudyRungs,
    lineage,
)
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


__all__ = [
    "CHECKPOINT_KEY",
    "LINEAGE_KEY",
    "RESUME_OF_KEY",
    "SuccessiveHalvingPruner",
    "estimate_min_resource",
    "lineage",
]


def estimate_min_resource(study: Study) -> int | None:
    """ "auto": a hundredth of the steps the longest complete trial reported (at least 1)."""
    with STUDY_RUNGS.updated(study) as rungs:
        longest = rungs.max_complete_step
    return None if longest is None else max(longest // 100, 1)


def check_resource(name: str, value: Any) -> None:
    if value != "auto" and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"`{name}` must be 'auto' or a positive int, got {value!r}.")


def check_curve_horizon(value: Any) -> str:
    if value not in CURVE_HORIZONS:
        raise ValueError(
            f"`curve_horizon` must be one of {', '.join(map(repr, CURVE_HORIZONS))}, "
            f"got {value!r}."
        )
    return str(value)


def _reports(trial: FrozenTrial, step: int) -> int:
    """The trial's finite reports up to ``step``."""
    return sum(1 for s, v in trial.intermediate_values.items() if s <= step and math.isfinite(v))


def _open_trials(study: Study) -> list[FrozenTrial]:
    return study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving.

    Rung *k* sits at step ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    A trial that reaches a rung records its value there and goes on only if that value is in
    the top ``1 / reduction_factor`` of all values recorded at the rung so far (while a rung
    holds fewer than ``reduction_factor`` values, only the best goes on). No worker ever waits
    for a rung to fill, and workers sharing a storage share the rungs.

    With ``extrapolate_curves`` (the default), the value a trial records at a rung is its
    curve extrapolated (see ``_curves.extrapolate``; the current value while it has fewer than
    three reports or stops improving), so a configuration that learns slowly but steadily is
    not stopped for where it is now. ``curve_horizon`` says how far:

    * ``"final"`` (the default): to the last step a trial runs (the longest complete trial's,
      or Hyperband's ``max_resource``; the next rung's step while none is known or once the
      trial has reached it), and once that last step is known, a rung reached with fewer than
      three reports keeps the trial (its value is recorded, but one or two reports do not show
      where a curve is heading; before it is known every rung decides, as Optuna's do);
    * ``"next_rung"``: to the next rung's step, and every rung decides (on the current value
      while the curve is too short to fit).

    With ``curve_horizon="final"`` a rung also records the value the trial reported there
    (``reported_key``) and ranks the trials twice, by prediction and by that value: it stops a
    trial only if it is outside the top ``1 / reduction_factor`` of both (a paused trial is
    promoted from either). A prediction from a few noisy reports swings far more than the
    values do (with three reports, an exact fit, one report's noise moves the predicted
    final several times as much), and where every configuration learns at a similar speed the
    value at the rung ranks them better; where fast learners stall early, the prediction does.

    ``curve_confidence`` (with ``curve_horizon="final"``): record not the predicted final value
    but an optimistic bound on it at this confidence (``_curves.optimistic_bound``: the best
    value the reports do not rule out), so a curve whose shape is still uncertain is not
    stopped for a point estimate. ``beat_best``: a rung also stops a trial whose bound cannot
    beat the best final value of the complete trials (the trial is hopeless whatever its
    place at the rung), once the trial has more than three reports, or with three (an exact
    fit, no uncertainty measured) once its point prediction widened by the margin the complete
    trials' predictions at that rung needed still cannot (``_curves.calibrated_margin``, from
    ten complete trials on). Both are the defaults (issue 17's
    slow-starter benchmark) and apply only with ``curve_horizon="final"``.

    "Cannot beat the best" compares a trial with the complete trials, not with the other
    values at its rung, so it needs no rung: it is tested at every report of a curve with
    more than three reports, and a trial whose bound falls behind the best between two rungs
    stops there rather than training on to the next rung (whose ranking, which does need the
    rung, still decides there). A NaN report stops a trial at a rung (not between rungs), and a
    rung stops every trial until it holds more than ``bootstrap_count`` values, as in Optuna.

    Args:
        min_resource: steps before the first rung, or "auto" (1% of the longest complete trial).
        reduction_factor: eta, at least 2.
        min_early_stopping_rate: skip this many rungs at the start.
        bootstrap_count: prune at a rung until it holds more than this many values.
        extrapolate_curves: compare trials by their extrapolated curves (else by the value at
            the rung).
        curve_horizon: "final" or "next_rung", as above (used only with
            ``extrapolate_curves``).
        curve_confidence: None (the point prediction) or a confidence level in (0, 1) (used
            only with ``extrapolate_curves`` and ``curve_horizon="final"``).
        beat_best: also stop trials whose bound cannot beat (or tie) the best complete final
            value (used only with ``extrapolate_curves`` and ``curve_horizon="final"``).
    """

    def __init__(
        self,
        min_resource: int | str = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        extrapolate_curves: bool = True,
        curve_horizon: str = "final",
        curve_confidence: float | None = 0.99,
        beat_best: bool = True,
    ) -> None:
        check_resource("min_resource", min_resource)
        if not isinstance(extrapolate_curves, bool):
            raise ValueError(f"`extrapolate_curves` must be a bool, got {extrapolate_curves!r}.")
        self.extrapolate_curves = extrapolate_curves
        self.curve_horizon = check_curve_horizon(curve_horizon)
        self.curve_confidence = check_confidence("curve_confidence", curve_confidence)
        if not isinstance(beat_best, bool):
            raise ValueError(f"`beat_best` must be a bool, got {beat_best!r}.")
        self.beat_best = beat_best
        # The most steps a trial runs, where known (Hyperband sets it): no extrapolation past it.
        self.max_step: int | None = None
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
        if self.bootstrap_count > 0 and min_resource == "auto":
            raise ValueError(
                "`bootstrap_count` > 0 needs an int `min_resource` (with 'auto' the first "
                f"trials run unpruned to measure it), got bootstrap_count={bootstrap_count!r} "
                "and min_resource='auto'."
            )
        #: The system attributes a rung's values are recorded under (``<prefix><rung>``);
        #: Hyperband gives each bracket its own.
        self.rung_prefix = "completed_rung_"

    def resolved_min_resource(self, study: Study) -> int | None:
        """``min_resource``, or with "auto" its estimate from ``study`` (None while no trial
        is complete)."""
        if isinstance(self.min_resource, int):
            return self.min_resource
        return estimate_min_resource(study)

    def _rungs_recorded(self, trial: FrozenTrial) -> int:
        """How many of this pruner's rungs the trial has recorded a value at."""
        return sum(1 for key in trial.system_attrs if key.startswith(self.rung_prefix))

    def rung_step(self, rung: int, min_resource: int) -> int:
        # int ** int is typed Any (a negative exponent gives a float); this one is >= 0.
        factor: int = self.reduction_factor ** (self.min_early_stopping_rate + rung)
        return min_resource * factor

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None:
            return False
        value = trial.intermediate_values[step]
        min_resource = self.resolved_min_resource(study)
        if min_resource is None:
            return False
        rung = self._rungs_recorded(trial)
        minimize = study.direction == StudyDirection.MINIMIZE
        rung_reached = False
        while step >= self.rung_step(rung, min_resource):
            if math.isnan(value):  # Optuna's rule: NaN at a rung stops the trial
                return True
            rung_reached = True
            key = f"{self.rung_prefix}{rung}"
            if self.extrapolate_curves:
                horizon = self._horizon(study, step, self.rung_step(rung + 1, min_resource))
                if self.curve_confidence is None or self.curve_horizon != "final":
                    value = extrapolate(trial.intermediate_values, step, horizon, minimize)
                else:
                    value = optimistic_bound(
                        trial.intermediate_values, step, horizon, minimize, self.curve_confidence
                    )
            study.storage.set_trial_attr(trial.trial_id, key, value, system=True)
            trial.system_attrs[key] = value
            reported_key = self.reported_key(rung)
            if reported_key is not None:
                reported = trial.intermediate_values[step]
                study.storage.set_trial_attr(trial.trial_id, reported_key, reported, system=True)
                trial.system_attrs[reported_key] = reported
            reports = _reports(trial, step)
            rung_step = self.rung_step(rung, min_resource)
            open_trials = [*_open_trials(study), trial]
            with STUDY_RUNGS.updated(study) as rungs:
                competing = rungs.competing(key, rung_step, open_trials)
                if len(competing) <= self.bootstrap_count:
                    return True
                if self._decides(rungs, reports) and (
                    self._hopeless(rungs, key, reports, value, minimize)
                    or not self._kept(rungs, trial, rung, rung_step, open_trials, competing, study)
                ):
                    return True
            rung += 1
        return self._between_rungs(study, trial, step, rung, min_resource, rung_reached)

    def reported_key(self, rung: int) -> str | None:
        """The system attribute a trial's reported value at ``rung`` is recorded under, beside
        its prediction (None where the rung ranks only one value: without the final horizon's
        prediction, the value recorded at the rung is the one ranked)."""
        if not self.extrapolate_curves or self.curve_horizon != "final":
            return None
        return f"{self.rung_prefix.removesuffix('rung_')}reported_rung_{rung}"

    def _kept(
        self,
        rungs: StudyRungs,
        trial: FrozenTrial,
        rung: int,
        rung_step: int,
        open_trials: list[FrozenTrial],
        competing: list[float],
        study: Study,
    ) -> bool:
        """Whether the rung lets ``trial`` go on: its prediction is in the top
        ``1 / reduction_factor`` of the predictions there, or its reported value of the values
        reported there (see ``reported_key``; a rung stops only a trial behind on both)."""
        key = f"{self.rung_prefix}{rung}"
        if self._promotable(trial.system_attrs[key], competing, study.direction):
            return True
        reported_key = self.reported_key(rung)
        if reported_key is None or reported_key not in trial.system_attrs:
            return False
        reported = rungs.competing(reported_key, rung_step, open_trials)
        return self._promotable(trial.system_attrs[reported_key], reported, study.direction)

    def _between_rungs(
        self,
        study: Study,
        trial: FrozenTrial,
        step: int,
        next_rung: int,
        min_resource: int,
        rung_reached: bool,
    ) -> bool:
        """Whether a report that reached no rung stops the trial: "cannot beat the best" (see
        the class docstring) needs no rung, so it runs at every report of a curve with more
        than three reports, not only at rungs."""
        if (
            rung_reached
            or not self.beat_best
            or not self.extrapolate_curves
            or self.curve_horizon != "final"
            or _reports(trial, step) <= MIN_REPORTS
            or not math.isfinite(trial.intermediate_values[step])
        ):
            return False
        minimize = study.direction == StudyDirection.MINIMIZE
        with STUDY_RUNGS.updated(study) as rungs:
            final = self.max_step if self.max_step is not None else rungs.max_complete_step
            if final is not None and step >= final:
                return False  # trained to the end: stopping it now saves nothing
            # the bound is never worse than the current value: no fit needed if that may win
            if rungs.may_beat_best_final(trial.intermediate_values[step], minimize):
                return False
        horizon = self._horizon(study, step, self.rung_step(next_rung, min_resource))
        if self.curve_confidence is None:
            bound = extrapolate(trial.intermediate_values, step, horizon, minimize)
        else:
            bound = optimistic_bound(
                trial.intermediate_values, step, horizon, minimize, self.curve_confidence
            )
        with STUDY_RUNGS.updated(study) as rungs:
            return not rungs.may_beat_best_final(bound, minimize)

    def _beat_best_bound(
        self, rungs: StudyRungs, key: str, reports: int, value: float, minimize: bool
    ) -> float:
        """The bound the "cannot beat the best" rule tests: the recorded one, or with three
        reports (an exact fit, no noise measured) the point prediction widened by the margin
        that the complete trials' predictions at this rung needed (``_curves.calibrated_margin``;
        the best possible value, which never prunes, while too few are complete)."""
        if reports > MIN_REPORTS or self.curve_confidence is None:
            return value
        sign = 1.0 if minimize else -1.0
        margin = calibrated_margin(rungs.prediction_errors(key, minimize), self.curve_confidence)
        return -sign * math.inf if margin is None else value - sign * margin

    def _horizon(self, study: Study, step: int, next_rung_step: int) -> int:
        """The step a curve at ``step`` is extrapolated to (see ``curve_horizon``)."""
        if self.curve_horizon == "next_rung":
            return next_rung_step if self.max_step is None else min(next_rung_step, self.max_step)
        final = self.max_step
        if final is None:
            with STUDY_RUNGS.updated(study) as rungs:
                final = rungs.max_complete_step
        return final if final is not None and final > step else next_rung_step

    def _decides(self, rungs: StudyRungs, reports: int) -> bool:
        """Whether a rung may stop a trial with ``reports`` finite reports by its value there:
        always, unless the curve is extrapolated to a known final step and is still too short
        to fit (with no final step known, as before any trial completes, the horizon is the
        next rung's and every rung decides, as with ``curve_horizon="next_rung"``)."""
        if not self.extrapolate_curves or self.curve_horizon == "next_rung":
            return True
        if self.max_step is None and rungs.max_complete_step is None:
            return True
        return reports >= MIN_REPORTS

    def _hopeless(
        self, rungs: StudyRungs, key: str, reports: int, value: float, minimize: bool
    ) -> bool:
        """The "cannot beat the best" rule at a rung (see the class docstring)."""
        return (
            self.beat_best
            and self.extrapolate_curves
            and self.curve_horizon == "final"
            and reports >= MIN_REPORTS
            and not rungs.may_beat_best_final(
                self._beat_best_bound(rungs, key, reports, value, minimize), minimize
            )
        )

    def rung_values(self, study: Study, rung: int) -> list[float]:
        """The values competing at ``rung`` now, one per configuration, ascending (NaN left
        out); empty while the first rung's step is unknown ("auto" with no complete trial)."""
        min_resource = self.resolved_min_resource(study)
        if min_resource is None:
            return []
        with STUDY_RUNGS.updated(study) as rungs:
            return list(
                rungs.competing(
                    f"{self.rung_prefix}{rung}",
                    self.rung_step(rung, min_resource),
                    _open_trials(study),
                )
            )

    def promotions(self, study: Study) -> list[FrozenTrial]:
        """Paused trials that their rung now ranks in its top ``1 / reduction_factor``, the
        highest rung first (ASHA's promotion rule): each may resume from its checkpoint.

        A trial is paused when it was pruned with a checkpoint on record; it is promoted once
        (a trial that resumes it names it in ``resume_of``). As at the rung, it is in the top
        by its prediction or by its reported value there (see ``reported_key``).
        """
        min_resource = self.resolved_min_resource(study)
        if min_resource is None:
            return []
        open_trials = _open_trials(study)
        ranked = []
        with STUDY_RUNGS.updated(study) as rungs:
            resumed = rungs.resumed | {
                int(t.system_attrs[RESUME_OF_KEY])
                for t in open_trials
                if RESUME_OF_KEY in t.system_attrs
            }
            by_key: dict[str, list[float]] = {}

            def in_top(trial: FrozenTrial, key: str | None, step: int) -> bool:
                if key is None or key not in trial.system_attrs:
                    return False
                if key not in by_key:
                    by_key[key] = rungs.competing(key, step, open_trials)
                value = trial.system_attrs[key]
                return self._promotable(value, by_key[key], study.direction, strict=True)

            for number in sorted(rungs.paused):
                trial = rungs.paused[number]
                if number in resumed:
                    continue
                rung = self._rungs_recorded(trial) - 1
                if rung < 0:
                    continue
                key = f"{self.rung_prefix}{rung}"
                step = self.rung_step(rung, min_resource)
                if in_top(trial, key, step) or in_top(trial, self.reported_key(rung), step):
                    value = trial.system_attrs[key]
                    sort_value = value if study.direction == StudyDirection.MINIMIZE else -value
                    ranked.append((-rung, sort_value, trial))
        ranked.sort(key=lambda item: (item[0], item[1]))
        return [trial for *_, trial in ranked]

    def _promotable(
        self,
        value: float,
        competing: list[float],
        direction: StudyDirection,
        *,
        strict: bool = False,
    ) -> bool:
        """Whether ``value`` is in the top ``1 / reduction_factor`` of the ascending
        ``competing`` values: the best one while the rung holds fewer, or with ``strict``
        (a paused trial's promotion) none, and never a NaN."""
        place = len(competing) // self.reduction_factor - 1
        if math.isnan(value) or (strict and place < 0):
            return False
        place = max(place, 0)
        if direction == StudyDirection.MAXIMIZE:
            return value >= competing[len(competing) - 1 - place]
        return value <= competing[place]
