"""plot_optimization_history over several studies, side by side or as a mean with error bars."""

from __future__ import annotations

import math

import pytest

import tftune
from tftune.visualization import plot_optimization_history


def _study(name: str, values: list[float | None], direction: str = "minimize") -> tftune.Study:
    """A study whose trial ``i`` completes with ``values[i]`` (``None``: fails)."""
    study = tftune.create_study(study_name=name, direction=direction)
    for value in values:
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        if value is None:
            study.tell(trial, state=tftune.trial.TrialState.FAIL)
        else:
            study.tell(trial, value)
    return study


def test_several_studies_get_a_value_trace_and_a_best_trace_each():
    first = _study("seed-0", [3.0, 1.0, 2.0])
    second = _study("seed-1", [5.0, None, 4.0])
    figure = plot_optimization_history([first, second])
    names = [trace.name for trace in figure.data]
    assert names == [
        "Objective Value of seed-0",
        "Best value of seed-0",
        "Objective Value of seed-1",
        "Best value of seed-1",
    ]
    assert list(figure.data[1].y) == [3.0, 1.0, 1.0]
    assert list(figure.data[2].x) == [0, 2] and list(figure.data[3].y) == [5.0, 4.0]
    assert "'seed-0'" in figure.layout.title.text and "'seed-1'" in figure.layout.title.text


def test_error_bars_average_the_studies_at_each_trial_number():
    first = _study("a", [4.0, 2.0, 3.0])
    second = _study("b", [2.0, None, 1.0])
    figure = plot_optimization_history((first, second), error_bar=True)
    values, best, upper, lower = figure.data
    assert list(values.x) == [0, 1, 2]
    assert list(values.y) == [3.0, 2.0, 2.0]
    assert list(values.error_y.array) == [1.0, 0.0, 1.0]
    # Best so far: a = 4, 2, 2; b = 2, 2 (carried over its failed trial), 1.
    assert list(best.y) == [3.0, 2.0, 1.5]
    assert list(upper.y) == [4.0, 2.0, 2.0] and list(lower.y) == [2.0, 2.0, 1.0]
    assert lower.fill == "tonexty" and not lower.showlegend
    assert "2 studies" in figure.layout.title.text


def test_error_bars_with_a_target_have_no_best_line():
    studies = [_study("a", [1.0, 2.0]), _study("b", [3.0, 4.0])]
    figure = plot_optimization_history(
        studies, target=lambda t: -t.value, target_name="minus", error_bar=True
    )
    assert len(figure.data) == 1
    assert figure.data[0].name == "minus" and list(figure.data[0].y) == [-2.0, -3.0]


def test_infeasible_trials_are_grey_and_never_the_best():
    sampler = tftune.samplers.TPESampler(constraints_func=lambda t: [t.user_attrs["violation"]])
    study = tftune.create_study(study_name="c", sampler=sampler)
    for value, violation in [(5.0, 0.0), (1.0, 2.0), (3.0, -1.0)]:
        trial = study.ask()
        trial.suggest_float("x", 0.0, 1.0)
        trial.set_user_attr("violation", violation)
        study.tell(trial, value)
    figure = plot_optimization_history(study)
    feasible, best, infeasible = figure.data
    assert list(feasible.x) == [0, 2] and list(infeasible.x) == [1]
    assert infeasible.marker.color == "#cccccc"
    assert list(best.x) == [0, 1, 2] and list(best.y) == [5.0, 5.0, 3.0]
    assert all(math.isfinite(v) for v in best.y)


def test_error_bars_refuse_studies_of_opposite_directions():
    studies = [_study("a", [1.0]), _study("b", [1.0], direction="maximize")]
    with pytest.raises(ValueError, match=r"error_bar=True.*\['minimize', 'maximize'\]"):
        plot_optimization_history(studies, error_bar=True)


def test_study_argument_must_hold_studies():
    with pytest.raises(TypeError, match=r"`study` must hold only Study objects, got 'a'"):
        plot_optimization_history([_study("a", [1.0]), "a"])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"`study` must be a Study or a sequence"):
        plot_optimization_history("a")  # type: ignore[arg-type]


def test_no_studies_give_an_empty_figure(caplog):
    figure = plot_optimization_history([])
    assert len(figure.data) == 0
    assert "No studies" in caplog.text


def test_several_objectives_need_a_target_in_every_study():
    studies = [_study("a", [1.0]), tftune.create_study(directions=["minimize", "maximize"])]
    with pytest.raises(ValueError, match=r"has 2 objectives: pass `target`"):
        plot_optimization_history(studies)
