"""Pareto front as matplotlib Axes (3-D for three objectives), from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._common import no_trials_reason
from tftune.visualization._pareto import pareto_groups, pareto_setup
from tftune.visualization.matplotlib._axes import empty_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.8.0")
def plot_pareto_front(
    study: Study,
    *,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """``tftune.visualization.plot_pareto_front`` as a matplotlib Axes: the feasible Pareto
    front as "Best Trial", other feasible trials as "Trial" (unless left out) and infeasible
    ones as "Infeasible Trial"; a 3-D Axes for three axes."""
    plt = import_pyplot()
    trials, coordinates, names = pareto_setup(study, target_names, targets)
    title = f"Pareto front of {study.study_name!r}"
    if not trials:
        return empty_axes(title, no_trials_reason(study.study_name))
    figure = plt.figure()
    ax = figure.add_subplot(projection="3d" if len(names) == 3 else None)
    ax.set_title(title)
    groups = pareto_groups(trials, study.directions, constraints_func, include_dominated_trials)
    for name, group, color in groups:
        points = [coordinates(t) for t in group]
        columns = [[p[i] for p in points] for i in range(len(names))]
        ax.scatter(*columns, color=color, edgecolors="grey", linewidths=0.5, label=name)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    if len(names) == 3:
        ax.set_zlabel(names[2])
    ax.legend(loc="best")
    return ax
