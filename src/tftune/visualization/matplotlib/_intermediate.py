"""Learning curves as matplotlib Axes, from the plotly plot's data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_func
from tftune.trial._state import TrialState
from tftune.visualization._intermediate import STYLE, reported_trials
from tftune.visualization.matplotlib._axes import new_axes
from tftune.visualization.matplotlib._imports import import_pyplot

if TYPE_CHECKING:
    from tftune.study._study import Study

_DASHES = {"solid": "-", "dot": ":", "dash": "--"}


@experimental_func("2.2.0")
def plot_intermediate_values(study: Study) -> Any:
    """``tftune.visualization.plot_intermediate_values`` as a matplotlib Axes: a line per
    trial that reported values, styled by its state (pruned ones end in an ``x``)."""
    import_pyplot()
    ax = new_axes(f"Intermediate values of {study.study_name!r}")
    for trial in reported_trials(study):
        steps = sorted(trial.intermediate_values)
        values = [trial.intermediate_values[s] for s in steps]
        style = STYLE[trial.state]
        ax.plot(
            steps,
            values,
            linestyle=_DASHES[style["dash"]],
            color=style["color"],
            marker="o",
            markersize=3,
            label=f"Trial {trial.number} ({trial.state.name.lower()})",
        )
        if trial.state == TrialState.PRUNED:
            ax.plot(steps[-1:], values[-1:], marker="x", color=style["color"], markersize=8)
    ax.set_xlabel("Step")
    ax.set_ylabel("Intermediate value")
    return ax
