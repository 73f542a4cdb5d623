"""Contour plot: the target over pairs of parameters, interpolated between trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    ParamAxis,
    empty_figure,
    hover_texts,
    no_trials_reason,
    param_axis,
)
from tftune.visualization._plotly import import_plotly, make_subplots

if TYPE_CHECKING:
    from tftune.study._study import Study

#: Grid points per axis of the interpolated surface.
RESOLUTION = 100


def plot_contour(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly figure: for two parameters one contour of the target, linearly interpolated
    between the complete trials (shown as dots); for more, a matrix of them (diagonal empty).

    Log-scale parameters are interpolated and shown on log axes; categories on text axes at
    their index. A trial is used in a panel only if it has both of its parameters. Fewer than
    two parameters give an empty figure and a warning.
    """
    go = import_plotly()
    function = resolve_target(study, target, "plot_contour")
    trials = complete_trials(study)
    title = f"Contour plot of {study.study_name!r}"
    if not trials:
        return empty_figure(title, no_trials_reason(study.study_name))
    names = param_names(trials, params)
    if len(names) < 2:
        return empty_figure(
            title, f"A contour plot needs at least two parameters, got {names!r}; it is empty."
        )
    values = np.array([function(t) for t in trials], dtype=float)
    axes = [param_axis(trials, name) for name in names]
    size = len(names)
    figure = (
        go.Figure()
        if size == 2
        else make_subplots(rows=size, cols=size, horizontal_spacing=0.03, vertical_spacing=0.03)
    )
    for row in range(size):
        for col in range(size):
            if size == 2 and (row, col) != (1, 0):
                continue
            if row == col:
                continue
            x_axis, y_axis = axes[col], axes[row]
            first = not any(t.type == "contour" for t in figure.data)  # one colour bar
            for trace in _panel(go, x_axis, y_axis, values, trials, target_name, first):
                if size == 2:
                    figure.add_trace(trace)
                else:
                    figure.add_trace(trace, row=row + 1, col=col + 1)
            x_layout, y_layout = _axis_layout(x_axis), _axis_layout(y_axis)
            if size == 2:
                figure.update_layout(xaxis=x_layout, yaxis=y_layout)
            else:
                x_layout["title"]["text"] = x_axis.name if row == size - 1 else ""
                y_layout["title"]["text"] = y_axis.name if col == 0 else ""
                figure.update_xaxes(x_layout, row=row + 1, col=col + 1)
                figure.update_yaxes(y_layout, row=row + 1, col=col + 1)
    figure.update_layout(title=title)
    return figure


def _axis_layout(axis: ParamAxis) -> dict[str, Any]:
    """Log axes stay log; categories are placed at their index with their labels as ticks."""
    if axis.kind == "category":
        return {
            "type": "linear",
            "tickvals": list(range(len(axis.labels))),
            "ticktext": axis.labels,
            "title": {"text": axis.name},
        }
    return axis.layout()


def _panel(
    go: Any,
    x_axis: ParamAxis,
    y_axis: ParamAxis,
    values: np.ndarray,
    trials: Sequence[Any],
    target_name: str,
    show_scale: bool,
) -> list[Any]:
    """The contour (when the points span an area) and the dots of one pair of parameters."""
    both = x_axis.present & y_axis.present
    x, y, z = x_axis.numeric(both), y_axis.numeric(both), values[both]
    traces = []
    surface = _interpolate(x, y, z)
    if surface is not None:
        grid_x, grid_y, grid_z = surface
        traces.append(
            go.Contour(
                x=_shown_grid(x_axis, grid_x),
                y=_shown_grid(y_axis, grid_y),
                z=grid_z,
                colorscale="Blues",
                reversescale=True,
                connectgaps=True,
                contours_coloring="heatmap",
                showscale=show_scale,
                colorbar={"title": {"text": target_name}},
                hoverinfo="none",
            )
        )
    traces.append(
        go.Scatter(
            x=_shown_grid(x_axis, x),
            y=_shown_grid(y_axis, y),
            mode="markers",
            marker={"color": "black", "size": 5, "line": {"width": 1, "color": "white"}},
            showlegend=False,
            text=hover_texts(trials, both),
            name="Trials",
        )
    )
    return traces


def _shown_grid(axis: ParamAxis, positions: np.ndarray) -> list[float]:
    """Positions back on the axis' own scale (log axes take the values, not their logs)."""
    shown: list[float] = (10.0**positions if axis.kind == "log" else positions).tolist()
    return shown


def _interpolate(
    x: np.ndarray, y: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The target on a grid over the points' box: linear inside their hull, nearest outside."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    grid_x = np.linspace(x.min(), x.max(), RESOLUTION)
    grid_y = np.linspace(y.min(), y.max(), RESOLUTION)
    mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)
    points = np.column_stack((x, y))
    try:
        linear = griddata(points, z, (mesh_x, mesh_y), method="linear")
    except QhullError:  # all points on a line
        return None
    nearest = griddata(points, z, (mesh_x, mesh_y), method="nearest")
    return grid_x, grid_y, np.where(np.isnan(linear), nearest, linear)
