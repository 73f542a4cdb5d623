"""A TensorBoard callback in ``search()``: each trial and execution logs to its own folder with
its hyperparameters as an HParams session, read back by a real TensorBoard server."""

from __future__ import annotations

import json
import urllib.request

import keras
import pytest
from keras import layers

import tftune.keras_tuner as keras_tuner


def build_model(hp):  # type: ignore[no-untyped-def]
    model = keras.Sequential([layers.Input((8, 8)), layers.Flatten()])
    model.add(
        layers.Dense(hp.Int("units", 8, 32, step=8), activation=hp.Choice("act", ["relu", "tanh"]))
    )
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-2, sampling="log")),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _post(url, body):  # type: ignore[no-untyped-def]
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _groups(url, columns):  # type: ignore[no-untyped-def]
    body = {
        "experimentName": "",
        "allowedStatuses": [
            "STATUS_SUCCESS",
            "STATUS_FAILURE",
            "STATUS_RUNNING",
            "STATUS_UNKNOWN",
        ],
        "colParams": columns,
        "startIndex": 0,
        "sliceSize": 100,
        "aggregationType": "AGGREGATION_AVG",
    }
    return _post(f"{url}/data/plugin/hparams/session_groups", body)


def test_the_hparams_view_lists_every_trial_and_execution_with_its_values(
    digits, tmp_path, tensorboard_server
):  # type: ignore[no-untyped-def]
    x_train, y_train, x_val, y_val = digits
    tuner = keras_tuner.RandomSearch(
        build_model,
        objective="val_accuracy",
        max_trials=3,
        executions_per_trial=2,
        seed=1,
        directory=tmp_path / "results",
    )
    logdir = tmp_path / "tb_logs"
    tuner.search(
        x_train[:200],
        y_train[:200],
        validation_data=(x_val, y_val),
        epochs=2,
        callbacks=[keras.callbacks.TensorBoard(str(logdir))],
    )
    trials = tuner.oracle.get_best_trials(3)
    assert len(trials) == 3
    server = tensorboard_server(logdir)
    server.wait_until(lambda url: _groups(url, []).get("totalSize") == 3)
    experiment = _post(f"{server.url}/data/plugin/hparams/experiment", {"experimentName": ""})
    assert sorted(h["name"] for h in experiment["hparamInfos"]) == ["act", "lr", "units"]
    metrics = {(m["name"]["group"], m["name"]["tag"]) for m in experiment["metricInfos"]}
    assert {("train", "epoch_loss"), ("validation", "epoch_accuracy")} <= metrics
    columns = [{"hparam": h["name"]} for h in experiment["hparamInfos"]]
    columns += [{"metric": m["name"]} for m in experiment["metricInfos"]]
    groups = {g["name"]: g for g in _groups(server.url, columns)["sessionGroups"]}
    assert sorted(groups) == sorted(t.trial_id for t in trials)  # grouped by trial
    for trial in trials:
        group = groups[trial.trial_id]
        assert group["hparams"] == pytest.approx(trial.hyperparameters.values)
        sessions = sorted(s["name"] for s in group["sessions"])
        assert sessions == [f"{trial.trial_id}/execution0", f"{trial.trial_id}/execution1"]
        assert {s["status"] for s in group["sessions"]} == {"STATUS_SUCCESS"}
