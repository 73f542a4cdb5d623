"""Timeline: when each trial ran, coloured by its state."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

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


def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """A plotly figure with a bar per trial from its start to its end (now, while it runs),
    one trace per state, so overlapping (parallel) trials and failures stand out. Waiting
    trials have not started and are left out. ``n_recent_trials`` keeps the latest ones.
    """
    if n_recent_trials is not None and (
        isinstance(n_recent_trials, bool)
        or not isinstance(n_recent_trials, int)
        or n_recent_trials < 1
    ):
        raise ValueError(
            f"`n_recent_trials` must be a positive int or None, got {n_recent_trials!r}."
        )
    go = import_plotly()
    trials = [t for t in study.get_trials(deepcopy=False) if t.datetime_start is not None]
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    title = f"Timeline of {study.study_name!r}"
    if not trials:
        return empty_figure(
            title, f"Study {study.study_name!r} has no started trials; the figure is empty."
        )
    now = datetime.datetime.now()
    figure = go.Figure()
    for state, color in COLORS.items():
        chosen = [t for t in trials if t.state == state]
        if not chosen:
            continue
        starts = [t.datetime_start for t in chosen]
        ends = [t.datetime_complete or now for t in chosen]
        figure.add_trace(
            go.Bar(
                name=state.name,
                orientation="h",
                y=[t.number for t in chosen],
                base=[s.isoformat() for s in starts],  # type: ignore[union-attr]
                x=[(e - s).total_seconds() * 1000 for s, e in zip(starts, ends, strict=True)],  # type: ignore[operator]
                marker_color=color,
                text=[f"Trial {t.number}: {t.params}" for t in chosen],
                textposition="none",
            )
        )
    figure.update_layout(
        title=title,
        xaxis={"type": "date", "title": {"text": "Datetime"}},
        yaxis={"title": {"text": "Trial"}},
        barmode="overlay",
    )
    return figure
