"""tftune._tensorboard.HParamsLog: a study's trials as TensorBoard HParams runs, without TF.

Plain studies (no Keras) feed the log by hand here; tests/keras/test_tensorboard.py runs it
through the Keras tuner and a TensorBoard server.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import urllib.request

import pytest

import tftune
from tftune.trial import TrialState


def _accumulator(path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(path), size_guidance={"tensors": 0, "scalars": 0})
    accumulator.Reload()
    return accumulator


def _plugin_data(path, tag):
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData()
    data.ParseFromString(_accumulator(path).SummaryMetadata(tag).plugin_data.content)
    return data


def _experiment_run(logdir):
    """The run of the log directory's experiment (one at a time, its latest version)."""
    [run] = (logdir / "_hparams_experiment").iterdir()
    return run


def _experiment(logdir):
    return _plugin_data(_experiment_run(logdir), "_hparams_/experiment").experiment


def _run_trial(log, study, suggest, epochs=1, state=TrialState.COMPLETE):
    trial = study.ask()
    suggest(trial)
    for epoch in range(epochs):
        log.epoch_end(trial, epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 - epoch})
    values = 2.0 if state == TrialState.COMPLETE else None
    log.trial_end(study, study.tell(trial, values, state=state))


WRITE_WITHOUT_TENSORFLOW = """
import sys
import tftune
from tftune._tensorboard import HParamsLog
from tftune.trial import TrialState

study = tftune.create_study(study_name="plain")
log = HParamsLog(sys.argv[1], study, "val_loss")
for state in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
    trial = study.ask()
    trial.suggest_float("lr", 1e-3, 1e-1, log=True)
    for epoch in range(2):
        log.epoch_end(trial, epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0 - epoch})
    log.trial_end(study, study.tell(trial, 1.0 if state == TrialState.COMPLETE else None,
                                    state=state))
print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras")))
"""


def test_writing_the_log_imports_neither_tensorflow_nor_keras(tmp_path):
    from tensorboard.plugins.hparams import api_pb2

    out = subprocess.run(
        [sys.executable, "-c", WRITE_WITHOUT_TENSORFLOW, str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert out.strip() == "[]"
    statuses = []
    for number in range(3):
        run = tmp_path / "plain" / f"{number:05d}"
        loss = _accumulator(run).Scalars("loss")
        assert [(e.step, e.value) for e in loss] == [(0, 1.0), (1, 0.5)]
        end = _plugin_data(run, "_hparams_/session_end_info").session_end_info
        statuses.append(api_pb2.Status.Name(end.status))
    assert statuses == ["STATUS_SUCCESS", "STATUS_UNKNOWN", "STATUS_FAILURE"]


def test_without_the_tensorboard_package_the_error_names_the_extra(monkeypatch):
    for name in [m for m in sys.modules if m.startswith("tftune._tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # what an absent package reads as
    with pytest.raises(ImportError, match=r"pip install 'tftune\[tensorboard\]'"):
        importlib.import_module("tftune._tensorboard")


def test_the_experiment_grows_when_trials_bring_new_parameters_and_is_not_rewritten_else(
    tmp_path,
):
    from tftune._tensorboard import HParamsLog

    study = tftune.create_study(study_name="a")
    log = HParamsLog(tmp_path, study, "val_loss")
    _run_trial(log, study, lambda t: t.suggest_float("lr", 1e-3, 1e-1, log=True))
    assert [h.name for h in _experiment(tmp_path).hparam_infos] == ["lr"]

    def more(trial):  # define-by-run: a later trial suggests more parameters
        trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        trial.suggest_categorical("units", [16, 32])
        trial.suggest_categorical("norm", [None, "batch"])

    _run_trial(log, study, more)
    written = _experiment_run(tmp_path)
    infos = {h.name: h for h in _experiment(tmp_path).hparam_infos}
    assert sorted(infos) == ["lr", "norm", "units"]
    assert [v.number_value for v in infos["units"].domain_discrete.values] == [16.0, 32.0]
    assert [v.string_value for v in infos["norm"].domain_discrete.values] == ["None", "batch"]
    assert sorted(m.name.tag for m in _experiment(tmp_path).metric_infos) == ["loss", "val_loss"]
    start = _plugin_data(tmp_path / "a" / "00001", "_hparams_/session_start_info")
    params = study.trials[1].params
    assert start.session_start_info.hparams["units"].number_value == params["units"]
    norm = params["norm"]  # a mixed categorical's values read as strings, as its domain
    assert start.session_start_info.hparams["norm"].string_value == (norm or "None")

    _run_trial(log, study, more)  # nothing new: the experiment stays as written
    assert _experiment_run(tmp_path) == written

    other = tftune.create_study(study_name="b")  # a second study in the same log directory
    _run_trial(
        HParamsLog(tmp_path, other, "val_loss"), other, lambda t: t.suggest_float("lr", 0.01, 1.0)
    )
    merged = {h.name: h for h in _experiment(tmp_path).hparam_infos}
    assert sorted(merged) == ["lr", "norm", "units"]
    lr = merged["lr"].domain_interval
    assert (lr.min_value, lr.max_value) == (1e-3, 1.0)  # both studies' ranges
    own = json.loads((tmp_path / "a" / "tftune-hparams.json").read_text())
    assert own["experiment"]["hparamInfos"][0]["domainInterval"] == {
        "minValue": 1e-3,
        "maxValue": 0.1,
    }


def test_a_new_study_of_the_same_name_may_not_write_into_the_old_ones_runs(tmp_path):
    from tftune._tensorboard import HParamsLog

    study = tftune.create_study(study_name="s")
    _run_trial(HParamsLog(tmp_path, study, "loss"), study, lambda t: t.suggest_int("n", 1, 3))
    again = tftune.create_study(study_name="s")  # deleted and created again: numbers restart
    with pytest.raises(
        ValueError,
        match=r"`tensorboard`: .* holds the TensorBoard runs of "
        r"another study named 's'",
    ):
        HParamsLog(tmp_path, again, "loss")
    log = HParamsLog(tmp_path, study, "loss")  # the same study, searching on, goes on
    _run_trial(log, study, lambda t: t.suggest_int("n", 1, 3))
    assert sorted(p.name for p in (tmp_path / "s").iterdir() if p.is_dir()) == ["00000", "00001"]


def _served_hparams(url):
    request = urllib.request.Request(
        f"{url}/data/plugin/hparams/experiment",
        data=json.dumps({"experimentName": ""}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return sorted(info["name"] for info in json.load(response).get("hparamInfos", []))


def test_a_running_tensorboard_shows_parameters_that_appear_later(tmp_path, tensorboard_server):
    from tftune._tensorboard import HParamsLog

    study = tftune.create_study(study_name="live")
    log = HParamsLog(tmp_path, study, "loss")
    _run_trial(log, study, lambda t: t.suggest_float("lr", 0.1, 1.0))
    server = tensorboard_server(tmp_path, "--reload_interval=1")
    server.wait_until(lambda url: _served_hparams(url) == ["lr"])

    def more(trial):
        trial.suggest_float("lr", 0.1, 1.0)
        trial.suggest_int("units", 1, 4)

    _run_trial(log, study, more)  # the server, running, drops the old experiment for the new
    server.wait_until(lambda url: _served_hparams(url) == ["lr", "units"], timeout=30)
