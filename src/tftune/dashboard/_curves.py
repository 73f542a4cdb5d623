"""The limit on the study page's intermediate-values plot (``--max-curves``).

optuna-dashboard's top page draws its intermediate-values plot as one plotly line, with its
legend entry, for every COMPLETE trial, every RUNNING one and every PRUNED one with a value,
whether or not the trial reported anything, and draws it again at every poll: at 1,000 trials
it takes seconds, at 10,000 it does not finish before the next poll (the whole page then never
draws). Thinning each trial's points does not help (the lines are the cost) and the front end
cannot be told to draw some trials only. So past ``max_curves`` such trials the study route
answers ``has_intermediate_values: false`` (the front end then leaves that one plot out) and
adds a study user attribute, shown on the same page, that says so and how to get it back.
Every trial keeps its intermediate values in the answer (the trial pages still show them);
under the limit, or with no limit, the answer is unchanged, byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from tftune.dashboard._limits import DEFAULT_MAX_CURVES, check_limit

__all__ = ["DEFAULT_MAX_CURVES", "NOTICE_KEY", "apply_limit", "check_max_curves", "notice"]
#: the key of the study user attribute that marks a left-out plot
NOTICE_KEY = "tftune: intermediate values plot"


def check_max_curves(max_curves: Any) -> int:
    """``max_curves`` as an int (0: no limit); a clear error for anything else."""
    return check_limit("max_curves", max_curves)


def count_curves(trials: Sequence[FrozenTrial]) -> int:
    """How many lines optuna-dashboard's intermediate-values plot draws for ``trials`` (with
    pruned trials included, its default)."""
    drawn = (TrialState.COMPLETE, TrialState.RUNNING)
    return sum(
        1
        for trial in trials
        if trial.state in drawn or (trial.state == TrialState.PRUNED and bool(trial.values))
    )


def notice(curves: int, max_curves: int) -> str:
    """The text shown in place of the plot."""
    return (
        f"not drawn: {curves:,} trials would each be a line, over the limit of "
        f"{max_curves:,} (each trial's page still shows its values; "
        "`tftune dashboard --max-curves 0` draws it)"
    )


def apply_limit(detail: dict[str, Any], trials: Sequence[FrozenTrial], max_curves: int) -> bool:
    """Leave the intermediate-values plot out of the study answer ``detail`` (made by
    ``serialize_study_detail``) when ``trials`` would draw more than ``max_curves`` lines;
    True if it did."""
    if max_curves == 0 or not detail.get("has_intermediate_values"):
        return False
    curves = count_curves(trials)
    if curves <= max_curves:
        return False
    detail["has_intermediate_values"] = False
    detail["user_attrs"] = [
        {"key": NOTICE_KEY, "value": notice(curves, max_curves)},
        *detail["user_attrs"],
    ]
    return True
