"""Parallel coordinates: every complete trial as a line through the target and its parameters."""

from __future__ import annotations

import dataclasses
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
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


@dataclasses.dataclass(frozen=True)
class ParallelData:
    """The target values of the trials that have every plotted parameter (``complete``), and
    the parameters' axes (over all complete trials; mask them with ``complete``)."""

    title: str
    values: np.ndarray
    axes: list[ParamAxis]
    complete: np.ndarray
    empty_reason: str


def parallel_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> ParallelData:
    """What both renderers of ``plot_parallel_coordinate`` draw (no values: an empty plot)."""
    warn_default_target_name(target, target_name)
    function = resolve_target(study, target, "plot_parallel_coordinate")
    trials = complete_trials(study)
    title = f"Parallel coordinates of {study.study_name!r}"
    if not trials:
        return ParallelData(
            title, np.array([]), [], np.array([], dtype=bool), no_trials_reason(study.study_name)
        )
    names = param_names(trials, params)
    axes = [param_axis(trials, name) for name in names]
    complete = np.ones(len(trials), dtype=bool)
    for axis in axes:
        complete &= axis.present
    values = np.array([function(t) for t in trials], dtype=float)[complete]
    reason = (
        f"No complete trial of study {study.study_name!r} has all of {names!r}; pass "
        "`params` to plot those of one branch. The figure is empty."
    )
    return ParallelData(title, values, axes, complete, reason)


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
    data = parallel_data(study, params, target, target_name)
    if not len(data.values):
        return empty_figure(data.title, data.empty_reason)
    values = data.values
    dimensions = [{"label": target_name, "values": values.tolist()}]
    dimensions += [_dimension(axis, data.complete) for axis in data.axes]
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
    figure.update_layout(title=data.title)
    return figure


def log_ticks(positions: np.ndarray) -> tuple[list[int], list[str]]:
    """Integer log10 positions over ``positions`` and their values as text."""
    low, high = math.floor(positions.min()), math.ceil(positions.max())
    ticks = list(range(low, high + 1))
    return ticks, [f"{10.0**t:.3g}" for t in ticks]


def _dimension(axis: ParamAxis, mask: np.ndarray) -> dict[str, Any]:
    positions = axis.numeric(mask)
    dimension: dict[str, Any] = {"label": axis.name, "values": positions.tolist()}
    if axis.kind == "category":
        dimension["tickvals"] = list(range(len(axis.labels)))
        dimension["ticktext"] = axis.labels
        dimension["range"] = [0, max(1, len(axis.labels) - 1)]
    elif axis.kind == "log" and len(positions):
        dimension["tickvals"], dimension["ticktext"] = log_ticks(positions)
        dimension["range"] = [float(positions.min()), float(positions.max())]
    return dimension
