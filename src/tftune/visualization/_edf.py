"""Empirical distribution function: the share of trials at or below each target value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, resolve_target
from tftune.visualization._common import DEFAULT_TARGET_NAME, empty_figure
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_edf(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly figure with one step line per study: the fraction of its complete trials whose
    target is at most x. Several studies compare search spaces or samplers at a glance.
    """
    go = import_plotly()
    studies = [study] if not isinstance(study, Sequence) else list(study)
    functions = [resolve_target(s, target, "plot_edf") for s in studies]
    title = "Empirical distribution function of the " + target_name
    figure = go.Figure()
    for each, function in zip(studies, functions, strict=True):
        values = np.sort([function(t) for t in complete_trials(each)])
        if not len(values):
            continue
        fractions = np.arange(1, len(values) + 1) / len(values)
        figure.add_trace(
            go.Scatter(
                x=values.tolist(),
                y=fractions.tolist(),
                mode="lines",
                line={"shape": "hv"},
                name=each.study_name,
            )
        )
    if not figure.data:
        names = [s.study_name for s in studies]
        return empty_figure(
            title, f"No complete trials in studies {names!r}; the figure is empty."
        )
    figure.update_layout(
        title=title,
        xaxis_title=target_name,
        yaxis={"title": {"text": "Cumulative probability"}, "range": [0, 1.02]},
    )
    return figure
