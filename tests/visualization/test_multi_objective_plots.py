"""Pareto front and hypervolume history: the best trials marked, the volume growing exactly."""

from __future__ import annotations

import logging

import numpy as np
import pytest

import tftune
from tftune.hypervolume import compute_hypervolume
from tftune.visualization import plot_hypervolume_history, plot_pareto_front


def test_pareto_front_marks_the_best_trials(multi_study):
    figure = plot_pareto_front(multi_study)
    others, best = figure.data
    assert (others.name, best.name) == ("Trial", "Best Trial")
    assert len(others.x) + len(best.x) == 30
    assert len(best.x) == len(multi_study.best_trials)
    front = {tuple(t.values) for t in multi_study.best_trials}
    assert set(zip(best.x, best.y, strict=True)) == front
    assert figure.layout.xaxis.title.text == "Objective 0"
    only_best = plot_pareto_front(
        multi_study, include_dominated_trials=False, target_names=["a", "b"]
    )
    assert [trace.name for trace in only_best.data] == ["Best Trial"]
    assert only_best.layout.yaxis.title.text == "b"


def test_pareto_front_keeps_infeasible_trials_off_the_front(multi_study):
    figure = plot_pareto_front(multi_study, constraints_func=lambda t: [t.params["x"] - 0.5])
    infeasible, others, best = figure.data
    assert (infeasible.name, others.name, best.name) == ("Infeasible Trial", "Trial", "Best Trial")
    by_x = {t.values[0]: t for t in multi_study.trials}
    assert all(x > 0.5 for x in infeasible.x) and all(x <= 0.5 for x in [*others.x, *best.x])
    assert len(infeasible.x) + len(others.x) + len(best.x) == 30
    # the front is that of the feasible trials alone: the best feasible second objective is on it
    feasible = [t for t in by_x.values() if t.params["x"] <= 0.5]
    assert min(t.values[1] for t in feasible) in best.y
    with pytest.raises(ValueError, match="`constraints_func` returned NaN for trial 0"):
        plot_pareto_front(multi_study, constraints_func=lambda t: [float("nan")])


def test_pareto_front_reads_the_constraints_a_search_stored():
    sampler = tftune.samplers.TPESampler(seed=1, constraints_func=lambda t: [t.params["x"] - 0.5])
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1 - t.params["x"] ** 2), n_trials=12)
    traces = {trace.name: trace for trace in plot_pareto_front(study).data}
    infeasible = sorted(t.values[0] for t in study.trials if t.params["x"] > 0.5)
    assert infeasible and sorted(traces["Infeasible Trial"].x) == infeasible
    assert sorted(traces["Best Trial"].x) == sorted(t.values[0] for t in study.best_trials)


def test_pareto_front_in_three_dimensions_and_with_targets(multi_study):
    figure = plot_pareto_front(
        multi_study, targets=lambda t: (t.values[0], t.values[1], t.params["y"])
    )
    assert {trace.type for trace in figure.data} == {"scatter3d"}
    assert len(figure.data[1].z) == len(multi_study.best_trials)
    with pytest.raises(ValueError, match="`target_names` must name each of the 3 axes"):
        plot_pareto_front(multi_study, targets=lambda t: (1.0, 2.0, 3.0), target_names=["a", "b"])
    with pytest.raises(ValueError, match="`targets` must return 2 or 3 numbers per trial, got 1"):
        plot_pareto_front(multi_study, targets=lambda t: (1.0,))


def test_pareto_front_needs_several_objectives(study, caplog):
    with pytest.raises(
        ValueError, match="needs a study with several objectives; study 'mixed' has 1"
    ):
        plot_pareto_front(study)
    four = tftune.create_study(directions=["minimize"] * 4, study_name="four")
    with pytest.raises(ValueError, match="draws 2 or 3 axes; study 'four' has 4 objectives"):
        plot_pareto_front(four)
    empty = tftune.create_study(directions=["minimize"] * 2, study_name="none")
    with caplog.at_level(logging.WARNING, logger="tftune"):
        assert len(plot_pareto_front(empty).data) == 0
    assert "'none' has no complete trials" in caplog.text


def test_hypervolume_history_grows_to_the_front_s_volume(multi_study):
    figure = plot_hypervolume_history(multi_study, reference_point=[1.0, 2.0])
    (trace,) = figure.data
    assert list(trace.x) == list(range(30))
    assert np.all(np.diff(trace.y) >= 0)
    values = np.array([t.values for t in multi_study.trials])
    assert trace.y[-1] == pytest.approx(compute_hypervolume(values, [1.0, 2.0]))
    assert trace.y[4] == pytest.approx(compute_hypervolume(values[:5], [1.0, 2.0]))


def test_hypervolume_history_follows_maximized_objectives():
    study = tftune.create_study(directions=["maximize", "minimize"], study_name="max")
    for values in [(1.0, 1.0), (2.0, 0.5), (0.5, 0.1)]:
        study.tell(study.ask(), values)
    (trace,) = plot_hypervolume_history(study, reference_point=[0.0, 2.0]).data
    assert list(trace.y) == pytest.approx([1.0, 3.0, 3.0 + 0.5 * 0.4])


def test_hypervolume_history_checks_its_arguments(study, multi_study):
    with pytest.raises(ValueError, match="needs a study with several objectives; study 'mixed'"):
        plot_hypervolume_history(study, reference_point=[1.0])
    with pytest.raises(
        ValueError, match=r"`reference_point` must be 2 finite numbers.*got \[1.0\]"
    ):
        plot_hypervolume_history(multi_study, reference_point=[1.0])
