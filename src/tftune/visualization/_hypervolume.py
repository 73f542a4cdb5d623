"""Hypervolume history: how much of objective space the trials so far dominate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.hypervolume import compute_hypervolume
from tftune.study._multi_objective import loss_values, nondominated_mask
from tftune.study._target import complete_trials
from tftune.visualization._common import empty_figure, no_trials_reason
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def hypervolume_history(study: Study, reference: np.ndarray) -> tuple[list[int], list[float]]:
    """The complete trials' numbers and the hypervolume of those up to each (both renderers'
    data); ``reference`` is checked by ``check_reference``."""
    directions = study.directions
    trials = complete_trials(study)
    if not trials:
        return [], []
    loss = loss_values([t.values for t in trials], directions)  # type: ignore[misc]
    bound = loss_values([reference.tolist()], directions)[0]
    history = []
    front = np.empty((0, len(directions)))
    volume = 0.0
    for point in loss:
        # the volume changes only when a trial inside the reference joins the front
        inside = bool(np.all(point < bound))
        dominated = bool(np.any(np.all(front <= point, axis=1)))
        if inside and not dominated:
            front = np.vstack((front, point))
            front = front[nondominated_mask(front)]
            volume = compute_hypervolume(front, bound, assume_pareto=True)
        history.append(volume)
    return [t.number for t in trials], history


def check_reference(study: Study, reference_point: Sequence[float]) -> np.ndarray:
    """``reference_point`` as an array, or ValueError (a single objective, a wrong size)."""
    directions = study.directions
    if len(directions) < 2:
        raise ValueError(
            "plot_hypervolume_history needs a study with several objectives; study "
            f"{study.study_name!r} has 1."
        )
    reference = np.asarray(reference_point, dtype=float)
    if reference.shape != (len(directions),) or not np.all(np.isfinite(reference)):
        raise ValueError(
            f"`reference_point` must be {len(directions)} finite numbers, one per objective, "
            f"got {reference_point!r}."
        )
    return reference


@experimental_func("3.3.0")
def plot_hypervolume_history(study: Study, reference_point: Sequence[float]) -> Any:
    """A plotly figure of the hypervolume that the complete trials up to each trial number
    dominate, bounded by ``reference_point`` (one number per objective, in the objectives' own
    directions: it must be worse than the trials for them to count).
    """
    go = import_plotly()
    reference = check_reference(study, reference_point)
    title = f"Hypervolume history of {study.study_name!r}"
    numbers, history = hypervolume_history(study, reference)
    if not numbers:
        return empty_figure(title, no_trials_reason(study.study_name))
    figure = go.Figure(go.Scatter(x=numbers, y=history, mode="lines+markers", name="Hypervolume"))
    figure.update_layout(title=title, xaxis_title="Trial", yaxis_title="Hypervolume")
    return figure
