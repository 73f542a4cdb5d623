"""Rank plot: trials placed by their parameters, coloured by how their target ranks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import rankdata

from tftune.study._target import Target, complete_trials, param_names, resolve_target
from tftune.trial._frozen import FrozenTrial
from tftune.visualization._common import (
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

COLORSCALE = "RdYlBu_r"


@dataclasses.dataclass(frozen=True)
class RankData:
    """The complete trials, their target values, their ranks in [0, 1] and the axes."""

    title: str
    trials: list[FrozenTrial]
    values: np.ndarray
    ranks: np.ndarray
    axes: list[ParamAxis]
    empty_reason: str


def rank_data(
    study: Study, params: Sequence[str] | None, target: Target | None, target_name: str
) -> RankData:
    """What both renderers of ``plot_rank`` draw (no axes: an empty plot)."""
    warn_default_target_name(target, target_name)
    function = resolve_target(study, target, "plot_rank")
    trials = complete_trials(study)
    title = f"Rank plot of {study.study_name!r}"
    names = param_names(trials, params) if trials else []
    values = np.array([function(t) for t in trials], dtype=float)
    ranks = (rankdata(values) - 1) / max(1, len(values) - 1) if len(values) else values
    reason = (
        no_trials_reason(study.study_name)
        if not trials
        else f"Study {study.study_name!r} has no parameters to plot."
    )
    return RankData(title, trials, values, ranks, [param_axis(trials, n) for n in names], reason)


def plot_rank(
    study: Study,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly figure of the complete trials placed by their parameters (one parameter:
    against the target; two: one against the other; more: a matrix of pairs, diagonal empty),
    coloured by the rank of their target from 0 (lowest) to 1 (highest).

    Log-scale parameters get log axes, categories text axes; a trial shows in a panel only if
    it has the panel's parameters.
    """
    go = import_plotly()
    data = rank_data(study, params, target, target_name)
    if not data.axes:
        return empty_figure(data.title, data.empty_reason)
    title, trials, values, ranks, axes = (
        data.title,
        data.trials,
        data.values,
        data.ranks,
        data.axes,
    )

    def points(x_axis: ParamAxis, y_axis: ParamAxis | None, first: bool) -> Any:
        mask = x_axis.present if y_axis is None else x_axis.present & y_axis.present
        y = values[mask].tolist() if y_axis is None else y_axis.shown(mask)
        return go.Scatter(
            x=x_axis.shown(mask),
            y=y,
            mode="markers",
            showlegend=False,
            text=[
                f"{text}<br>{target_name}: {value:.6g}"
                for text, value in zip(hover_texts(trials, mask), values[mask], strict=True)
            ],
            marker={
                "color": ranks[mask].tolist(),
                "colorscale": COLORSCALE,
                "cmin": 0,
                "cmax": 1,
                "showscale": first,
                "colorbar": {"title": {"text": f"Rank of {target_name}"}},
                "line": {"width": 0.5, "color": "Grey"},
            },
        )

    if len(axes) <= 2:
        figure = go.Figure()
        y_axis = axes[1] if len(axes) == 2 else None
        figure.add_trace(points(axes[0], y_axis, True))
        figure.update_layout(
            xaxis=axes[0].layout(),
            yaxis=y_axis.layout() if y_axis else {"title": {"text": target_name}},
        )
    else:
        size = len(axes)
        figure = make_subplots(
            rows=size, cols=size, horizontal_spacing=0.03, vertical_spacing=0.03
        )
        first = True
        for row in range(size):
            for col in range(size):
                if row == col:
                    continue
                figure.add_trace(points(axes[col], axes[row], first), row=row + 1, col=col + 1)
                first = False
                x_layout, y_layout = axes[col].layout(), axes[row].layout()
                x_layout["title"]["text"] = axes[col].name if row == size - 1 else ""
                y_layout["title"]["text"] = axes[row].name if col == 0 else ""
                figure.update_xaxes(x_layout, row=row + 1, col=col + 1)
                figure.update_yaxes(y_layout, row=row + 1, col=col + 1)
    figure.update_layout(title=title)
    return figure
