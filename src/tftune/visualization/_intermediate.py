"""Learning curves: every trial's reported values by step, pruned trials marked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune.visualization._plotly import import_plotly

if TYPE_CHECKING:
    from tftune.study._study import Study

STYLE = {
    TrialState.COMPLETE: {"color": "#1f77b4", "dash": "solid"},
    TrialState.PRUNED: {"color": "#d62728", "dash": "dot"},
    TrialState.RUNNING: {"color": "#2ca02c", "dash": "solid"},
    TrialState.FAIL: {"color": "#7f7f7f", "dash": "dash"},
}


def reported_trials(study: Study) -> list[FrozenTrial]:
    """The trials that reported values and have started; what both renderers draw."""
    return [
        t
        for t in study.get_trials(deepcopy=False)
        if t.intermediate_values and t.state != TrialState.WAITING
    ]


def plot_intermediate_values(study: Study) -> Any:
    """A plotly figure with one line per trial that reported values (``trial.report``).

    Complete trials are solid blue, pruned ones dotted red with an ``x`` where they stopped,
    running ones green and failed ones grey. Trace names say the trial and its state.
    """
    go = import_plotly()
    figure = go.Figure()
    for trial in reported_trials(study):
        steps = sorted(trial.intermediate_values)
        values = [trial.intermediate_values[s] for s in steps]
        style = STYLE[trial.state]
        symbols = ["circle"] * len(steps)
        if trial.state == TrialState.PRUNED:
            symbols[-1] = "x"
        figure.add_trace(
            go.Scatter(
                x=steps,
                y=values,
                mode="lines+markers",
                name=f"Trial {trial.number} ({trial.state.name.lower()})",
                line={"color": style["color"], "dash": style["dash"]},
                marker={"symbol": symbols, "size": 6},
                hovertext=str(trial.params),
            )
        )
    figure.update_layout(
        title=f"Intermediate values of {study.study_name!r}",
        xaxis_title="Step",
        yaxis_title="Intermediate value",
    )
    return figure
