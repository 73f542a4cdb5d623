"""The Optuna view of a tftune storage: reads, incremental trials, refused and allowed writes."""

from __future__ import annotations

import sqlite3

import optuna
import optuna_dashboard
import pytest
from dashboard_studies import N_COMPLETE, N_FAIL, N_PRUNED, dump

import tftune
from tftune.dashboard._adapter import OptunaView
from tftune.dashboard._errors import UnsupportedWriteError, WriteRefusedError
from tftune.storages import RDBStorage
from tftune.trial import TrialState

OPTUNA = optuna.trial.TrialState


@pytest.fixture
def storage(studies_copy):
    opened = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)
    yield opened
    opened.close()


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}


def test_studies_with_directions_and_attrs(storage):
    storage.set_study_attr(1, "team", "vision")
    view = OptunaView(storage)
    studies = view.get_all_studies()
    assert [s.study_name for s in studies][:2] == ["mixed", "two-goals"]
    assert [s._study_id for s in studies] == sorted(s._study_id for s in studies)
    assert studies[0].user_attrs == {"team": "vision"}
    assert [d.name for d in studies[1].directions] == ["MINIMIZE", "MAXIMIZE"]
    assert view.get_study_name_from_id(2) == "two-goals"
    with pytest.raises(KeyError, match="nope"):
        view.get_study_id_from_name("nope")


def test_trial_reads_counts_states_and_best(storage):
    view = OptunaView(storage)
    study_id = view.get_study_id_from_name("mixed")
    assert view.get_n_trials(study_id) == N_COMPLETE + N_PRUNED + N_FAIL + 1
    assert view.get_n_trials(study_id, OPTUNA.PRUNED) == N_PRUNED
    assert view.get_n_trials(study_id, (OPTUNA.FAIL, OPTUNA.RUNNING)) == N_FAIL + 1
    pruned = view.get_all_trials(study_id, states=(OPTUNA.PRUNED,))
    assert [t.state for t in pruned] == [OPTUNA.PRUNED] * N_PRUNED
    best = view.get_best_trial(study_id)
    complete = view.get_all_trials(study_id, states=(OPTUNA.COMPLETE,))
    assert best.value == min(t.value for t in complete)
    assert view.get_trial_id_from_study_id_trial_number(study_id, 3) == complete[3]._trial_id
    assert view.get_trial(complete[3]._trial_id).params == complete[3].params
    with pytest.raises(KeyError, match="no trial number 99"):
        view.get_trial_id_from_study_id_trial_number(study_id, 99)


def test_a_study_loads_in_optuna_and_plots(storage):
    view = OptunaView(storage)
    study = optuna.load_study(study_name="mixed", storage=view)
    assert len(study.trials) == N_COMPLETE + N_PRUNED + N_FAIL + 1
    figure = optuna.visualization.plot_optimization_history(study)
    assert len(figure.data[0].x) == N_COMPLETE  # Optuna plots the COMPLETE trials


def test_finished_trials_are_converted_once_and_new_ones_show_up(storage, studies_copy):
    view = OptunaView(storage)
    study_id = view.get_study_id_from_name("mixed")
    first = view.get_all_trials(study_id, deepcopy=False)
    again = view.get_all_trials(study_id, deepcopy=False)
    assert all(a is b for a, b in zip(first, again, strict=True) if a.state.is_finished())
    copies = view.get_all_trials(study_id)
    copies[0].user_attrs["changed"] = True
    assert "changed" not in view.get_all_trials(study_id, deepcopy=False)[0].user_attrs

    other = RDBStorage(f"sqlite:///{studies_copy}", heartbeat_interval=None)  # another worker
    try:
        running = [t for t in first if t.state == OPTUNA.RUNNING][0]
        other.set_trial_state_values(running._trial_id, TrialState.COMPLETE, [0.5])
        study = tftune.load_study("mixed", storage=other)
        study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1e-1, log=True), n_trials=2)
    finally:
        other.close()
    later = view.get_all_trials(study_id, deepcopy=False)
    assert len(later) == len(first) + 2
    assert later[running.number].state == OPTUNA.COMPLETE
    assert later[running.number].value == 0.5
    assert all(a is b for a, b in zip(first, later, strict=False) if a.state.is_finished())


WRITES = [
    ("create_new_study", lambda v: v.create_new_study([optuna.study.StudyDirection.MINIMIZE])),
    ("delete_study", lambda v: v.delete_study(1)),
    ("set_study_user_attr", lambda v: v.set_study_user_attr(1, "k", 1)),
    ("set_study_system_attr", lambda v: v.set_study_system_attr(1, "k", 1)),
    ("create_new_trial", lambda v: v.create_new_trial(1)),
    (
        "set_trial_param",
        lambda v: v.set_trial_param(14, "x", 0.5, optuna.distributions.FloatDistribution(0, 1)),
    ),
    ("set_trial_state_values", lambda v: v.set_trial_state_values(14, OPTUNA.COMPLETE, [1.0])),
    ("set_trial_intermediate_value", lambda v: v.set_trial_intermediate_value(14, 0, 1.0)),
    ("set_trial_user_attr", lambda v: v.set_trial_user_attr(14, "k", 1)),
    ("set_trial_system_attr", lambda v: v.set_trial_system_attr(14, "k", 1)),
]


@pytest.mark.parametrize(("method", "write"), WRITES, ids=[w[0] for w in WRITES])
def test_read_only_refuses_every_write_naming_it(storage, studies_copy, method, write):
    before = dump(studies_copy)
    view = OptunaView(storage)
    with pytest.raises(WriteRefusedError, match=rf"read-only: {method} .*--allow-write") as info:
        write(view)
    assert info.value.status_code == 403
    assert dump(studies_copy) == before


def test_allow_write_goes_to_tftunes_storage_and_creates_no_optuna_table(storage, studies_copy):
    tables = _tables(studies_copy)
    view = OptunaView(storage, allow_write=True)
    study = optuna.load_study(study_name="mixed", storage=view)
    optuna_dashboard.save_note(study, "# Findings\nlr matters")
    system = storage.get_study_attrs(1, system=True)
    assert any("lr matters" in str(value) for value in system.values())

    running = storage.get_all_trials(1, states=(TrialState.RUNNING,))[0]
    view.set_trial_user_attr(running._trial_id, "reviewed", True)
    view.set_trial_state_values(running._trial_id, OPTUNA.COMPLETE, [0.25])
    done = storage.get_trial(running._trial_id)
    assert done.user_attrs["reviewed"] is True
    assert (done.state, done.values) == (TrialState.COMPLETE, [0.25])

    new_id = view.create_new_study([optuna.study.StudyDirection.MAXIMIZE], "made-here")
    assert storage.get_study_directions(new_id) == [tftune.StudyDirection.MAXIMIZE]
    with pytest.raises(optuna.exceptions.DuplicatedStudyError, match="made-here"):
        view.create_new_study([optuna.study.StudyDirection.MAXIMIZE], "made-here")
    view.delete_study(new_id)
    assert "made-here" not in [s.study_name for s in storage.get_all_studies()]
    with pytest.raises(UnsupportedWriteError, match="cannot create trials"):
        view.create_new_trial(1)
    assert _tables(studies_copy) == tables


def test_only_tftune_storages_are_accepted():
    with pytest.raises(TypeError, match=r"`storage` must be a tftune storage .* got 'x' \(str\)"):
        OptunaView("x")  # type: ignore[arg-type]
