"""Rank plot as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME, ParamAxis
from tftune.visualization._rank import RankData, rank_data
from tftune.visualization.matplotlib._axes import (
    RANK_CMAP,
    empty_axes,
    pair_grid,
    new_axes,
    positions,
    style_axis,
)
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("3.2.0")
def plot_rank(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """``tftune.visualization.plot_rank`` as matplotlib: trials placed by one parameter
    (against the target) or two, one Axes; a matrix (numpy array) of Axes for more; coloured
    by the rank of their target from 0 (lowest) to 1 (highest)."""
    import_pyplot()
    data = rank_data(study, params, target, target_name)
    if not data.axes:
        return empty_axes(data.title, data.empty_reason)
    label = f"Rank of {target_name}"
    if len(data.axes) <= 2:
        ax = new_axes(data.title)
        y_axis = data.axes[1] if len(data.axes) == 2 else None
        mappable = _draw(ax, data, data.axes[0], y_axis, True, True)
        if y_axis is None:
            ax.set_ylabel(target_name)
        ax.figure.colorbar(mappable, ax=ax).set_label(label)
        return ax
    size = len(data.axes)
    grid, mappable = pair_grid(
        size,
        data.title,
        lambda ax, col, row, x_label, y_label: _draw(
            ax, data, data.axes[col], data.axes[row], x_label, y_label
        ),
    )
    grid[0, 0].figure.colorbar(mappable, ax=grid.ravel().tolist()).set_label(label)
    return grid


def _draw(
    ax: Any,
    data: RankData,
    x_axis: ParamAxis,
    y_axis: ParamAxis | None,
    x_label: bool,
    y_label: bool,
) -> Any:
    mask = x_axis.present if y_axis is None else x_axis.present & y_axis.present
    y = data.values[mask] if y_axis is None else positions(y_axis, mask)
    mappable = ax.scatter(
        positions(x_axis, mask),
        y,
        c=data.ranks[mask],
        cmap=RANK_CMAP,
        vmin=0,
        vmax=1,
        edgecolors="grey",
        linewidths=0.5,
    )
    style_axis(ax, x_axis, "x", x_label)
    if y_axis is not None:
        style_axis(ax, y_axis, "y", y_label)
    return mappable
