"""What the matplotlib plots share: empty axes with a warning, and parameters on an axis."""

from __future__ import annotations

import logging
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


def positions(axis: ParamAxis, mask: np.ndarray | None = None) -> np.ndarray:
    """The (masked) present values where matplotlib puts them: the value itself on linear and
    log axes (the axis is log-scaled), the index of the label for categories."""
    numeric = axis.numeric(mask)
    return 10.0**numeric if axis.kind == "log" else numeric


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


def grid_of_axes(size: int, title: str) -> np.ndarray:
    """A ``size`` x ``size`` matrix of Axes in one figure (a pair plot), titled."""
    plt = import_pyplot()
    figure, axes = plt.subplots(size, size, figsize=(2.5 * size, 2.5 * size), squeeze=False)
    figure.suptitle(title)
    return np.asarray(axes)
