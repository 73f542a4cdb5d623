"""Contour plot as matplotlib Axes, drawn from ``tftune.visualization``'s contour data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME
from tftune.visualization._contour import ContourPanel, contour_data
from tftune.visualization.matplotlib._axes import (
    CMAP,
    empty_axes,
    new_axes,
    on_axis,
    pair_grid,
    style_axis,
)
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.2.0")
def plot_contour(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """The contour plot of ``tftune.visualization.plot_contour`` as matplotlib: one Axes for
    two parameters, a matrix (numpy array) of Axes for more, with one colour bar labelled
    ``target_name``. Fewer than two parameters give an empty Axes and a warning.
    """
    import_pyplot()
    data = contour_data(study, params, target, target_name)
    if not data.axes:
        return empty_axes(data.title, data.empty_reason)
    size = len(data.axes)
    if size == 2:
        ax = new_axes(data.title)
        mappable = _draw(ax, data.panel(data.axes[0], data.axes[1]), True, True)
        _colorbar(ax, mappable, target_name)
        return ax
    grid, mappable = pair_grid(
        size,
        data.title,
        lambda ax, col, row, x_label, y_label: _draw(
            ax, data.panel(data.axes[col], data.axes[row]), x_label, y_label
        ),
    )
    if mappable is not None:
        _colorbar(grid, mappable, target_name)
    return grid


def _draw(ax: Any, panel: ContourPanel, x_label: bool, y_label: bool) -> Any:
    """The filled contour (when the points span an area) and the trials as dots."""
    mappable = None
    if panel.surface is not None:
        grid_x, grid_y, grid_z = panel.surface
        shown_x, shown_y = on_axis(panel.x_axis, grid_x), on_axis(panel.y_axis, grid_y)
        mappable = ax.contourf(shown_x, shown_y, grid_z, levels=15, cmap=CMAP)
    x, y = on_axis(panel.x_axis, panel.x), on_axis(panel.y_axis, panel.y)
    ax.scatter(x, y, c="black", s=12, edgecolors="white", linewidths=0.5, zorder=3)
    style_axis(ax, panel.x_axis, "x", x_label)
    style_axis(ax, panel.y_axis, "y", y_label)
    return mappable


def _colorbar(ax: Any, mappable: Any, target_name: str) -> None:
    target = ax.ravel().tolist() if isinstance(ax, np.ndarray) else ax
    figure = target[0].figure if isinstance(target, list) else target.figure
    bar = figure.colorbar(mappable, ax=target)
    bar.set_label(target_name)
