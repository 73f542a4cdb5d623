"""Empirical distribution function: the share of trials at or below each target value."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.study._target import Target, complete_trials, resolve_target
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    empty_figure,
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


@dataclasses.dataclass(frozen=True)
class EdfLine:
    """One study's sorted target values and the fraction of trials at or below each."""

    study_name: str
    values: np.ndarray
    fractions: np.ndarray


@dataclasses.dataclass(frozen=True)
class EdfData:
    title: str
    lines: list[EdfLine]
    empty_reason: str


def edf_data(study: Study | Sequence[Study], target: Target | None, target_name: str) -> EdfData:
    """What both renderers of ``plot_edf`` draw (lines of studies without trials left out)."""
    warn_default_target_name(target, target_name)
    studies = [study] if not isinstance(study, Sequence) else list(study)
    functions = [resolve_target(s, target, "plot_edf") for s in studies]
    lines = []
    for each, function in zip(studies, functions, strict=True):
        values = np.sort(np.array([function(t) for t in complete_trials(each)], dtype=float))
        if len(values):
            fractions = np.arange(1, len(values) + 1) / len(values)
            lines.append(EdfLine(each.study_name, values, fractions))
    names = [s.study_name for s in studies]
    return EdfData(
        "Empirical distribution function of the " + target_name,
        lines,
        f"No complete trials in studies {names!r}; the figure is empty.",
    )


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
    data = edf_data(study, target, target_name)
    if not data.lines:
        return empty_figure(data.title, data.empty_reason)
    figure = go.Figure()
    for line in data.lines:
        figure.add_trace(
            go.Scatter(
                x=line.values.tolist(),
                y=line.fractions.tolist(),
                mode="lines",
                line={"shape": "hv"},
                name=line.study_name,
            )
        )
    figure.update_layout(
        title=data.title,
        xaxis_title=target_name,
        yaxis={"title": {"text": "Cumulative probability"}, "range": [0, 1.02]},
    )
    return figure
