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
