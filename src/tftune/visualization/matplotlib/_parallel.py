"""Parallel coordinates as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME, ParamAxis
from tftune.visualization._parallel import log_ticks, parallel_data
from tftune.visualization.matplotlib._axes import CMAP, empty_axes, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.2.0")
def plot_parallel_coordinate(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """``tftune.visualization.plot_parallel_coordinate`` as a matplotlib Axes: the target and
    each parameter as a vertical axis (each scaled to [0, 1], its own values as ticks), a line
    per trial coloured by the target, and a colour bar labelled ``target_name``."""
    import_pyplot()
    from matplotlib.collections import LineCollection

    data = parallel_data(study, params, target, target_name)
    if not len(data.values):
        return empty_axes(data.title, data.empty_reason)
    columns: list[tuple[str, np.ndarray, ParamAxis | None]] = [(target_name, data.values, None)]
    columns += [(a.name, a.numeric(data.complete), a) for a in data.axes]
    scaled = np.column_stack([_scale(values) for _, values, _ in columns])
    ax = new_axes(data.title)
    xs = np.arange(len(columns))
    segments = [np.column_stack((xs, row)) for row in scaled]
    lines = LineCollection(segments, cmap=CMAP, linewidths=1.5)
    lines.set_array(data.values)
    ax.add_collection(lines)
    ax.set_xlim(-0.1, len(columns) - 0.9)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xticks(xs, [name for name, _, _ in columns], rotation=30, ha="right")
    ax.set_yticks([])
    for x, (_, values, axis) in zip(xs, columns, strict=True):
        ax.axvline(x, color="black", linewidth=0.8)
        for position, text in _ticks(values, axis):
            ax.text(x + 0.02, position, text, fontsize=7, va="center")
    bar = ax.figure.colorbar(lines, ax=ax)
    bar.set_label(target_name)
    return ax


def _scale(values: np.ndarray) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    return np.full(len(values), 0.5) if high == low else (values - low) / (high - low)


def _ticks(values: np.ndarray, axis: ParamAxis | None) -> list[tuple[float, str]]:
    """``(position in [0, 1], text)`` of the labels along one vertical axis."""
    low, high = float(values.min()), float(values.max())

    def at(value: float) -> float:
        return 0.5 if high == low else (value - low) / (high - low)

    if axis is not None and axis.kind == "category":
        return [(at(i), label) for i, label in enumerate(axis.labels) if low <= i <= high]
    if axis is not None and axis.kind == "log":
        ticks, texts = log_ticks(values)
        return [(at(t), s) for t, s in zip(ticks, texts, strict=True) if low <= t <= high]
    if high == low:
        return [(0.5, f"{low:.3g}")]
    return [(at(v), f"{v:.3g}") for v in np.linspace(low, high, 5)]
