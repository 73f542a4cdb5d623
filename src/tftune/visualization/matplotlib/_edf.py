"""Empirical distribution function as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME
from tftune.visualization._edf import edf_data
from tftune.visualization.matplotlib._axes import empty_axes, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.2.0")
def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """``tftune.visualization.plot_edf`` as a matplotlib Axes: one step line per study, the
    fraction of its complete trials whose target is at most x (x axis: ``target_name``)."""
    import_pyplot()
    data = edf_data(study, target, target_name)
    if not data.lines:
        return empty_axes(data.title, data.empty_reason)
    ax = new_axes(data.title)
    for line in data.lines:
        ax.step(line.values, line.fractions, where="post", label=line.study_name)
    ax.set_xlabel(target_name)
    ax.set_ylabel("Cumulative Probability")
    ax.set_ylim(0, 1.02)
    if len(data.lines) > 1:
        ax.legend()
    return ax
