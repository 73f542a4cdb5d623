"""Optimization history as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    no_trials_reason,
    warn_default_target_name,
)
from tftune.visualization._history import (
    History,
    error_bar_data,
    error_bar_title,
    history_title,
    studies_of,
)
from tftune.visualization.matplotlib._axes import empty_axes, label_by_trial, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study

_INFEASIBLE_COLOR = "#cccccc"


@experimental_func("2.2.0")
def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Any:
    """``tftune.visualization.plot_optimization_history`` as a matplotlib Axes: values by
    trial number and the best so far; several studies side by side, or with
    ``error_bar=True`` their mean and standard deviation at each trial number."""
    import_pyplot()
    warn_default_target_name(target, target_name)
    studies = studies_of(study)
    if not studies:
        return empty_axes("Optimization history", "No studies were given; the plot is empty.")
    histories = [History(s, target, "plot_optimization_history") for s in studies]
    title = history_title(studies)
    if not any(h.numbers for h in histories):
        return empty_axes(title, no_trials_reason(", ".join(h.name for h in histories)))
    if error_bar:
        return _error_bar(studies, histories, target_name)
    ax = new_axes(title)
    several = len(histories) > 1
    for history in histories:
        suffix = f" of {history.name}" if several else ""
        numbers, values, _ = history.shown(feasible=True)
        ax.scatter(numbers, values, s=15, label=target_name + suffix)
        if history.best is not None:
            best = history.finite_best()
            steps = ([n for n, _ in best], [b for _, b in best])
            ax.step(*steps, where="post", label="Best value" + suffix)
        numbers, values, _ = history.shown(feasible=False)
        if numbers:
            ax.scatter(
                numbers, values, s=15, color=_INFEASIBLE_COLOR, label="Infeasible trial" + suffix
            )
    label_by_trial(ax, target_name)
    return ax


def _error_bar(studies: list[Study], histories: list[History], target_name: str) -> Any:
    (numbers, means, stds), best = error_bar_data(studies, histories)
    ax = new_axes(error_bar_title(studies))
    ax.errorbar(numbers, means, yerr=stds, fmt="o", markersize=4, label=target_name)
    if best is not None:
        at, mean, std = (np.asarray(v, dtype=float) for v in best)
        ax.plot(at, mean, label="Best value")
        ax.fill_between(at, mean - std, mean + std, color="red", alpha=0.2)
    label_by_trial(ax, target_name)
    return ax
