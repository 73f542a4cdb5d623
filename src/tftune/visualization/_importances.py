"""Parameter importances as horizontal bars, the most important on top."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune.importance import BaseImportanceEvaluator, get_param_importances
from tftune.study._target import Target, complete_trials
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    empty_figure,
    no_trials_reason,
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study

#: Optuna's label of the importance axis.
XAXIS_TITLE = "Hyperparameter Importance"


@dataclasses.dataclass(frozen=True)
class ImportancesData:
    """One ``(name, {param: importance})`` series per objective, and the parameters' order
    from least to most important (of the first series)."""

    title: str
    series: list[tuple[str, dict[str, float]]]
    order: list[str]
    empty_reason: str


def importances_data(
    study: Study,
    evaluator: BaseImportanceEvaluator | None,
    params: Sequence[str] | None,
    target: Target | None,
    target_name: str,
) -> ImportancesData:
    """What both renderers of ``plot_param_importances`` draw (no series: no trials)."""
    warn_default_target_name(target, target_name)
    title = f"Hyperparameter importances of {study.study_name!r}"
    reason = no_trials_reason(study.study_name)
    if not complete_trials(study):
        return ImportancesData(title, [], [], reason)
    if target is None and len(study.directions) > 1:
        series = [
            (
                f"{target_name} {i}",
                get_param_importances(
                    study, evaluator=evaluator, params=params, target=_objective(i)
                ),
            )
            for i in range(len(study.directions))
        ]
    else:
        importances = get_param_importances(
            study, evaluator=evaluator, params=params, target=target
        )
        series = [(target_name, importances)]
    return ImportancesData(title, series, list(series[0][1])[::-1], reason)


def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """A plotly bar chart of ``tftune.importance.get_param_importances`` (PED-ANOVA unless
    ``evaluator`` says otherwise), normalized to sum to 1.

    A study with several objectives and no ``target`` gets one set of bars per objective
    (``target_name 0``, ``target_name 1``...), as Optuna draws it.
    """
    go = import_plotly()
    data = importances_data(study, evaluator, params, target, target_name)
    if not data.series:
        return empty_figure(data.title, data.empty_reason)
    order = data.order  # plotly draws the first bar at the bottom
    figure = go.Figure()
    for name, importances in data.series:
        figure.add_trace(
            go.Bar(
                x=[importances[p] for p in order],
                y=order,
                orientation="h",
                name=name,
                text=[f"{importances[p]:.2f}" for p in order],
                textposition="outside",
                hovertemplate="%{y}: %{x:.3f}<extra>" + name.replace("%", "%%") + "</extra>",
            )
        )
    figure.update_layout(
        title=data.title,
        xaxis_title=XAXIS_TITLE,
        yaxis_title="Hyperparameter",
        showlegend=len(data.series) > 1,
    )
    return figure


def _objective(index: int) -> Target:
    def value(trial: Any) -> float:
        return float(trial.values[index])

    return value
