"""What plots and importances measure: one number per complete trial, and which parameters.

One rule for both: a study with several objectives needs ``target`` (a function of a trial),
and ``params`` may only name parameters that complete trials have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

Target = Callable[[FrozenTrial], float]


def first_value(trial: FrozenTrial) -> float:
    """The objective value of a single-objective trial."""
    return trial.values[0]  # type: ignore[index]


def resolve_target(study: Study, target: Target | None, caller: str) -> Target:
    """``target``, or the single objective's value; ValueError naming ``target`` when the study
    has several objectives and none is given.
    """
    if target is not None:
        if not callable(target):
            raise TypeError(
                f"`target` must be a function of a FrozenTrial returning a number, got {target!r}."
            )
        return target
    n_objectives = len(study.directions)
    if n_objectives > 1:
        raise ValueError(
            f"{caller} needs one number per trial, and study {study.study_name!r} has "
            f"{n_objectives} objectives: pass `target`, e.g. target=lambda t: t.values[0]."
        )
    return first_value


def complete_trials(study: Study) -> list[FrozenTrial]:
    """The study's COMPLETE trials, by number (not copied: read them, do not change them)."""
    return study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))


def param_names(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> list[str]:
    """``params`` (checked against the trials' parameters), or every parameter name, sorted."""
    names = sorted({name for trial in trials for name in trial.params})
    if params is None:
        return names
    if isinstance(params, str):
        raise TypeError(f"`params` must be a list of parameter names, got the string {params!r}.")
    known = set(names)
    for name in params:
        if name not in known:
            raise ValueError(
                f"`params` names {name!r}, which no complete trial has; the parameters are "
                f"{names!r}."
            )
    return list(dict.fromkeys(params))
