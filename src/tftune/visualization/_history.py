"""Optimization history: every trial's value and the best value so far, of one or more studies.

Several studies are drawn side by side, or, with ``error_bar=True``, as one mean curve with the
standard deviation across studies at each trial number (Optuna's arguments and meaning).
Infeasible trials of a constrained study are drawn in grey and never count as the best.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._direction import StudyDirection
from tftune.study._target import Target, complete_trials, resolve_target
from tftune.trial._constraints import is_feasible
from tftune.visualization._common import (
    DEFAULT_TARGET_NAME,
    empty_figure,
    no_trials_reason,
    warn_default_target_name,
)
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study

_INFEASIBLE_COLOR = "#cccccc"
_BAND_COLOR = "rgba(255,0,0,0.2)"


class History:
    """One study's complete trials: numbers, values, feasibility and the best so far."""

    def __init__(self, study: Study, target: Target | None, caller: str) -> None:
        function = resolve_target(study, target, caller)
        trials = complete_trials(study)
        self.name = study.study_name
        self.numbers = [t.number for t in trials]
        self.values = [float(function(t)) for t in trials]
        self.feasible = [is_feasible(t) for t in trials]
        self.hovertext = [str(t.params) for t in trials]
        self.best: list[float] | None = None
        if target is None:
            maximize = study.directions[0] == StudyDirection.MAXIMIZE
            self.best = _best_so_far(self.values, self.feasible, maximize)

    def finite_best(self) -> list[tuple[int, float]]:
        """``(number, best so far)`` from the first feasible trial on."""
        assert self.best is not None
        return [(n, b) for n, b in zip(self.numbers, self.best, strict=True) if _ok(b)]

    def shown(self, feasible: bool) -> tuple[list[int], list[float], list[str]]:
        keep = [f == feasible for f in self.feasible]
        return (
            [n for n, k in zip(self.numbers, keep, strict=True) if k],
            [v for v, k in zip(self.values, keep, strict=True) if k],
            [h for h, k in zip(self.hovertext, keep, strict=True) if k],
        )


def _best_so_far(values: list[float], feasible: list[bool], maximize: bool) -> list[float]:
    """The best feasible value up to each trial (infinitely bad before the first feasible)."""
    worst = -math.inf if maximize else math.inf
    masked = np.array([v if f else worst for v, f in zip(values, feasible, strict=True)])
    accumulate = np.maximum.accumulate if maximize else np.minimum.accumulate
    return [float(v) for v in accumulate(masked)] if len(masked) else []


def studies_of(study: Study | Sequence[Study]) -> list[Study]:
    from tftune.study._study import Study

    if isinstance(study, Study):
        return [study]
    if isinstance(study, str | bytes) or not isinstance(study, Sequence):
        raise TypeError(f"`study` must be a Study or a sequence of studies, got {study!r}.")
    studies = list(study)
    for item in studies:
        if not isinstance(item, Study):
            raise TypeError(f"`study` must hold only Study objects, got {item!r} among them.")
    return studies


def plot_optimization_history(
    study: Study | Sequence[Study],
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
    error_bar: bool = False,
) -> Any:
    """A plotly figure: complete trials' values by trial number, and the best so far as a line.

    ``study`` may be several studies (say, one per seed) to compare; with ``error_bar=True``
    they are drawn as the mean value and mean best value at each trial number, with the
    standard deviation across studies as error bars and a band. A study with several
    objectives needs ``target``; a custom ``target`` has no direction, so its plot has no
    best-so-far line (as in Optuna).
    """
    warn_default_target_name(target, target_name)
    studies = studies_of(study)
    caller = "plot_optimization_history"
    if not studies:
        return empty_figure("Optimization history", "No studies were given; the figure is empty.")
    histories = [History(s, target, caller) for s in studies]
    title = history_title(studies)
    if not any(h.numbers for h in histories):
        return empty_figure(title, no_trials_reason(", ".join(h.name for h in histories)))
    if error_bar:
        return _error_bar_figure(studies, histories, target_name)
    go = import_plotly()
    figure = go.Figure()
    several = len(histories) > 1
    for history in histories:
        _add_history(figure, history, target_name, several)
    figure.update_layout(title=title, xaxis_title="Trial", yaxis_title=target_name)
    return figure


def _add_history(figure: Any, history: History, target_name: str, several: bool) -> None:
    go = import_plotly()
    suffix = f" of {history.name}" if several else ""
    numbers, values, hovertext = history.shown(feasible=True)
    figure.add_trace(
        go.Scatter(
            x=numbers, y=values, mode="markers", name=target_name + suffix, hovertext=hovertext
        )
    )
    if history.best is not None:
        finite = history.finite_best()
        figure.add_trace(
            go.Scatter(
                x=[n for n, _ in finite],
                y=[b for _, b in finite],
                mode="lines",
                name="Best value" + suffix,
                line={"shape": "hv"},
            )
        )
    numbers, values, hovertext = history.shown(feasible=False)
    if numbers:
        figure.add_trace(
            go.Scatter(
                x=numbers,
                y=values,
                mode="markers",
                name="Infeasible trial" + suffix,
                hovertext=hovertext,
                marker={"color": _INFEASIBLE_COLOR},
            )
        )


def _ok(value: float) -> bool:
    return math.isfinite(value)


Summary = tuple[list[int], list[float], list[float]]


def error_bar_data(
    studies: list[Study], histories: list[History]
) -> tuple[Summary, Summary | None]:
    """Trial numbers, mean and standard deviation across studies of the values, and of the
    best values so far (None for a custom target); what both renderers of
    ``error_bar=True`` draw."""
    if len({s.directions[0] for s in studies}) > 1 and histories[0].best is not None:
        directions = [s.directions[0].name.lower() for s in studies]
        raise ValueError(
            "`error_bar=True` averages the best values of studies with one direction; "
            f"got directions {directions}."
        )
    size = 1 + max(n for h in histories for n in h.numbers)
    values = _summary(_per_number(size, [(h.numbers, h.values, h.feasible) for h in histories]))
    best = None
    if all(h.best is not None for h in histories):
        best = _summary(_best_per_number(size, histories))
    return values, best


def _error_bar_figure(studies: list[Study], histories: list[History], target_name: str) -> Any:
    (numbers, means, stds), best = error_bar_data(studies, histories)
    go = import_plotly()
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=numbers,
            y=means,
            error_y={"type": "data", "array": stds, "visible": True},
            mode="markers",
            name=target_name,
        )
    )
    if best is not None:
        numbers, means, stds = best
        upper = [m + s for m, s in zip(means, stds, strict=True)]
        lower = [m - s for m, s in zip(means, stds, strict=True)]
        figure.add_trace(go.Scatter(x=numbers, y=means, mode="lines", name="Best value"))
        figure.add_trace(
            go.Scatter(x=numbers, y=upper, mode="lines", line={"width": 0.01}, showlegend=False)
        )
        figure.add_trace(
            go.Scatter(
                x=numbers,
                y=lower,
                mode="none",
                fill="tonexty",
                fillcolor=_BAND_COLOR,
                showlegend=False,
            )
        )
    title = error_bar_title(studies)
    figure.update_layout(title=title, xaxis_title="Trial", yaxis_title=target_name)
    return figure


def error_bar_title(studies: list[Study]) -> str:
    return f"Optimization history of {len(studies)} studies (mean and standard deviation)"


def history_title(studies: list[Study]) -> str:
    if len(studies) == 1:
        return f"Optimization history of {studies[0].study_name!r}"
    return "Optimization history of " + ", ".join(repr(s.study_name) for s in studies)


def _per_number(
    size: int, series: list[tuple[list[int], list[float], list[bool]]]
) -> list[list[float]]:
    """For each trial number, the feasible values the studies have there."""
    found: list[list[float]] = [[] for _ in range(size)]
    for numbers, values, feasible in series:
        for number, value, ok in zip(numbers, values, feasible, strict=True):
            if ok:
                found[number].append(value)
    return found


def _best_per_number(size: int, histories: list[History]) -> list[list[float]]:
    """For each trial number, each study's best value so far (carried over numbers where the
    study has no complete trial; none before its first feasible one)."""
    found: list[list[float]] = [[] for _ in range(size)]
    for history in histories:
        assert history.best is not None
        at = dict(zip(history.numbers, history.best, strict=True))
        current = math.nan
        for number in range(size):
            current = at.get(number, current)
            if _ok(current):
                found[number].append(current)
    return found


def _summary(per_number: list[list[float]]) -> tuple[list[int], list[float], list[float]]:
    """Trial numbers with at least one value, and the mean and standard deviation there."""
    numbers = [n for n, cell in enumerate(per_number) if cell]
    means = [float(np.mean(per_number[n])) for n in numbers]
    stds = [float(np.std(per_number[n])) for n in numbers]
    return numbers, means, stds
