"""The terminator's improvement bound (and the error it is compared with) over the trials."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.visualization._common import empty_figure, no_trials_reason
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.terminator import BaseErrorEvaluator, BaseImprovementEvaluator

_BLUE, _RED = "99, 110, 250", "239, 85, 59"
TITLE = "Terminator Improvement Plot"
_FADED = 0.25  # opacity of the points before ``min_n_trials``, where the terminator waits


@dataclasses.dataclass(frozen=True)
class ImprovementData:
    """After each trial (from the first complete one): its number, the improvement bound and,
    when asked for, the error; what both renderers of the terminator plot draw."""

    numbers: list[int]
    improvements: list[float]
    errors: list[float]

    def y_range(self, min_n_trials: int) -> tuple[float, float]:
        """The plotted range, padded by 5 %, leaving out the faded points when there are
        later ones."""
        shown = self.improvements
        if len(self.numbers) > min_n_trials:
            shown = self.improvements[min_n_trials:]
        low = min(self.improvements + self.errors)
        high = max(shown + self.errors)
        padding = 0.05 * (high - low)
        return low - padding, high + padding


def improvement_data(
    study: Study,
    plot_error: bool,
    improvement_evaluator: BaseImprovementEvaluator | None,
    error_evaluator: BaseErrorEvaluator | None,
    min_n_trials: int,
) -> ImprovementData:
    from tftune.terminator._checks import positive_int
    from tftune.terminator._terminator import default_evaluators, single_direction
    from tftune.trial._state import TrialState

    positive_int("min_n_trials", min_n_trials)
    direction = single_direction(study, "plot_terminator_improvement")
    improvement_evaluator, error_evaluator = default_evaluators(
        improvement_evaluator, error_evaluator
    )
    numbers: list[int] = []
    improvements: list[float] = []
    errors: list[float] = []
    complete = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state == TrialState.COMPLETE:
            complete.append(trial)
        if not complete:
            continue
        numbers.append(trial.number)
        improvements.append(improvement_evaluator.evaluate(list(complete), direction))
        if plot_error:
            errors.append(error_evaluator.evaluate(list(complete), direction))
    return ImprovementData(numbers, improvements, errors)


@experimental_func("3.2.0")
def plot_terminator_improvement(
    study: Study,
    plot_error: bool = False,
    improvement_evaluator: BaseImprovementEvaluator | None = None,
    error_evaluator: BaseErrorEvaluator | None = None,
    min_n_trials: int = 20,
) -> Any:
    """A plotly figure: after each trial, the improvement evaluator's value on the complete
    trials so far ("Terminator Improvement", faded up to ``min_n_trials``) and, with
    ``plot_error``, the error evaluator's ("Error"); the terminator stops a study where the
    first falls below the second. Defaults as ``Terminator``'s (the regret bound, and the
    cross-validation error, which needs ``report_cross_validation_scores``)."""
    go = import_plotly()
    data = improvement_data(
        study, plot_error, improvement_evaluator, error_evaluator, min_n_trials
    )
    numbers, improvements, errors = data.numbers, data.improvements, data.errors
    title = TITLE
    if not numbers:
        return empty_figure(title, no_trials_reason(study.study_name))
    figure = go.Figure()
    waiting = slice(0, min_n_trials + 1)
    figure.add_trace(
        _line(
            go,
            numbers[waiting],
            improvements[waiting],
            "Terminator Improvement",
            _BLUE,
            _FADED,
            showlegend=len(numbers) <= min_n_trials,
        )
    )
    if len(numbers) > min_n_trials:
        acting = slice(min_n_trials, None)
        figure.add_trace(
            _line(go, numbers[acting], improvements[acting], "Terminator Improvement", _BLUE)
        )
    if plot_error:
        figure.add_trace(_line(go, numbers, errors, "Error", _RED))
    low, high = data.y_range(min_n_trials)
    figure.update_layout(title=title, xaxis_title="Trial", yaxis_title="Terminator Improvement")
    figure.update_yaxes(range=[low, high])
    return figure


def _line(
    go: Any,
    x: list[int],
    y: list[float],
    name: str,
    rgb: str,
    opacity: float = 1.0,
    showlegend: bool = True,
) -> Any:
    color = f"rgba({rgb}, {opacity})"
    return go.Scatter(
        x=x,
        y=y,
        mode="markers+lines",
        name=name,
        marker={"color": color},
        line={"color": color},
        legendgroup=name,
        showlegend=showlegend,
    )
