"""Timeline: when each trial ran, coloured by its state."""

from __future__ import annotations

import dataclasses
import datetime
from typing import TYPE_CHECKING, Any

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune.visualization._common import empty_figure
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study

COLORS = {
    TrialState.COMPLETE: "#1f77b4",
    TrialState.PRUNED: "#ff7f0e",
    TrialState.FAIL: "#d62728",
    TrialState.RUNNING: "#2ca02c",
}


@dataclasses.dataclass(frozen=True)
class TimelineBar:
    number: int
    state: TrialState
    start: datetime.datetime
    end: datetime.datetime
    text: str


@dataclasses.dataclass(frozen=True)
class TimelineData:
    title: str
    bars: list[TimelineBar]
    empty_reason: str

    def of_state(self, state: TrialState) -> list[TimelineBar]:
        return [bar for bar in self.bars if bar.state == state]


def timeline_data(study: Study, n_recent_trials: int | None) -> TimelineData:
    """The started trials (the latest ``n_recent_trials``), each from its start to its end
    (now, while it runs); what both renderers of ``plot_timeline`` draw."""
    if n_recent_trials is not None and (
        isinstance(n_recent_trials, bool)
        or not isinstance(n_recent_trials, int)
        or n_recent_trials < 1
    ):
        raise ValueError(
            f"`n_recent_trials` must be a positive int or None, got {n_recent_trials!r}."
        )
    trials: list[FrozenTrial] = [
        t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None
    ]
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    now = datetime.datetime.now()
    bars = [
        TimelineBar(
            t.number,
            t.state,
            t.datetime_start,  # type: ignore[arg-type]
            t.datetime_complete or now,
            f"Trial {t.number}: {t.params}",
        )
        for t in trials
        if t.state in COLORS
    ]
    return TimelineData(
        f"Timeline of {study.study_name!r}",
        bars,
        f"Study {study.study_name!r} has no started trials; the figure is empty.",
    )


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """A plotly figure with a bar per trial from its start to its end (now, while it runs),
    one trace per state, so overlapping (parallel) trials and failures stand out. Waiting
    trials have not started and are left out. ``n_recent_trials`` keeps the latest ones.
    """
    data = timeline_data(study, n_recent_trials)
    go = import_plotly()
    if not data.bars:
        return empty_figure(data.title, data.empty_reason)
    figure = go.Figure()
    for state, color in COLORS.items():
        chosen = data.of_state(state)
        if not chosen:
            continue
        figure.add_trace(
            go.Bar(
                name=state.name,
                orientation="h",
                y=[b.number for b in chosen],
                base=[b.start.isoformat() for b in chosen],
                x=[(b.end - b.start).total_seconds() * 1000 for b in chosen],
                marker_color=color,
                text=[b.text for b in chosen],
                textposition="none",
            )
        )
    figure.update_layout(
        title=data.title,
        xaxis={"type": "date", "title": {"text": "Datetime"}},
        yaxis={"title": {"text": "Trial"}},
        barmode="overlay",
    )
    return figure
