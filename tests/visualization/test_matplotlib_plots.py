"""tftune.visualization.matplotlib: Optuna's names and arguments, matplotlib Axes, the same data
as the plotly plots, and the same errors and warnings."""

from __future__ import annotations

import datetime
import io
import logging
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

import tftune  # noqa: E402
from tftune import visualization  # noqa: E402
from tftune.visualization import matplotlib as mpl_plots  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render(figure) -> None:
    axes = figure.ravel()[0] if isinstance(figure, np.ndarray) else figure
    axes.figure.savefig(io.BytesIO(), format="png")


def test_every_plotly_plot_has_a_matplotlib_twin_and_availability_checks():
    plots = {n for n in visualization.__all__ if n.startswith("plot_")}
    assert plots == {n for n in mpl_plots.__all__ if n.startswith("plot_")}
    assert visualization.is_available() is True
    assert mpl_plots.is_available() is True


def test_importing_the_module_does_not_import_matplotlib():
    code = (
        "import sys, tftune.visualization.matplotlib as m; "
        "print('matplotlib' in sys.modules, 'plotly' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_contour_of_two_params_is_one_axes_with_a_colour_bar_named_after_the_target(study):
    ax = mpl_plots.plot_contour(study, params=["x", "lr"], target_name="Loss")
    assert isinstance(ax, Axes)
    assert ax.figure.axes[-1].get_ylabel() == "Loss"
    assert ax.get_xlabel() == "x" and ax.get_ylabel() == "lr"
    assert ax.get_yscale() == "log"  # lr is log-scale
    _render(ax)


def test_contour_of_three_params_is_a_matrix_with_an_empty_diagonal(study):
    grid = mpl_plots.plot_contour(study, params=["x", "lr", "kind"])
    assert isinstance(grid, np.ndarray) and grid.shape == (3, 3)
    assert not grid[1, 1].axison and grid[2, 0].axison
    labels = [t.get_text() for t in grid[2, 0].get_yticklabels()]
    assert labels == ["a", "1", "1 (str)", "2.5", "None", "True"]
    _render(grid)


def test_contour_of_one_param_is_empty_with_the_warning(study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        ax = mpl_plots.plot_contour(study, params=["x"])
    assert isinstance(ax, Axes) and not ax.collections
    assert "A contour plot needs at least two parameters, got ['x']" in caplog.text


def test_contour_of_two_trials_draws_a_surface():
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", 0, 1), 2)
    figure = visualization.plot_contour(study)
    assert figure.data[0].type == "contour"  # nearest-neighbour surface from two points
    assert figure.data[0].colorbar.title.text == "Objective Value"


def test_edf_draws_one_step_line_per_study_and_labels_the_target(study, one_trial_study):
    ax = mpl_plots.plot_edf([study, one_trial_study], target_name="Error")
    assert len(ax.lines) == 2
    assert ax.xaxis.label.get_text() == "Error"
    x, y = ax.lines[0].get_data()
    assert list(y) == pytest.approx(np.arange(1, 41) / 40)
    assert np.all(np.diff(x) >= 0)


def test_a_custom_target_with_the_default_name_warns_as_optuna_does(study):
    expected = "`target` is specified, but `target_name` is the default value"
    for plot in (visualization.plot_edf, mpl_plots.plot_edf, mpl_plots.plot_slice):
        with pytest.warns(UserWarning, match=expected):
            plot(study, target=lambda t: t.params["x"])


def test_a_study_with_several_objectives_needs_a_target(multi_study):
    with pytest.raises(ValueError, match="plot_edf needs one number per trial.*pass `target`"):
        mpl_plots.plot_edf(multi_study)


def test_slice_of_two_params_returns_one_axes_per_param(study):
    axes = mpl_plots.plot_slice(study, params=["x", "depth"], target_name="Loss")
    assert isinstance(axes, np.ndarray) and len(axes) == 2
    assert axes[0].get_ylabel() == "Loss"
    assert len(axes[0].collections[0].get_offsets()) == 40
    depth_trials = sum("depth" in t.params for t in study.trials if t.state.name == "COMPLETE")
    assert len(axes[1].collections[0].get_offsets()) == depth_trials
    one = mpl_plots.plot_slice(study, params=["lr"])
    assert isinstance(one, Axes) and one.get_xscale() == "log"


def test_parallel_coordinate_lines_and_colour_bar(study):
    ax = mpl_plots.plot_parallel_coordinate(study, params=["x", "lr"], target_name="Loss")
    lines = ax.collections[0]
    assert isinstance(lines, LineCollection) and len(lines.get_segments()) == 40
    assert ax.figure.axes[1].get_ylabel() == "Loss"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Loss", "x", "lr"]


def test_parallel_coordinate_of_a_constant_target_keeps_the_lines_apart():
    study = tftune.create_study()
    distribution = tftune.distributions.FloatDistribution(0, 1)
    for x in (0.0, 1.0):
        study.add_trial(
            tftune.trial.create_trial(
                value=1.0, params={"p": x}, distributions={"p": distribution}
            )
        )
    segments = mpl_plots.plot_parallel_coordinate(study).collections[0].get_segments()
    assert segments[0][-1, 1] != segments[1][-1, 1]


def test_param_importances_one_bar_per_param_and_objective(multi_study):
    ax = mpl_plots.plot_param_importances(multi_study, params=["x"])
    assert len(ax.patches) == 2
    assert ax.get_xlabel() == "Hyperparameter Importance"
    figure = visualization.plot_param_importances(multi_study, params=["x"])
    assert figure.layout.xaxis.title.text == "Hyperparameter Importance"


def test_timeline_bars_per_state_and_invalid_n_recent_trials(study):
    ax = mpl_plots.plot_timeline(study, n_recent_trials=5)
    assert len(ax.patches) == 5
    assert ax.get_ylabel() == "Trial"
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match=r"`n_recent_trials` must be a positive int"):
            mpl_plots.plot_timeline(study, n_recent_trials=bad)


def test_timeline_of_a_running_trial_ends_now():
    study = tftune.create_study()
    study.ask()
    ax = mpl_plots.plot_timeline(study)
    (bar,) = ax.patches
    start = matplotlib.dates.num2date(bar.get_x()).replace(tzinfo=None)
    assert bar.get_width() >= 0
    assert abs((datetime.datetime.now() - start).total_seconds()) < 60


def test_history_rank_and_intermediate(study):
    ax = mpl_plots.plot_optimization_history(study)
    assert ax.get_xlabel() == "Trial" and ax.get_ylabel() == "Objective Value"
    best = ax.lines[0].get_ydata()
    assert np.all(np.diff(best) <= 0)  # minimising: the best so far never rises
    band = mpl_plots.plot_optimization_history([study, study], error_bar=True)
    assert band.get_title().startswith("Optimization history of 2 studies")
    grid = mpl_plots.plot_rank(study, params=["x", "lr", "depth"])
    assert grid.shape == (3, 3)
    assert isinstance(mpl_plots.plot_rank(study, params=["x"]), Axes)
    assert isinstance(mpl_plots.plot_intermediate_values(study), Axes)
    _render(grid)


def test_multi_objective_plots(multi_study):
    ax = mpl_plots.plot_pareto_front(multi_study, target_names=["a", "b"])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Trial", "Best Trial"]
    assert ax.get_xlabel() == "a"
    ax = mpl_plots.plot_hypervolume_history(multi_study, reference_point=[2.0, 3.0])
    volumes = ax.lines[0].get_ydata()
    assert np.all(np.diff(volumes) >= 0) and volumes[-1] > 0
    with pytest.raises(ValueError, match="`reference_point` must be 2 finite numbers"):
        mpl_plots.plot_hypervolume_history(multi_study, reference_point=[1.0])


def test_terminator_improvement_plot(study):
    from tftune.terminator import RegretBoundEvaluator

    ax = mpl_plots.plot_terminator_improvement(
        study, improvement_evaluator=RegretBoundEvaluator(), min_n_trials=5
    )
    assert ax.get_ylabel() == "Terminator Improvement"
    with pytest.raises(ValueError, match="min_n_trials"):
        mpl_plots.plot_terminator_improvement(study, min_n_trials=0)


def test_empty_study_gives_empty_axes_and_a_warning(empty_study, caplog):
    with caplog.at_level(logging.WARNING, logger="tftune"):
        ax = mpl_plots.plot_slice(empty_study)
    assert isinstance(ax, Axes) and not ax.collections
    assert "has no complete trials to plot" in caplog.text
