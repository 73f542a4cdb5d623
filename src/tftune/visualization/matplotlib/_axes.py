"""What the matplotlib plots share: empty axes with a warning, and parameters on an axis."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from tftune.visualization._common import ParamAxis
from tftune.visualization.matplotlib._imports import import_pyplot

_logger = logging.getLogger("tftune")

#: Colour maps: the target (lower is darker, as the plotly plots) and ranks.
CMAP = "Blues_r"
RANK_CMAP = "RdYlBu_r"


def new_axes(title: str) -> Any:
    """A new figure's single Axes, titled."""
    plt = import_pyplot()
    _, ax = plt.subplots()
    ax.set_title(title)
    return ax


def empty_axes(title: str, reason: str) -> Any:
    """An Axes with only a title, after logging ``reason`` as a warning (as Optuna does)."""
    _logger.warning("%s", reason)
    return new_axes(title)


def on_axis(axis: ParamAxis, numeric: np.ndarray) -> np.ndarray:
    """Values of ``axis`` in its numeric form (log10 on log axes) where matplotlib puts them:
    the value itself on linear and log axes (the axis is log-scaled), the index for
    categories."""
    shown: np.ndarray = 10.0**numeric if axis.kind == "log" else numeric
    return shown


def positions(axis: ParamAxis, mask: np.ndarray | None = None) -> np.ndarray:
    """The (masked) present values where matplotlib puts them (see :func:`on_axis`)."""
    return on_axis(axis, axis.numeric(mask))


def style_axis(ax: Any, axis: ParamAxis, which: str, label: bool = True) -> None:
    """Log scale, or category labels at their indices, on the ``"x"`` or ``"y"`` axis."""
    if axis.kind == "log":
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    elif axis.kind == "category":
        ticks = list(range(len(axis.labels)))
        if which == "x":
            ax.set_xticks(ticks, axis.labels)
        else:
            ax.set_yticks(ticks, axis.labels)
    if label:
        (ax.set_xlabel if which == "x" else ax.set_ylabel)(axis.name)


def label_by_trial(ax: Any, y_label: str, legend: bool = True) -> None:
    """A history's axes: trial numbers along x, ``y_label`` along y, the legend at its best
    place."""
    ax.set_xlabel("Trial")
    ax.set_ylabel(y_label)
    if legend:
        ax.legend(loc="best")


def pair_grid(
    size: int, title: str, draw: Callable[[Any, int, int, bool, bool], Any]
) -> tuple[np.ndarray, Any]:
    """A pair plot: a ``size`` x ``size`` grid of Axes, the diagonal off, and
    ``draw(ax, col, row, x_label, y_label)`` in every other cell (x labels on the bottom
    row, y labels on the left column). Returns the grid and the first mappable ``draw``
    returned (None if none did), for one colour bar."""
    grid = grid_of_axes(size, title)
    mappable = None
    for row in range(size):
        for col in range(size):
            if row == col:
                grid[row, col].axis("off")
                continue
            drawn = draw(grid[row, col], col, row, row == size - 1, col == 0)
            mappable = mappable if mappable is not None else drawn
    return grid, mappable


def grid_of_axes(size: int, title: str) -> np.ndarray:
    """A ``size`` x ``size`` matrix of Axes in one figure (a pair plot), titled."""
    plt = import_pyplot()
    figure, axes = plt.subplots(size, size, figsize=(2.5 * size, 2.5 * size), squeeze=False)
    figure.suptitle(title)
    return np.asarray(axes)
