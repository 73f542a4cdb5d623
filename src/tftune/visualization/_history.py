"""Optimization history: every trial's value and the best value so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._direction import StudyDirection
from tftune.study._target import Target, complete_trials, resolve_target
from tftune.visualization._common import DEFAULT_TARGET_NAME, empty_figure, no_trials_reason
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_optimization_history(
    study: Study, *, target: Target | None = None, target_name: str = DEFAULT_TARGET_NAME
) -> Any:
    """A plotly figure: complete trials' values by trial number, and the best so far as a line.

    A study with several objectives needs ``target``; a custom ``target`` has no direction, so
    its plot has no best-so-far line (as in Optuna).
    """
    go = import_plotly()
    function = resolve_target(study, target, "plot_optimization_history")
    trials = complete_trials(study)
    title = f"Optimization history of {study.study_name!r}"
    if not trials:
        return empty_figure(title, no_trials_reason(study.study_name))
    numbers = [t.number for t in trials]
    values = [function(t) for t in trials]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=numbers,
            y=values,
            mode="markers",
            name=target_name,
            hovertext=[str(t.params) for t in trials],
        )
    )
    if target is None:
        better = max if study.direction == StudyDirection.MAXIMIZE else min
        best: float | None = None
        best_so_far = []
        for value in values:
            best = value if best is None else better(best, value)
            best_so_far.append(best)
        figure.add_trace(
            go.Scatter(
                x=numbers, y=best_so_far, mode="lines", name="Best value", line={"shape": "hv"}
            )
        )
    figure.update_layout(title=title, xaxis_title="Trial", yaxis_title=target_name)
    return figure
