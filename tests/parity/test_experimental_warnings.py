"""Optuna's ExperimentalWarning: the helper, and the features Optuna 5.0 marks experimental
(classes, functions, arguments) warn in tftune too; the others stay silent."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

import tftune
from tftune import _experimental
from tftune.exceptions import ExperimentalWarning


def test_helper_names_the_feature_and_the_version() -> None:
    @_experimental.experimental_func("1.2.3")
    def feature(x: int) -> int:
        return x + 1

    with pytest.warns(ExperimentalWarning, match=r"feature is experimental \(supported from v1"):
        assert feature(1) == 2

    @_experimental.experimental_class("4.5.6", name="Thing")
    class Widget:
        def __init__(self, size: int) -> None:
            self.size = size

    with pytest.warns(ExperimentalWarning, match=r"^Thing is experimental \(supported from v4"):
        assert Widget(3).size == 3
    assert Widget.__name__ == "Widget"


@pytest.mark.parametrize("version", ["1.2", "v1.2.3", 3])
def test_helper_refuses_a_malformed_version(version: Any) -> None:
    with pytest.raises(ValueError, match=r"`version` must be a string 'x.y.z', got"):
        _experimental.experimental_func(version)


def test_the_warning_points_at_the_caller() -> None:
    with pytest.warns(ExperimentalWarning) as record:
        tftune.samplers.PartialFixedSampler({"x": 1}, tftune.samplers.RandomSampler())
    assert record[0].filename == __file__


def _metric_names() -> None:
    tftune.create_study(directions=["minimize", "minimize"]).set_metric_names(["a", "b"])


def _hypervolume_plot() -> None:
    pytest.importorskip("plotly")
    study = tftune.create_study(directions=["minimize", "minimize"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 3)
    tftune.visualization.plot_hypervolume_history(study, reference_point=[2.0, 2.0])


def _fail_stale() -> None:
    tftune.storages.fail_stale_trials(tftune.create_study())


def _heartbeat(tmp_path: Any) -> None:
    tftune.storages.RDBStorage(f"sqlite:///{tmp_path}/h.db", heartbeat_interval=2)


EXPERIMENTAL = [
    (lambda tmp: tftune.samplers.QMCSampler(), "QMCSampler is experimental"),
    (lambda tmp: tftune.samplers.BruteForceSampler(), "BruteForceSampler is experimental"),
    (lambda tmp: tftune.samplers.NSGAIIISampler(), "NSGAIIISampler is experimental"),
    (
        lambda tmp: tftune.samplers.PartialFixedSampler({}, tftune.samplers.RandomSampler()),
        "PartialFixedSampler is experimental",
    ),
    (lambda tmp: tftune.samplers.TPESampler(group=True), "Argument ``group``"),
    (lambda tmp: tftune.samplers.CmaEsSampler(with_margin=True), "Argument ``with_margin``"),
    (lambda tmp: tftune.pruners.PatientPruner(None, 2), "PatientPruner is experimental"),
    (lambda tmp: tftune.pruners.WilcoxonPruner(), "WilcoxonPruner is experimental"),
    (lambda tmp: tftune.terminator.StaticErrorEvaluator(0), "StaticErrorEvaluator is exp"),
    (
        lambda tmp: tftune.terminator.MedianErrorEvaluator(tftune.terminator.EMMREvaluator()),
        "MedianErrorEvaluator is exp",
    ),
    (lambda tmp: _metric_names(), "Study.set_metric_names is experimental"),
    (lambda tmp: _hypervolume_plot(), "plot_hypervolume_history is experimental"),
    (lambda tmp: _fail_stale(), "fail_stale_trials is experimental"),
    (_heartbeat, "Argument ``heartbeat_interval``"),
]


@pytest.mark.parametrize(("use", "message"), EXPERIMENTAL)
def test_optunas_experimental_features_warn(use: Any, message: str, tmp_path: Any) -> None:
    with pytest.warns(ExperimentalWarning, match=message):
        use(tmp_path)


def test_stable_features_stay_silent(tmp_path: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        tftune.samplers.TPESampler()
        tftune.samplers.CmaEsSampler()
        tftune.samplers.NSGAIISampler()
        tftune.pruners.MedianPruner()
        tftune.storages.RDBStorage(f"sqlite:///{tmp_path}/s.db")
        study = tftune.create_study()
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)


MATPLOTLIB_PLOTS = [
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_rank",
    "plot_slice",
    "plot_timeline",
]


@pytest.mark.parametrize("name", MATPLOTLIB_PLOTS)
def test_matplotlib_plots_warn_as_optunas_do(name: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import tftune.visualization.matplotlib as mpl_plots

    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1), 4)
    with pytest.warns(ExperimentalWarning, match=rf"\b{name} is experimental"):
        getattr(mpl_plots, name)(study)
    with pytest.warns(ExperimentalWarning, match=r"\bis_available is experimental"):
        assert mpl_plots.is_available()


def test_plotly_plots_stay_silent() -> None:
    study = tftune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        tftune.visualization.plot_optimization_history(study)
        tftune.visualization.plot_slice(study)
