"""Slice plot: the target against each parameter, one panel per parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.visualization._common import (
    COLORSCALE,
    DEFAULT_TARGET_NAME,
    empty_figure,
    hover_texts,
    no_trials_reason,
    param_axis,
)
from tftune.visualization._plotly import import_plotly, make_subplots

if TYPE_CHECKING:
    from tftune.study._study import Study


def plot_slice(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly figure with a panel per parameter: each complete trial's target value against
    the parameter's value, coloured by trial number. Log-scale parameters get log axes and
    categories text axes; trials without a parameter are left out of its panel.
    """
    go = import_plotly()
    function = resolve_target(study, target, "plot_slice")
    trials = complete_trials(study)
    title = f"Slice plot of {study.study_name!r}"
    if not trials:
        return empty_figure(title, no_trials_reason(study.study_name))
    names = param_names(trials, params)
    values = np.array([function(t) for t in trials], dtype=float)
    numbers = np.array([t.number for t in trials])
    figure = make_subplots(rows=1, cols=max(1, len(names)), shared_yaxes=True)
    for column, name in enumerate(names, start=1):
        axis = param_axis(trials, name)
        figure.add_trace(
            go.Scatter(
                x=axis.shown(),
                y=values[axis.present].tolist(),
                mode="markers",
                name=name,
                showlegend=False,
                text=hover_texts(trials, axis.present),
                marker={
                    "color": numbers[axis.present].tolist(),
                    "colorscale": COLORSCALE,
                    "showscale": column == 1,
                    "colorbar": {"title": {"text": "Trial"}},
                    "line": {"width": 0.5, "color": "Grey"},
                },
            ),
            row=1,
            col=column,
        )
        figure.update_xaxes(axis.layout(), row=1, col=column)
    figure.update_yaxes(title_text=target_name, row=1, col=1)
    figure.update_layout(title=title)
    return figure
