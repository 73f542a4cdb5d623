"""A journal file that Optuna's JournalStorage wrote opens in tftune's, as Optuna reads it."""

from __future__ import annotations

import json

import pytest

import tftune
from tftune.storages import JournalStorage
from tftune.storages.journal import JournalFileBackend
from tftune.trial import TrialState

optuna = pytest.importorskip("optuna")  # the test extra installs it (tftune[dashboard])


def _write_with_optuna(path: str) -> None:
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    study = optuna.create_study(study_name="mig", storage=storage, direction="maximize")
    study.set_user_attr("owner", "me")
    study.enqueue_trial({"x": 1.5})

    def objective(trial):
        x = trial.suggest_float("x", -5, 5)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        trial.report(x / 2, step=0)
        trial.set_user_attr("double", 2 * x)
        if kind == "b" and trial.number == 3:
            raise optuna.TrialPruned()
        return x + (kind == "a")

    study.optimize(objective, n_trials=6)
    study.add_trial(
        optuna.trial.create_trial(
            value=9.0,
            params={"x": 4.0, "kind": "a"},
            distributions={
                "x": optuna.distributions.FloatDistribution(-5, 5),
                "kind": optuna.distributions.CategoricalDistribution(["a", "b"]),
            },
        )
    )
    doomed = optuna.create_study(study_name="doomed", storage=storage)
    optuna.delete_study(study_name=doomed.study_name, storage=storage)


def test_tftune_reads_what_optuna_wrote(tmp_path):
    path = str(tmp_path / "optuna.log")
    _write_with_optuna(path)
    expected = optuna.load_study(
        study_name="mig",
        storage=optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path)),
    )
    storage = JournalStorage(JournalFileBackend(path))
    study = tftune.load_study(study_name="mig", storage=storage)
    assert [s.study_name for s in storage.get_all_studies()] == ["mig"]
    assert study.direction == tftune.study.StudyDirection.MAXIMIZE
    assert study.user_attrs == {"owner": "me"}
    assert len(study.trials) == len(expected.trials) == 7
    for ours, theirs in zip(study.trials, expected.trials, strict=True):
        assert ours.number == theirs.number
        assert ours.state.name == theirs.state.name
        assert ours.params == theirs.params
        assert ours.values == theirs.values
        assert ours.intermediate_values == theirs.intermediate_values
        assert ours.user_attrs == theirs.user_attrs
        assert ours.datetime_start == theirs.datetime_start
        assert ours.datetime_complete == theirs.datetime_complete
    assert study.trials[0].params["x"] == 1.5  # the enqueued trial
    assert study.best_value == expected.best_value


def test_a_study_from_optuna_continues_in_tftune(tmp_path):
    path = str(tmp_path / "optuna.log")
    _write_with_optuna(path)
    study = tftune.load_study(study_name="mig", storage=JournalStorage(JournalFileBackend(path)))
    study.optimize(lambda t: t.suggest_float("x", -5, 5), n_trials=3)
    again = tftune.load_study(study_name="mig", storage=JournalStorage(JournalFileBackend(path)))
    assert len(again.trials) == 10
    assert [t.number for t in again.trials] == list(range(10))
    assert again.trials[-1].state == TrialState.COMPLETE


def test_an_unknown_optuna_operation_fails_that_entry_only(tmp_path):
    path = tmp_path / "optuna.log"
    entries = [
        {"op_code": 0, "worker_id": "w", "study_name": "s", "directions": [1]},
        {"op_code": 99, "worker_id": "w", "study_id": 0},
        {"op_code": 2, "worker_id": "w", "study_id": 0, "user_attr": {"a": 1, "b": [2]}},
    ]
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    storage = JournalStorage(JournalFileBackend(str(path)))
    assert storage.get_study_attrs(0) == {"a": 1, "b": [2]}
