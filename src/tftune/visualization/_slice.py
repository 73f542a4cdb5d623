"""Slice plot: the target against each parameter, one panel per parameter."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._common import (
    COLORSCALE,
    DEFAULT_TARGET_NAME,
    ParamAxis,
    empty_figure,
    hover_texts,
    no_trials_reason,
    param_axis,
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly, make_subplots

if TYPE_CHECKING:
    from tftune.study._study import Study


@dataclasses.dataclass(frozen=True)
class SliceData:
    """The complete trials, their target values and numbers, and one axis per parameter."""

    title: str
    trials: list[FrozenTrial]
    values: np.ndarray
    numbers: np.ndarray
    axes: list[ParamAxis]
    empty_reason: str


def slice_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> SliceData:
    """What both renderers of ``plot_slice`` draw."""
    warn_default_target_name(target, target_name)
    function = resolve_target(study, target, "plot_slice")
    trials = complete_trials(study)
    names = param_names(trials, params) if trials else []
    return SliceData(
        f"Slice plot of {study.study_name!r}",
        trials,
        np.array([function(t) for t in trials], dtype=float),
        np.array([t.number for t in trials]),
        [param_axis(trials, name) for name in names],
        no_trials_reason(study.study_name),
    )


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
    data = slice_data(study, params, target, target_name)
    if not data.trials:
        return empty_figure(data.title, data.empty_reason)
    figure = make_subplots(rows=1, cols=max(1, len(data.axes)), shared_yaxes=True)
    for column, axis in enumerate(data.axes, start=1):
        figure.add_trace(
            go.Scatter(
                x=axis.shown(),
                y=data.values[axis.present].tolist(),
                mode="markers",
                name=axis.name,
                showlegend=False,
                text=hover_texts(data.trials, axis.present),
                marker={
                    "color": data.numbers[axis.present].tolist(),
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
    figure.update_layout(title=data.title)
    return figure
