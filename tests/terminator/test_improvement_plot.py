"""plot_terminator_improvement: the traces Optuna's plot has, with the evaluators' values."""

from __future__ import annotations

import pytest

import tftune
from tftune.terminator import BestValueStagnationEvaluator, StaticErrorEvaluator
from tftune.trial import TrialState
from tftune.visualization import plot_terminator_improvement


def _study(values):
    study = tftune.create_study()
    for value in values:
        if value is None:
            study.add_trial(tftune.create_trial(state=TrialState.FAIL))
        else:
            study.add_trial(tftune.create_trial(value=value))
    return study


def test_improvement_and_error_traces():
    study = _study([None, 3.0, 2.0, 2.0, 2.0, 1.0, 1.0])
    figure = plot_terminator_improvement(
        study,
        plot_error=True,
        improvement_evaluator=BestValueStagnationEvaluator(2),
        error_evaluator=StaticErrorEvaluator(0.5),
        min_n_trials=3,
    )
    names = [trace.name for trace in figure.data]
    assert names == ["Terminator Improvement", "Terminator Improvement", "Error"]
    waiting, acting, error = figure.data
    # from the first complete trial on; 2 - (complete trials since the best)
    assert list(waiting.x) == [1, 2, 3, 4] and list(waiting.y) == [2, 2, 1, 0]
    assert list(acting.x) == [4, 5, 6] and list(acting.y) == [0, 2, 1]
    assert list(error.y) == [0.5] * 6
    assert waiting.showlegend is False and acting.showlegend is not False
    assert figure.layout.title.text == "Terminator Improvement Plot"


def test_without_plot_error_there_is_no_error_trace():
    figure = plot_terminator_improvement(
        _study([3.0, 2.0]), improvement_evaluator=BestValueStagnationEvaluator()
    )
    assert [trace.name for trace in figure.data] == ["Terminator Improvement"]
    assert figure.data[0].showlegend is True  # still waiting: the faded trace is the legend's


def test_default_regret_bound_plots_one_point_per_trial():
    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))
    study.optimize(lambda t: (t.suggest_float("x", -1, 1) - 0.2) ** 2, n_trials=6)
    figure = plot_terminator_improvement(study, min_n_trials=2)
    assert [len(trace.x) for trace in figure.data] == [3, 4]
    assert all(y >= 0 for trace in figure.data for y in trace.y)


def test_empty_and_multi_objective_studies():
    assert len(plot_terminator_improvement(tftune.create_study()).data) == 0
    with pytest.raises(ValueError, match="plot_terminator_improvement supports studies with one"):
        plot_terminator_improvement(tftune.create_study(directions=["minimize", "maximize"]))
    with pytest.raises(ValueError, match=r"`min_n_trials` must be an int >= 1, got -2"):
        plot_terminator_improvement(_study([1.0]), min_n_trials=-2)
