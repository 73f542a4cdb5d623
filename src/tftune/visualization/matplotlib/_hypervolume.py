"""Hypervolume history as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.visualization._common import no_trials_reason
from tftune.visualization._hypervolume import check_reference, hypervolume_history
from tftune.visualization.matplotlib._axes import empty_axes, label_by_trial, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("3.3.0")
def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Any:
    """``tftune.visualization.plot_hypervolume_history`` as a matplotlib Axes."""
    import_pyplot()
    reference = check_reference(study, reference_point)
    title = f"Hypervolume history of {study.study_name!r}"
    numbers, history = hypervolume_history(study, reference)
    if not numbers:
        return empty_axes(title, no_trials_reason(study.study_name))
    ax = new_axes(title)
    ax.plot(numbers, history, marker="o", markersize=3, label="Hypervolume")
    label_by_trial(ax, "Hypervolume", legend=False)
    return ax
