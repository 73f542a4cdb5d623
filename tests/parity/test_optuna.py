"""The ``optuna`` package itself: top-level names, lazily loaded subpackages, logging,
importance and visualization entry points."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import tftune as optuna

TOP_LEVEL = [
    "Study",
    "Trial",
    "TrialPruned",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "importance",
    "integration",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "study",
    "trial",
    "visualization",
]


@pytest.mark.parametrize("name", TOP_LEVEL)
def test_top_level_names(name):
    assert getattr(optuna, name) is not None


def test_subpackages_load_lazily():
    code = (
        "import sys, tftune as optuna; "
        "before = 'tftune.integration' in sys.modules; "
        "optuna.integration.__name__; "
        "print(before, 'tftune.integration' in sys.modules, 'keras' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "False"]  # Keras only when a callback is
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = optuna.nope


def test_logging_verbosity_and_handlers():
    log = optuna.logging
    previous = log.get_verbosity()
    try:
        log.set_verbosity(log.WARNING)
        assert log.get_verbosity() == logging.WARNING
        assert (log.CRITICAL, log.FATAL, log.WARN, log.DEBUG) == (50, 50, 30, 10)
        log.disable_default_handler()
        log.enable_default_handler()
        log.enable_propagation()
        log.disable_propagation()
        assert log.get_logger("custom").name == "tftune.custom"
    finally:
        log.set_verbosity(previous)


def test_importance_and_visualization_entry_points():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + 0.01 * t.suggest_float("y", 0, 1), n_trials=12
    )
    importances = optuna.importance.get_param_importances(study)
    assert set(importances) == {"x", "y"} and importances["x"] > importances["y"]
    for name in (
        "FanovaImportanceEvaluator",
        "MeanDecreaseImpurityImportanceEvaluator",
        "PedAnovaImportanceEvaluator",
    ):
        assert hasattr(optuna.importance, name)
    for name in (
        "plot_contour",
        "plot_edf",
        "plot_hypervolume_history",
        "plot_intermediate_values",
        "plot_optimization_history",
        "plot_parallel_coordinate",
        "plot_param_importances",
        "plot_pareto_front",
        "plot_rank",
        "plot_slice",
        "plot_terminator_improvement",
        "plot_timeline",
    ):
        assert callable(getattr(optuna.visualization, name))
    figure = optuna.visualization.plot_optimization_history(study)
    assert len(figure.data) >= 1
