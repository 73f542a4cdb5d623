"""Contour plot: the target over pairs of parameters, interpolated between trials."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    ParamAxis,
    empty_figure,
    hover_texts,
    no_trials_reason,
    param_axis,
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly, make_subplots

if TYPE_CHECKING:
    from tftune.study._study import Study

#: Grid points per axis of the interpolated surface.
RESOLUTION = 100


@dataclasses.dataclass(frozen=True)
class ContourData:
    """The complete trials, their target values and one axis per plotted parameter."""

    title: str
    trials: list[FrozenTrial]
    values: np.ndarray
    axes: list[ParamAxis]
    empty_reason: str

    def panel(self, x_axis: ParamAxis, y_axis: ParamAxis) -> ContourPanel:
        """One pair of parameters: the trials that have both, and the interpolated surface."""
        both = x_axis.present & y_axis.present
        x, y, z = x_axis.numeric(both), y_axis.numeric(both), self.values[both]
        return ContourPanel(x_axis, y_axis, both, x, y, interpolate(x, y, z))


@dataclasses.dataclass(frozen=True)
class ContourPanel:
    x_axis: ParamAxis
    y_axis: ParamAxis
    mask: np.ndarray
    x: np.ndarray
    y: np.ndarray
    surface: tuple[np.ndarray, np.ndarray, np.ndarray] | None


def contour_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> ContourData:
    """What both renderers of ``plot_contour`` draw (fewer than two axes: an empty plot)."""
    warn_default_target_name(target, target_name)
    function = resolve_target(study, target, "plot_contour")
    trials = complete_trials(study)
    title = f"Contour plot of {study.study_name!r}"
    if not trials:
        return ContourData(title, [], np.array([]), [], no_trials_reason(study.study_name))
    names = param_names(trials, params)
    values = np.array([function(t) for t in trials], dtype=float)
    axes = [param_axis(trials, name) for name in names] if len(names) >= 2 else []
    reason = f"A contour plot needs at least two parameters, got {names!r}; it is empty."
    return ContourData(title, trials, values, axes, reason)


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
    data = contour_data(study, params, target, target_name)
    if not data.axes:
        return empty_figure(data.title, data.empty_reason)
    axes = data.axes
    size = len(axes)
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
            panel = data.panel(x_axis, y_axis)
            for trace in _panel(go, panel, data.trials, target_name, first):
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
    figure.update_layout(title=data.title)
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
    panel: ContourPanel,
    trials: Sequence[Any],
    target_name: str,
    show_scale: bool,
) -> list[Any]:
    """The contour (when the points span an area) and the dots of one pair of parameters."""
    traces = []
    if panel.surface is not None:
        grid_x, grid_y, grid_z = panel.surface
        traces.append(
            go.Contour(
                x=shown_grid(panel.x_axis, grid_x),
                y=shown_grid(panel.y_axis, grid_y),
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
            x=shown_grid(panel.x_axis, panel.x),
            y=shown_grid(panel.y_axis, panel.y),
            mode="markers",
            marker={"color": "black", "size": 5, "line": {"width": 1, "color": "white"}},
            showlegend=False,
            text=hover_texts(trials, panel.mask),
            name="Trials",
        )
    )
    return traces


def shown_grid(axis: ParamAxis, positions: np.ndarray) -> list[float]:
    """Positions back on the axis' own scale (log axes take the values, not their logs)."""
    shown: list[float] = (10.0**positions if axis.kind == "log" else positions).tolist()
    return shown


def interpolate(
    x: np.ndarray, y: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The target on a grid over the points' box: linear inside their hull, nearest outside
    (nearest everywhere when the points are too few or on a line to span a hull); None when
    the points do not span a box (fewer than two, or one coordinate constant)."""
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    from scipy.interpolate import griddata
    from scipy.spatial import QhullError

    grid_x = np.linspace(x.min(), x.max(), RESOLUTION)
    grid_y = np.linspace(y.min(), y.max(), RESOLUTION)
    mesh_x, mesh_y = np.meshgrid(grid_x, grid_y)
    points = np.column_stack((x, y))
    nearest = griddata(points, z, (mesh_x, mesh_y), method="nearest")
    try:
        linear = griddata(points, z, (mesh_x, mesh_y), method="linear")
    except QhullError:  # fewer than three points, or all on a line
        return grid_x, grid_y, nearest
    return grid_x, grid_y, np.where(np.isnan(linear), nearest, linear)
