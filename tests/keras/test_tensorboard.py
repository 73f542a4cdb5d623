"""Tuner(tensorboard=...): every trial a TensorBoard HParams session with its per-epoch metrics.

One small search per mode (fused packs, one trial at a time) with successive halving: trials
complete, get pruned, fail and resume from a checkpoint. The logs are then read twice: with
TensorBoard's own event reader, and through the HTTP API of a real TensorBoard server.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys
import urllib.error
import urllib.request

import numpy as np
import pytest

import keras
import tftune
from tftune.keras import Tuner
from tftune.pruners._successive_halving import RESUME_OF_KEY
from tftune.trial import TrialState

STUDIES = {"packed": True, "single": False}  # study name -> fuse
#: lr 0.1 trains best, 0.03 worse, 0 not at all: at the first rung trial 1 is pruned behind
#: trial 0, trials 2 and 3 behind both, which then ranks trial 1 in the top half: promoted.
PARAMS = [
    {"lr": 0.1, "units": 8, "activation": "tanh", "broken": False},
    {"lr": 0.03, "units": 4, "activation": "relu", "broken": False},
    {"lr": 0.0, "units": 2, "activation": "relu", "broken": False},
    {"lr": 0.0, "units": 2, "activation": "tanh", "broken": False},
    {"lr": 0.05, "units": 4, "activation": "relu", "broken": True},
]
STATUS = {
    TrialState.COMPLETE: "STATUS_SUCCESS",
    TrialState.PRUNED: "STATUS_UNKNOWN",
    TrialState.FAIL: "STATUS_FAILURE",
}


def build(trial):
    lr = trial.suggest_float("lr", 0.0, 0.1)
    units = trial.suggest_int("units", 2, 8)
    activation = trial.suggest_categorical("activation", ["relu", "tanh"])
    if trial.suggest_categorical("broken", [False, True]):
        raise ValueError("this configuration builds no model")
    model = keras.Sequential(
        [keras.layers.Dense(units, activation=activation), keras.layers.Dense(1, "sigmoid")]
    )
    model.compile(keras.optimizers.Adam(lr), "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """The log directory, and the trials of both studies (study name -> trials)."""
    root = tmp_path_factory.mktemp("tb")
    logdir = root / "logs"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("float32")
    trials = {}
    for name, fuse in STUDIES.items():
        with Tuner(
            build,
            directory=root,
            project_name=name,
            fuse=fuse,
            pack_size=4,
            pruner=tftune.pruners.SuccessiveHalvingPruner(
                min_resource=1, reduction_factor=2, curve_horizon="next_rung"
            ),
            sampler=tftune.samplers.RandomSampler(seed=0),
            tensorboard=logdir,
        ) as tuner:
            for params in PARAMS:
                tuner.study.enqueue_trial(params)
            tuner.search(
                x[:64],
                y[:64],
                validation_data=(x[64:], y[64:]),
                epochs=3,
                batch_size=8,
                n_trials=6,
            )
            trials[name] = tuner.study.trials
            assert tuner.packing_note == (None if fuse else "fuse=False")  # packs, or not
    return logdir, trials


def finished(trials):
    return [t for t in trials if t.state in STATUS]


def test_the_search_completes_prunes_fails_and_resumes_a_trial(searched):
    _, studies = searched
    for trials in studies.values():
        states = [t.state for t in trials]
        assert states[:5] == [TrialState.COMPLETE, *[TrialState.PRUNED] * 3, TrialState.FAIL]
        assert trials[5].system_attrs[RESUME_OF_KEY] == 1 and trials[5].state in STATUS


# --- the event files, read by TensorBoard's reader -------------------------------------------
def _accumulator(path: pathlib.Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(path), size_guidance={"tensors": 0, "scalars": 0})
    accumulator.Reload()
    return accumulator


def _plugin_data(accumulator, tag):
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData()
    data.ParseFromString(accumulator.SummaryMetadata(tag).plugin_data.content)
    return data


def test_each_trial_has_its_own_run_with_its_parameters_epochs_and_state(searched):
    logdir, studies = searched
    for name, trials in studies.items():
        for trial in finished(trials):
            run = logdir / name / f"{trial.number:05d}"
            assert len(list(run.glob("events.out.tfevents.*"))) == 1
            accumulator = _accumulator(run)
            start = _plugin_data(accumulator, "_hparams_/session_start_info").session_start_info
            assert start.group_name == f"{name}/{trial.number:05d}"
            assert dict(start.hparams) == {
                "lr": _number(trial.params["lr"]),
                "units": _number(trial.params["units"]),
                "activation": _string(trial.params["activation"]),
                "broken": _bool(trial.params["broken"]),
            }
            end = _plugin_data(accumulator, "_hparams_/session_end_info").session_end_info
            assert _status_name(end.status) == STATUS[trial.state]
            history = trial.user_attrs.get("history", {})
            assert sorted(accumulator.Tags()["scalars"]) == sorted(history)
            for metric, values in history.items():
                events = accumulator.Scalars(metric)
                assert [e.step for e in events] == list(range(len(values)))  # no step twice
                assert [e.value for e in events] == pytest.approx(values)


def test_a_promoted_trial_continues_the_curve_of_the_trial_it_resumes(searched):
    logdir, studies = searched
    for name, trials in studies.items():
        paused, resumed = trials[1], trials[5]
        paused_loss = [e.value for e in _accumulator(logdir / name / "00001").Scalars("val_loss")]
        resumed_events = _accumulator(logdir / name / "00005").Scalars("val_loss")
        assert len(paused_loss) == 2 and len(resumed_events) == 3
        assert [e.value for e in resumed_events[:2]] == pytest.approx(paused_loss)
        assert resumed_events[2].value == pytest.approx(
            resumed.user_attrs["history"]["val_loss"][2]
        )
        assert paused.state == TrialState.PRUNED


def test_the_experiment_lists_the_domains_of_both_studies_and_every_metric(searched):
    logdir, _ = searched
    [run] = (logdir / "_hparams_experiment").iterdir()  # the merged one, its latest version
    accumulator = _accumulator(run)
    experiment = _plugin_data(accumulator, "_hparams_/experiment").experiment
    infos = {info.name: info for info in experiment.hparam_infos}
    assert sorted(infos) == ["activation", "broken", "lr", "units"]
    assert (infos["lr"].domain_interval.min_value, infos["lr"].domain_interval.max_value) == (
        0.0,
        0.1,
    )
    assert infos["units"].domain_interval.max_value == 8.0
    assert [v.string_value for v in infos["activation"].domain_discrete.values] == [
        "relu",
        "tanh",
    ]
    assert [v.bool_value for v in infos["broken"].domain_discrete.values] == [False, True]
    assert sorted(m.name.tag for m in experiment.metric_infos) == [
        "accuracy",
        "loss",
        "val_accuracy",
        "val_loss",
    ]


def _number(value):
    from google.protobuf import struct_pb2

    return struct_pb2.Value(number_value=float(value))


def _string(value):
    from google.protobuf import struct_pb2

    return struct_pb2.Value(string_value=value)


def _bool(value):
    from google.protobuf import struct_pb2

    return struct_pb2.Value(bool_value=value)


def _status_name(status):
    from tensorboard.plugins.hparams import api_pb2

    return api_pb2.Status.Name(status)


# --- a real TensorBoard server ----------------------------------------------------------------
@pytest.fixture(scope="module")
def server(searched, tensorboard_server):
    """The base URL of a TensorBoard server (tests/conftest.py) once it serves every run (it
    reads the event files with its own reader, the tests above with TensorFlow's)."""
    logdir, studies = searched
    started = tensorboard_server(logdir)
    started.wait_until(lambda url: _has_loaded(url, _expected_runs(studies)))
    return started.url


def _has_loaded(url, expected) -> bool:
    """Whether the server lists every run and session (it loads them in the background)."""
    runs = _get(f"{url}/data/runs")
    groups = _post(f"{url}/data/plugin/hparams/session_groups", _groups_request([]))
    return set(runs) >= set(expected) and groups.get("totalSize") == len(expected)


def _groups_request(col_params):
    return {
        "experimentName": "",
        "allowedStatuses": sorted(set(STATUS.values())),
        "colParams": col_params,
        "startIndex": 0,
        "sliceSize": 100,
        "aggregationType": "AGGREGATION_AVG",
    }


def _get(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def _post(url, body):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _expected_runs(studies):
    return {
        f"{name}/{t.number:05d}": t for name, trials in studies.items() for t in finished(trials)
    }


def test_tensorboard_lists_every_trial_as_a_run_with_its_scalars(searched, server):
    logdir, studies = searched
    expected = _expected_runs(studies)
    runs = _get(f"{server}/data/runs")
    [version] = (logdir / "_hparams_experiment").iterdir()  # the experiment's run
    assert sorted(runs) == sorted([f"_hparams_experiment/{version.name}", *expected])
    tags = _get(f"{server}/data/plugin/scalars/tags")
    for run, trial in expected.items():
        history = trial.user_attrs.get("history", {})
        assert sorted(tags.get(run, {})) == sorted(history)
        for metric, values in history.items():
            query = urllib.parse.urlencode({"run": run, "tag": metric})
            points = _get(f"{server}/data/plugin/scalars/scalars?{query}")
            assert [step for _, step, _ in points] == list(range(len(values)))
            assert [value for _, _, value in points] == pytest.approx(values)


def test_the_hparams_view_lists_every_trial_with_its_hyperparameters_and_metrics(searched, server):
    _, studies = searched
    expected = _expected_runs(studies)
    experiment = _post(f"{server}/data/plugin/hparams/experiment", {"experimentName": ""})
    assert sorted(h["name"] for h in experiment["hparamInfos"]) == [
        "activation",
        "broken",
        "lr",
        "units",
    ]
    metrics = [m["name"] for m in experiment["metricInfos"]]
    assert sorted(m["tag"] for m in metrics) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    columns = [{"hparam": h["name"]} for h in experiment["hparamInfos"]]
    columns += [{"metric": m} for m in metrics]
    groups = _post(f"{server}/data/plugin/hparams/session_groups", _groups_request(columns))
    assert groups["totalSize"] == len(expected)
    by_name = {group["name"]: group for group in groups["sessionGroups"]}
    assert sorted(by_name) == sorted(expected)
    for run, trial in expected.items():
        group = by_name[run]
        assert group["hparams"] == pytest.approx(trial.params)
        [session] = group["sessions"]
        assert session["status"] == STATUS[trial.state]
        last = {k: v[-1] for k, v in trial.user_attrs.get("history", {}).items()}
        values = {m["name"]["tag"]: m for m in group["metricValues"]}
        assert {k: v["value"] for k, v in values.items()} == pytest.approx(last)
        assert {k: v["trainingStep"] for k, v in values.items()} == {
            k: len(v) - 1 for k, v in trial.user_attrs.get("history", {}).items()
        }
        if trial.state == TrialState.COMPLETE:
            assert math.isclose(values["val_loss"]["value"], trial.value, rel_tol=1e-6)


# --- arguments --------------------------------------------------------------------------------
def test_a_bad_tensorboard_argument_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"`tensorboard` must be a log directory .* got 42"):
        Tuner(build, directory=tmp_path, tensorboard=42)
    with pytest.raises(ValueError, match=r"`tensorboard` must be a log directory, got an empty"):
        Tuner(build, directory=tmp_path, tensorboard="")


def test_without_the_tensorboard_package_the_tuner_names_the_extra(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("tftune._tensorboard")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # what an absent package reads as
    with pytest.raises(ImportError, match=r"pip install 'tftune\[tensorboard\]'"):
        Tuner(build, directory=tmp_path, tensorboard=tmp_path / "logs")
    assert not (tmp_path / "untitled").exists()  # refused before any study was set up
