"""Parameter importances as matplotlib horizontal bars, from the plotly plot's data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_func
from tftune.importance import BaseImportanceEvaluator
from tftune.study._target import Target
from tftune.visualization._common import DEFAULT_TARGET_NAME
from tftune.visualization._importances import XAXIS_TITLE, importances_data
from tftune.visualization.matplotlib._axes import empty_axes, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("2.2.0")
def plot_param_importances(
    study: Study,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> Any:
    """``tftune.visualization.plot_param_importances`` as a matplotlib Axes: one bar per
    parameter (and per objective of a study with several), the most important on top."""
    import_pyplot()
    data = importances_data(study, evaluator, params, target, target_name)
    if not data.series:
        return empty_axes(data.title, data.empty_reason)
    ax = new_axes(data.title)
    order = data.order
    height = 0.8 / len(data.series)
    rows = np.arange(len(order))
    for i, (name, importances) in enumerate(data.series):
        widths = [importances[p] for p in order]
        bars = ax.barh(rows + i * height, widths, height=height, label=name)
        ax.bar_label(bars, labels=[f"{w:.2f}" for w in widths], padding=2)
    ax.set_yticks(rows + height * (len(data.series) - 1) / 2, order)
    ax.set_xlabel(XAXIS_TITLE)
    ax.set_ylabel("Hyperparameter")
    if len(data.series) > 1:
        ax.legend(loc="lower right")
    return ax
