"""Timeline as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.visualization._timeline import COLORS, timeline_data
from tftune.visualization.matplotlib._axes import empty_axes, new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study


@experimental_func("3.2.0")
def plot_timeline(study: Study, n_recent_trials: int | None = None) -> Any:
    """``tftune.visualization.plot_timeline`` as a matplotlib Axes: a horizontal bar per
    started trial from its start to its end (now, while it runs), coloured by state."""
    import_pyplot()
    import matplotlib.dates as mdates

    data = timeline_data(study, n_recent_trials)
    if not data.bars:
        return empty_axes(data.title, data.empty_reason)
    ax = new_axes(data.title)
    for state, color in COLORS.items():
        chosen = data.of_state(state)
        if not chosen:
            continue
        starts = mdates.date2num([b.start for b in chosen])  # type: ignore[no-untyped-call]
        ends = mdates.date2num([b.end for b in chosen])  # type: ignore[no-untyped-call]
        widths = ends - starts
        ax.barh([b.number for b in chosen], widths, left=starts, color=color, label=state.name)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))  # type: ignore[no-untyped-call]
    ax.set_xlabel("Datetime")
    ax.set_ylabel("Trial")
    ax.legend(loc="upper left")
    return ax
