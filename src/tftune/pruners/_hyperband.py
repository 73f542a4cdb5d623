"""Hyperband: several successive-halving brackets, from aggressive to patient."""

from __future__ import annotations

import math
import zlib
from typing import TYPE_CHECKING

from tftune.pruners._base import BasePruner
from tftune.pruners._checks import non_negative_int
from tftune.pruners._rungs import BRACKET_KEY, STUDY_RUNGS
from tftune.pruners._successive_halving import SuccessiveHalvingPruner, check_resource
from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.study._study import Study

__all__ = ["BRACKET_KEY", "HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Hyperband over asynchronous successive halving.

    Bracket *i* is a ``SuccessiveHalvingPruner`` whose first rung is at
    ``min_resource * reduction_factor ** i``: bracket 0 stops trials earliest, the last one
    lets every trial run long. Each trial joins one bracket (recorded on the trial, so all
    workers agree) with the probability Hyperband gives it, and competes only within it.

    Args:
        min_resource: steps before the first rung of the most aggressive bracket.
        max_resource: the most steps a trial runs, or "auto" (the longest complete trial's).
        reduction_factor: eta, at least 2.
        bootstrap_count: as for SuccessiveHalvingPruner.
        extrapolate_curves: as for SuccessiveHalvingPruner (each bracket compares trials by
            their curves extrapolated to its next rung, ``curve_horizon="next_rung"``: every
            rung decides, so the most aggressive bracket stays aggressive).
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
        extrapolate_curves: bool = True,
    ) -> None:
        check_resource("max_resource", max_resource)
        if not isinstance(extrapolate_curves, bool):
            raise ValueError(f"`extrapolate_curves` must be a bool, got {extrapolate_curves!r}.")
        self.extrapolate_curves = extrapolate_curves
        if isinstance(min_resource, bool) or not isinstance(min_resource, int) or min_resource < 1:
            raise ValueError(f"`min_resource` must be a positive int, got {min_resource!r}.")
        if isinstance(max_resource, int) and max_resource < min_resource:
            raise ValueError(
                "`max_resource` must be >= `min_resource`, "
                f"got {max_resource!r} < {min_resource!r}."
            )
        if (
            isinstance(reduction_factor, bool)
            or not isinstance(reduction_factor, int)
            or reduction_factor < 2
        ):
            raise ValueError(f"`reduction_factor` must be an int >= 2, got {reduction_factor!r}.")
        self.min_resource, self.max_resource = min_resource, max_resource
        self.reduction_factor = reduction_factor
        self.bootstrap_count = non_negative_int("bootstrap_count", bootstrap_count)
        if self.bootstrap_count > 0 and max_resource == "auto":
            raise ValueError(
                "`bootstrap_count` > 0 needs an int `max_resource` (with 'auto' the first "
                f"trials run unpruned to measure it), got bootstrap_count={bootstrap_count!r} "
                "and max_resource='auto'."
            )
        self._brackets: list[SuccessiveHalvingPruner] | None = None

    def brackets(self, study: Study) -> list[SuccessiveHalvingPruner] | None:
        """The brackets, once ``max_resource`` is known."""
        if self._brackets is None:
            max_resource = self.max_resource
            if max_resource == "auto":
                with STUDY_RUNGS.updated(study) as rungs:
                    longest = rungs.max_complete_step
                if longest is None:
                    return None
                max_resource = longest + 1
            ratio = max(int(max_resource) / self.min_resource, 1.0)
            n_brackets = int(math.floor(math.log(ratio, self.reduction_factor) + 1e-9)) + 1
            self._brackets = []
            for index in range(n_brackets):
                bracket = SuccessiveHalvingPruner(
                    self.min_resource,
                    self.reduction_factor,
                    index,
                    self.bootstrap_count,
                    self.extrapolate_curves,
                    curve_horizon="next_rung",
                )
                bracket.rung_prefix = f"bracket{index}_rung_"
                bracket.max_step = int(max_resource)
                self._brackets.append(bracket)
        return self._brackets

    def bracket_of(self, study: Study, trial: FrozenTrial, n_brackets: int) -> int:
        """The trial's bracket: drawn once with Hyperband's weights, then read from the trial."""
        if BRACKET_KEY in trial.system_attrs:
            return int(trial.system_attrs[BRACKET_KEY])
        s_max = (
            n_brackets - 1
        )  # bracket i runs Hyperband's s = s_max - i: more trials, earlier stops
        weights = [
            math.ceil((s_max + 1) / (s_max - i + 1) * self.reduction_factor ** (s_max - i))
            for i in range(n_brackets)
        ]
        draw = zlib.crc32(f"{study.study_name}:{trial.number}".encode()) % sum(weights)
        bracket = 0
        while draw >= weights[bracket]:
            draw -= weights[bracket]
            bracket += 1
        study.storage.set_trial_attr(trial.trial_id, BRACKET_KEY, bracket, system=True)
        trial.system_attrs[BRACKET_KEY] = bracket
        return bracket

    def promotions(self, study: Study) -> list[FrozenTrial]:
        """Paused trials each bracket would now promote (see SuccessiveHalvingPruner)."""
        brackets = self.brackets(study)
        return [trial for bracket in brackets or [] for trial in bracket.promotions(study)]

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        brackets = self.brackets(study)
        if brackets is None:
            return math.isnan(trial.intermediate_values[trial.last_step])
        return brackets[self.bracket_of(study, trial, len(brackets))].prune(study, trial)
