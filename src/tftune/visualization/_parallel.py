"""Parallel coordinates: every complete trial as a line through the target and its parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.visualization._common import (
    COLORSCALE,
    DEFAULT_TARGET_NAME,
    ParamAxis,
    empty_figure,
    no_trials_reason,
    param_axis,
)
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_parallel_coordinate(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly parallel-coordinates figure: the target first, then one axis per parameter,
    lines coloured by the target. Log-scale parameters are drawn at log10 with their values as
    ticks, categories at their index with their labels.

    A line must cross every axis, so trials that lack one of the parameters (a conditional
    space) are left out, as Optuna does; pass ``params`` to choose the axes of one branch.
    """
    go = import_plotly()
    function = resolve_target(study, target, "plot_parallel_coordinate")
    trials = complete_trials(study)
    title = f"Parallel coordinates of {study.study_name!r}"
    if not trials:
        return empty_figure(title, no_trials_reason(study.study_name))
    names = param_names(trials, params)
    axes = [param_axis(trials, name) for name in names]
    complete = np.ones(len(trials), dtype=bool)
    for axis in axes:
        complete &= axis.present
    if not complete.any():
        return empty_figure(
            title,
            f"No complete trial of study {study.study_name!r} has all of {names!r}; pass "
            "`params` to plot those of one branch. The figure is empty.",
        )
    values = np.array([function(t) for t in trials], dtype=float)[complete]
    dimensions = [{"label": target_name, "values": values.tolist()}]
    dimensions += [_dimension(axis, complete) for axis in axes]
    figure = go.Figure(
        go.Parcoords(
            dimensions=dimensions,
            line={
                "color": values.tolist(),
                "colorscale": COLORSCALE,
                "reversescale": True,
                "showscale": True,
                "colorbar": {"title": {"text": target_name}},
            },
            labelangle=30,
            labelside="bottom",
        )
    )
    figure.update_layout(title=title)
    return figure


def _dimension(axis: ParamAxis, mask: np.ndarray) -> dict[str, Any]:
    positions = axis.numeric(mask)
    dimension: dict[str, Any] = {"label": axis.name, "values": positions.tolist()}
    if axis.kind == "category":
        dimension["tickvals"] = list(range(len(axis.labels)))
        dimension["ticktext"] = axis.labels
        dimension["range"] = [0, max(1, len(axis.labels) - 1)]
    elif axis.kind == "log" and len(positions):
        low, high = math.floor(positions.min()), math.ceil(positions.max())
        ticks = list(range(low, high + 1))
        dimension["tickvals"] = ticks
        dimension["ticktext"] = [f"{10.0**t:.3g}" for t in ticks]
        dimension["range"] = [float(positions.min()), float(positions.max())]
    return dimension
