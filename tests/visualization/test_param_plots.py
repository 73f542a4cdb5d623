"""Slice, contour, parallel-coordinate and rank plots: parameters on the right axes."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from tftune.trial import TrialState
from tftune.visualization import (
    plot_contour,
    plot_edf,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_rank,
    plot_slice,
)

ONE_VALUE_PLOTS = [
    plot_slice,
    plot_contour,
    plot_parallel_coordinate,
    plot_rank,
    plot_edf,
    plot_optimization_history,
]
PARAM_PLOTS = [plot_slice, plot_contour, plot_parallel_coordinate, plot_rank]


def count(study, name):
    """How many complete trials of ``study`` have the parameter ``name``."""
    return sum(name in t.params for t in study.get_trials(states=(TrialState.COMPLETE,)))


def test_slice_has_a_panel_per_param_on_its_own_kind_of_axis(study):
    figure = plot_slice(study)
    names = [figure.layout[f"xaxis{i if i > 1 else ''}"].title.text for i in range(1, 5)]
    assert names == ["depth", "kind", "lr", "x"]
    depth, kind, lr, x = figure.data
    assert len(x.x) == 40 and len(kind.x) == 40  # complete trials only: not the pruned one
    assert len(depth.x) == count(study, "depth") < 40  # conditional: only the trials with it
    assert figure.layout.xaxis3.type == "log" and figure.layout.xaxis4.type == "linear"
    assert figure.layout.xaxis2.type == "category"
    assert list(figure.layout.xaxis2.categoryarray) == ["a", "1", "1 (str)", "2.5", "None", "True"]
    assert set(kind.x) <= set(figure.layout.xaxis2.categoryarray)
    assert figure.layout.yaxis.title.text == "Objective Value"
    only = plot_slice(study, params=["lr"], target_name="Loss")
    assert len(only.data) == 1 and only.layout.yaxis.title.text == "Loss"


def test_contour_of_two_params_interpolates_between_trials(study):
    figure = plot_contour(study, params=["x", "lr"])
    contour, dots = figure.data
    assert contour.type == "contour" and np.asarray(contour.z).shape == (100, 100)
    assert not np.isnan(np.asarray(contour.z, dtype=float)).any()
    assert len(dots.x) == 40 and figure.layout.yaxis.type == "log"
    assert min(contour.y) >= 1e-4 and max(contour.y) <= 1e-1  # log axis: values, not logs
    assert figure.layout.xaxis.title.text == "x" and figure.layout.yaxis.title.text == "lr"


def test_contour_of_more_params_is_a_matrix_and_skips_trials_without_a_param(study):
    figure = plot_contour(study, params=["x", "depth", "kind"])
    scatters = [trace for trace in figure.data if trace.type == "scatter"]
    assert len(scatters) == 6  # every ordered pair off the diagonal
    sizes = sorted(len(trace.x) for trace in scatters)
    assert sizes == [count(study, "depth")] * 4 + [40, 40]
    assert list(figure.layout.xaxis3.ticktext) == ["a", "1", "1 (str)", "2.5", "None", "True"]
    contours = [trace for trace in figure.data if trace.type == "contour"]
    assert [trace.showscale for trace in contours].count(True) == 1


def test_contour_of_one_param_is_empty_with_a_warning(study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        figure = plot_contour(study, params=["x"])
    assert len(figure.data) == 0
    assert "needs at least two parameters, got ['x']" in caplog.text


def test_parallel_coordinate_keeps_trials_that_cross_every_axis(study):
    figure = plot_parallel_coordinate(study)
    (trace,) = figure.data
    labels = [d.label for d in trace.dimensions]
    assert labels == ["Objective Value", "depth", "kind", "lr", "x"]
    assert all(len(d["values"]) == count(study, "depth") for d in trace.dimensions)
    lr = trace.dimensions[3]
    assert max(lr["values"]) <= -1 and min(lr["values"]) >= -4  # log10 positions ...
    assert "0.001" in lr.ticktext  # ... labelled with values
    assert (
        len(plot_parallel_coordinate(study, params=["x", "kind"]).data[0].dimensions[0]["values"])
        == 40
    )


def test_rank_colours_by_the_rank_of_the_target(study):
    single = plot_rank(study, params=["x"])
    (trace,) = single.data
    assert len(trace.x) == 40 and min(trace.marker.color) == 0 and max(trace.marker.color) == 1
    best = int(np.argmin(trace.y))
    assert trace.marker.color[best] == 0
    pair = plot_rank(study, params=["x", "lr"])
    assert pair.layout.yaxis.type == "log" and len(pair.data) == 1
    matrix = plot_rank(study, params=["x", "lr", "depth"])
    assert len(matrix.data) == 6
    assert sorted(len(t.x) for t in matrix.data) == [count(study, "depth")] * 4 + [40, 40]


@pytest.mark.parametrize("plot", ONE_VALUE_PLOTS, ids=lambda f: f.__name__)
def test_several_objectives_need_a_target(plot, multi_study):
    with pytest.raises(ValueError, match=r"study 'two' has 2 objectives: pass `target`"):
        plot(multi_study)
    figure = plot(multi_study, target=lambda t: t.values[1], target_name="second")
    assert len(figure.data) >= 1


@pytest.mark.parametrize("plot", ONE_VALUE_PLOTS, ids=lambda f: f.__name__)
def test_an_empty_study_gives_an_empty_figure_and_a_warning(plot, empty_study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        figure = plot(empty_study)
    assert len(figure.data) == 0
    assert "no complete trials" in caplog.text.lower()


@pytest.mark.parametrize("plot", ONE_VALUE_PLOTS, ids=lambda f: f.__name__)
def test_one_trial_is_one_point(plot, one_trial_study):
    figure = plot(one_trial_study)
    points = [len(trace.x) for trace in figure.data if trace.type == "scatter"]
    if plot is plot_parallel_coordinate:
        points = [len(figure.data[0].dimensions[0]["values"])]
    assert points and set(points) == {1}


@pytest.mark.parametrize("plot", PARAM_PLOTS, ids=lambda f: f.__name__)
def test_an_unknown_param_is_named(plot, study):
    with pytest.raises(ValueError, match=r"`params` names 'nope', which no complete trial has"):
        plot(study, params=["x", "nope"])
