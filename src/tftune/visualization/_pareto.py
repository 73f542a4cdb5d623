"""Pareto front: the trials of a multi-objective study in objective space, the best marked."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tftune.study._multi_objective import pareto_front
from tftune.study._target import complete_trials
from tftune.trial._constraints import is_feasible
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._common import empty_figure, hover_texts, no_trials_reason
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_pareto_front(
    study: Study,
    *,
    target_names: Sequence[str] | None = None,
    include_dominated_trials: bool = True,
    targets: Callable[[FrozenTrial], Sequence[float]] | None = None,
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
) -> Any:
    """A plotly scatter (2-D, or 3-D for three axes) of the complete trials' objective values:
    the feasible trials' Pareto front as "Best Trial", the other feasible ones as "Trial"
    unless ``include_dominated_trials=False``, and infeasible ones as "Infeasible Trial".

    A trial is feasible when every value ``constraints_func(trial)`` returns is <= 0 (Optuna's
    rule); without ``constraints_func``, by the constraints stored on it (a study searched with
    a ``constraints_func``), else every trial is.

    ``targets`` maps a trial to the two or three numbers to plot (by default its values); which
    trials are best is always decided by the study's own objectives and directions.
    ``target_names`` label the axes (default ``Objective 0``, ``Objective 1``...).
    """
    go = import_plotly()
    trials, coordinates, target_names = pareto_setup(study, target_names, targets)
    n_axes = len(target_names)
    directions = study.directions
    title = f"Pareto front of {study.study_name!r}"
    if not trials:
        return empty_figure(title, no_trials_reason(study.study_name))
    figure = go.Figure()
    for name, group, color in pareto_groups(
        trials, directions, constraints_func, include_dominated_trials
    ):
        points = [coordinates(t) for t in group]
        columns: list[list[float]] = [[p[i] for p in points] for i in range(n_axes)]
        common = {
            "mode": "markers",
            "name": name,
            "text": hover_texts(group),
            "marker": {"color": color, "line": {"width": 0.5, "color": "Grey"}},
        }
        if n_axes == 3:
            figure.add_trace(
                go.Scatter3d(x=list(columns[0]), y=list(columns[1]), z=list(columns[2]), **common)
            )
        else:
            figure.add_trace(go.Scatter(x=list(columns[0]), y=list(columns[1]), **common))
    if n_axes == 3:
        figure.update_layout(
            scene={
                "xaxis_title": target_names[0],
                "yaxis_title": target_names[1],
                "zaxis_title": target_names[2],
            }
        )
    else:
        figure.update_layout(xaxis_title=target_names[0], yaxis_title=target_names[1])
    figure.update_layout(title=title)
    return figure


def pareto_setup(
    study: Study,
    target_names: Sequence[str] | None,
    targets: Callable[[FrozenTrial], Sequence[float]] | None,
) -> tuple[list[FrozenTrial], Callable[[FrozenTrial], list[float]], list[str]]:
    """The complete trials, the point of a trial and the axes' names, after the checks that
    both renderers of ``plot_pareto_front`` share."""
    directions = study.directions
    if len(directions) < 2:
        raise ValueError(
            "plot_pareto_front needs a study with several objectives; study "
            f"{study.study_name!r} has 1 (use plot_optimization_history)."
        )
    if targets is None and len(directions) > 3:
        raise ValueError(
            f"plot_pareto_front draws 2 or 3 axes; study {study.study_name!r} has "
            f"{len(directions)} objectives: pass `targets` to choose 2 or 3 numbers per trial."
        )
    trials = complete_trials(study)

    def coordinates(trial: FrozenTrial) -> list[float]:
        point = list(targets(trial)) if targets is not None else list(trial.values or [])
        if len(point) not in (2, 3):
            raise ValueError(
                f"`targets` must return 2 or 3 numbers per trial, got {len(point)} for trial "
                f"{trial.number}."
            )
        return point

    n_axes = len(coordinates(trials[0])) if trials else (len(directions) if targets is None else 0)
    if target_names is None:
        target_names = [f"Objective {i}" for i in range(n_axes)]
    elif (trials or targets is None) and len(target_names) != n_axes:
        raise ValueError(
            f"`target_names` must name each of the {n_axes} axes, got {list(target_names)!r}."
        )
    return trials, coordinates, list(target_names)


def pareto_groups(
    trials: list[FrozenTrial],
    directions: Sequence[Any],
    constraints_func: Callable[[FrozenTrial], Sequence[float]] | None,
    include_dominated_trials: bool,
) -> list[tuple[str, list[FrozenTrial], str]]:
    """``(name, trials, colour)`` to draw in order: infeasible (if any), dominated (unless left
    out) and the feasible Pareto front; what both renderers of ``plot_pareto_front`` draw."""
    feasible = [t for t in trials if _feasible(t, constraints_func)]
    best = pareto_front(feasible, directions)
    best_numbers = {t.number for t in best}
    others = [t for t in feasible if t.number not in best_numbers]
    infeasible = [t for t in trials if not _feasible(t, constraints_func)]
    groups = [("Best Trial", best, "#d62728")]
    if include_dominated_trials:
        groups.insert(0, ("Trial", others, "#cccccc"))
    if infeasible:
        groups.insert(0, ("Infeasible Trial", infeasible, "#f2f2f2"))
    return groups


def _feasible(
    trial: FrozenTrial, constraints_func: Callable[[FrozenTrial], Sequence[float]] | None
) -> bool:
    if constraints_func is None:
        return is_feasible(trial)
    values = [float(v) for v in constraints_func(trial)]
    if any(math.isnan(v) for v in values):
        raise ValueError(
            f"`constraints_func` returned NaN for trial {trial.number}: {values}; each value "
            "must be a number (> 0: violated)."
        )
    return all(v <= 0.0 for v in values)
