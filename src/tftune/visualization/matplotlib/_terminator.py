"""The terminator's improvement plot as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.visualization._common import no_trials_reason
from tftune.visualization._terminator import TITLE, improvement_data
from tftune.visualization.matplotlib._axes import empty_axes, label_by_trial, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

_BLUE, _RED = "#636efa", "#ef553b"


@experimental_func("3.2.0")
def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = 20,
) -> Any:
    """``tftune.visualization.plot_terminator_improvement`` as a matplotlib Axes: the
    improvement bound after each trial (faded up to ``min_n_trials``) and, with
    ``plot_error``, the error it is compared with."""
    import_pyplot()
    data = improvement_data(
        study, plot_error, improvement_evaluator, error_evaluator, min_n_trials
    )
    if not data.numbers:
        return empty_axes(TITLE, no_trials_reason(study.study_name))
    ax = new_axes(TITLE)
    waiting = slice(0, min_n_trials + 1)
    ax.plot(data.numbers[waiting], data.improvements[waiting], marker="o", color=_BLUE, alpha=0.25)
    if len(data.numbers) > min_n_trials:
        acting = slice(min_n_trials, None)
        ax.plot(data.numbers[acting], data.improvements[acting], marker="o", color=_BLUE)
    ax.plot([], [], marker="o", color=_BLUE, label="Terminator Improvement")
    if plot_error:
        ax.plot(data.numbers, data.errors, marker="o", color=_RED, label="Error")
    low, high = data.y_range(min_n_trials)
    if high > low:
        ax.set_ylim(low, high)
    label_by_trial(ax, "Terminator Improvement")
    return ax
