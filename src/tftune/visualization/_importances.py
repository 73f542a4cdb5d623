"""Parameter importances as horizontal bars, the most important on top."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune.importance import BaseImportanceEvaluator, get_param_importances
from tftune.study._target import Target, complete_trials
from tftune.visualization._common import DEFAULT_TARGET_NAME, empty_figure, no_trials_reason
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study


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
    title = f"Hyperparameter importances of {study.study_name!r}"
    if not complete_trials(study):
        return empty_figure(title, no_trials_reason(study.study_name))
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
    order = list(series[0][1])[::-1]  # plotly draws the first bar at the bottom
    figure = go.Figure()
    for name, importances in series:
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
        title=title,
        xaxis_title=f"Importance for {target_name}",
        yaxis_title="Hyperparameter",
        showlegend=len(series) > 1,
    )
    return figure


def _objective(index: int) -> Target:
    def value(trial: Any) -> float:
        return float(trial.values[index])

    return value
