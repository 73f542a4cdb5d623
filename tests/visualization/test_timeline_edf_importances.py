"""Timeline (every state), EDF (several studies) and the importance bars."""

from __future__ import annotations

import logging

import pytest

import tftune
from tftune.importance import FanovaImportanceEvaluator, get_param_importances
from tftune.trial import TrialState
from tftune.visualization import plot_edf, plot_param_importances, plot_timeline


def test_timeline_shows_every_started_trial_by_state():
    study = tftune.create_study(study_name="states")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    study.tell(study.ask(), state=TrialState.PRUNED)
    study.tell(study.ask(), state=TrialState.FAIL)
    running = study.ask()  # started, not finished: its bar ends now
    study.enqueue_trial({"x": 0.0})  # waiting: not started, left out
    figure = plot_timeline(study)
    by_state = {trace.name: list(trace.y) for trace in figure.data}
    assert by_state == {"COMPLETE": [0, 1, 2, 3, 4], "PRUNED": [5], "FAIL": [6], "RUNNING": [7]}
    assert running.number == 7 and figure.layout.xaxis.type == "date"
    assert all(width >= 0 for trace in figure.data for width in trace.x)
    recent = plot_timeline(study, n_recent_trials=2)
    assert {trace.name: list(trace.y) for trace in recent.data} == {"FAIL": [6], "RUNNING": [7]}
    with pytest.raises(
        ValueError, match="`n_recent_trials` must be a positive int or None, got 0"
    ):
        plot_timeline(study, n_recent_trials=0)


def test_timeline_of_an_empty_study_is_empty(empty_study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        assert len(plot_timeline(empty_study).data) == 0
    assert "has no started trials" in caplog.text


def test_edf_draws_one_line_per_study(study, one_trial_study):
    figure = plot_edf([study, one_trial_study])
    assert [trace.name for trace in figure.data] == ["mixed", "one"]
    line = figure.data[0]
    assert len(line.x) == 40 and list(line.x) == sorted(line.x)
    assert line.y[0] == pytest.approx(1 / 40) and line.y[-1] == 1.0
    states = {t.state for t in study.trials}
    assert TrialState.PRUNED in states  # ... yet only the complete trials are counted


def test_importance_bars_put_the_most_important_on_top(study):
    figure = plot_param_importances(study)
    (bars,) = figure.data
    expected = get_param_importances(study)
    assert list(bars.y) == list(expected)[::-1]
    assert list(bars.x) == pytest.approx(list(expected.values())[::-1])
    assert bars.y[-1] == "x"  # x drives the objective
    assert figure.layout.xaxis.title.text == "Hyperparameter Importance"
    forest = plot_param_importances(
        study, evaluator=FanovaImportanceEvaluator(n_trees=8, seed=0), params=["x", "lr"]
    )
    assert set(forest.data[0].y) == {"x", "lr"}


def test_importances_of_several_objectives_get_a_trace_each(multi_study):
    figure = plot_param_importances(multi_study)
    assert [trace.name for trace in figure.data] == ["Objective Value 0", "Objective Value 1"]
    assert figure.data[0].y[-1] == "x"  # objective 0 is x itself
    one = plot_param_importances(multi_study, target=lambda t: t.values[1], target_name="cost")
    assert [trace.name for trace in one.data] == ["cost"]


def test_importances_of_an_empty_study_are_an_empty_figure(empty_study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        assert len(plot_param_importances(empty_study).data) == 0
    assert "'empty' has no complete trials" in caplog.text
    with pytest.raises(ValueError, match="`params` names 'nope'"):
        plot_param_importances(_study_with_x(), params=["nope"])


def _study_with_x():
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    return study
