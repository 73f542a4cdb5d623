"""Optimization history: every trial's value and the best value so far."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._direction import StudyDirection
from tftune.trial._state import TrialState
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_optimization_history(study: Study, *, target_name: str = "Objective value") -> Any:
    """A plotly figure: complete trials' values by trial number, and the best so far as a line.

    Single-objective studies only (use the Pareto front for several objectives).
    """
    go = import_plotly()
    if len(study.directions) > 1:
        raise ValueError(
            "plot_optimization_history is for single-objective studies; this one has "
            f"{len(study.directions)} objectives."
        )
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    numbers = [t.number for t in trials]
    values = [t.values[0] for t in trials]  # type: ignore[index]
    better = max if study.direction == StudyDirection.MAXIMIZE else min
    best, best_so_far = None, []
    for value in values:
        best = value if best is None else better(best, value)
        best_so_far.append(best)
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
    figure.add_trace(
        go.Scatter(x=numbers, y=best_so_far, mode="lines", name="Best value", line={"shape": "hv"})
    )
    figure.update_layout(
        title=f"Optimization history of {study.study_name!r}",
        xaxis_title="Trial",
        yaxis_title=target_name,
    )
    return figure
