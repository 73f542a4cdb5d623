"""Slice plot as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME
from tftune.visualization._slice import slice_data
from tftune.visualization.matplotlib._axes import CMAP, empty_axes, positions, style_axis
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.2.0")
def plot_slice(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """``tftune.visualization.plot_slice`` as matplotlib: an Axes for one parameter, a numpy
    array of Axes (one per parameter, sharing the target's y axis) for more."""
    plt = import_pyplot()
    data = slice_data(study, params, target, target_name)
    if not data.trials or not data.axes:
        return empty_axes(data.title, data.empty_reason)
    size = len(data.axes)
    figure, grid = plt.subplots(1, size, sharey=True, figsize=(3 * size + 1, 4), squeeze=False)
    axes = np.asarray(grid)[0]
    figure.suptitle(data.title)
    mappable = None
    low, high = float(data.numbers.min()), float(data.numbers.max())
    for ax, axis in zip(axes, data.axes, strict=True):
        mappable = ax.scatter(
            positions(axis),
            data.values[axis.present],
            c=data.numbers[axis.present],
            cmap=CMAP,
            vmin=low,
            vmax=high,
            edgecolors="grey",
            linewidths=0.5,
        )
        style_axis(ax, axis, "x")
    axes[0].set_ylabel(target_name)
    bar = figure.colorbar(mappable, ax=axes.tolist())
    bar.set_label("Trial")
    return axes[0] if size == 1 else axes
