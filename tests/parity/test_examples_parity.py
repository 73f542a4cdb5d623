"""What Optuna's official examples rely on, beyond the names other parity tests cover."""

from __future__ import annotations

import pytest

import tftune as optuna
from tftune.trial import TrialState


def _scalars_and_session(run_dir, tag):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    start = plugin_data_pb2.HParamsPluginData()
    start.ParseFromString(
        accumulator.SummaryMetadata("_hparams_/session_start_info").plugin_data.content
    )
    scalars = [(event.step, event.value) for event in accumulator.Scalars(tag)]
    return scalars, start.session_start_info


def test_tensorboard_callback_writes_one_run_per_complete_trial(tmp_path):
    from tftune.integration.tensorboard import TensorBoardCallback

    def objective(trial):
        units = trial.suggest_int("units", 16, 32)
        opt = trial.suggest_categorical("opt", ["sgd", "adam"])
        if units == 16:
            raise optuna.TrialPruned()
        return 0.25 if opt == "sgd" else 0.5

    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"units": 20, "opt": "adam"})
    study.enqueue_trial({"units": 16, "opt": "sgd"})  # pruned: no run
    callback = TensorBoardCallback(str(tmp_path / "logs"), metric_name="accuracy")
    study.optimize(objective, n_trials=2, callbacks=[callback])

    assert sorted(p.name for p in (tmp_path / "logs").iterdir()) == ["trial-0"]
    scalars, session = _scalars_and_session(tmp_path / "logs" / "trial-0", "accuracy")
    assert scalars == [(0, 0.5)]
    assert session.group_name == "trial-0"
    assert session.hparams["units"].number_value == 20
    assert session.hparams["opt"].string_value == "adam"
    assert study.trials[1].state == TrialState.PRUNED


def test_tensorboard_callback_is_an_integration_name_and_checks_its_metric_name(tmp_path):
    from tftune.integration import TensorBoardCallback

    with pytest.raises(ValueError, match="metric_name must be a non-empty string, got ''"):
        TensorBoardCallback(str(tmp_path), metric_name="")
    study = optuna.create_study(directions=["minimize", "minimize"])
    callback = TensorBoardCallback(str(tmp_path), metric_name="loss")
    with pytest.raises(ValueError, match="one value per trial; trial 0 has 2"):
        study.optimize(
            lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=1, callbacks=[callback]
        )


def test_terminator_submodules_have_optunas_paths():
    from tftune import terminator
    from tftune.terminator.callback import TerminatorCallback
    from tftune.terminator.erroreval import (
        CrossValidationErrorEvaluator,
        StaticErrorEvaluator,
        report_cross_validation_scores,
    )
    from tftune.terminator.improvement.emmr import EMMREvaluator
    from tftune.terminator.improvement.evaluator import (
        BestValueStagnationEvaluator,
        RegretBoundEvaluator,
    )
    from tftune.terminator.median_erroreval import MedianErrorEvaluator
    from tftune.terminator.terminator import BaseTerminator, Terminator

    assert TerminatorCallback is terminator.TerminatorCallback
    assert report_cross_validation_scores is terminator.report_cross_validation_scores
    assert {CrossValidationErrorEvaluator, StaticErrorEvaluator, MedianErrorEvaluator} <= {
        getattr(terminator, n) for n in terminator.__all__
    }
    assert {EMMREvaluator, BestValueStagnationEvaluator, RegretBoundEvaluator} <= {
        getattr(terminator, n) for n in terminator.__all__
    }
    assert issubclass(Terminator, BaseTerminator)


def _source_trials(n, best_at):
    """``n`` complete trials of x, y in [-15, 15]; the one at ``best_at`` is the best."""
    dists = {"x": optuna.FloatDistribution(-15, 15), "y": optuna.FloatDistribution(-15, 15)}
    trials = [
        optuna.create_trial(
            params={"x": -10.0 + i, "y": -10.0}, distributions=dists, value=100 + i
        )
        for i in range(n - 1)
    ]
    x, y = best_at
    trials.append(optuna.create_trial(params={"x": x, "y": y}, distributions=dists, value=0.0))
    return trials


def _sphere(trial):
    return trial.suggest_float("x", -15, 15) ** 2 + trial.suggest_float("y", -15, 15) ** 2


def test_cma_warm_start_begins_where_the_source_tasks_best_trials_are():
    import numpy as np

    sampler = optuna.samplers.CmaEsSampler(source_trials=_source_trials(10, (12.0, 12.0)), seed=0)
    study = optuna.create_study(sampler=sampler)
    study.optimize(_sphere, n_trials=7)  # a random first trial, then CMA-ES's first generation
    proposals = np.array([[t.params["x"], t.params["y"]] for t in study.trials[1:]])
    # The best 10% of 10 sources is the one at (12, 12), widened by 0.1 of the range (3.0):
    # a cold start centres on (0, 0) with the same step size.
    assert np.all(proposals.mean(axis=0) > 8.0)


def test_cma_warm_start_checks_its_source_trials():
    with pytest.raises(ValueError, match="cannot be combined with `x0` or `sigma0`"):
        optuna.samplers.CmaEsSampler(source_trials=_source_trials(10, (0, 0)), sigma0=0.1)

    few = optuna.samplers.CmaEsSampler(source_trials=_source_trials(5, (0, 0)))
    with pytest.raises(ValueError, match="at least 10 compatible complete trials; got 5"):
        optuna.create_study(sampler=few).optimize(_sphere, n_trials=3)

    other = [
        optuna.create_trial(
            params={"x": 1.0}, distributions={"x": optuna.FloatDistribution(0, 2)}, value=1.0
        )
    ]
    with pytest.raises(ValueError, match="no complete single-objective trial among the 1 source"):
        optuna.create_study(sampler=optuna.samplers.CmaEsSampler(source_trials=other)).optimize(
            _sphere, n_trials=3
        )


def test_import_tftune_leaves_scipy_stats_unloaded():
    """Optuna's examples start with ``import optuna``: the QMC sampler loads scipy.stats (slow
    to import) only when one is made."""
    import subprocess
    import sys

    code = (
        "import sys, tftune; assert 'scipy.stats' not in sys.modules; "
        "tftune.samplers.QMCSampler(); assert 'scipy.stats' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
