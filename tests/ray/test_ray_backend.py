"""study.optimize(..., backend="ray") on a real two-node Ray cluster, in a private network
namespace. One sandboxed process runs every scenario on one cluster (Ray starts slowly);
each test checks one scenario's outcome."""

from __future__ import annotations

import collections
import itertools
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from _ray_sandbox import POSTGRES_SOCKET_URL, run_sandboxed, scenario_result

# Created and dropped from here over TCP; the sandbox reaches it through the Unix socket.
PG_BASE = os.environ.get(
    "TFTUNE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SCENARIOS = Path(__file__).with_name("scenarios.py")
RESUME_TRIALS, TIMEOUT = 8, 5.0  # as in scenarios.py
BATCHED_TRIALS, BATCH_RAISES_AT, MAX_BATCH = 60, 30, 8  # as in scenarios.py, _ray_backend.py

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
def outcome() -> dict[str, Any]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_BASE)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {PG_BASE} is unreachable: {error.orig}")
    postgres = f"{POSTGRES_SOCKET_URL}&options=-csearch_path%3D{schema}"
    try:
        result, _ = run_sandboxed(
            SCENARIOS,
            ["all", postgres],
            timeout=360,
        )
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return result


def test_ray_listens_on_loopback_only_and_every_process_is_stopped(outcome):
    assert outcome["network"]["interfaces"] == ["lo"]
    assert outcome["network"]["n_listening"] > 0  # Ray's ports are there, all on loopback
    assert outcome["network"]["loopback_only"], outcome["network"]
    assert outcome["left_running_after_close"] == []
    assert outcome["leftover_pids"] == []


@pytest.mark.parametrize("storage", ["sqlite", "postgres", "memory"])
def test_a_define_by_run_study_runs_its_trials_on_ray_workers(outcome, storage):
    result = scenario_result(outcome, storage)
    assert result["numbers"] == list(range(10))
    assert result["states"] == ["COMPLETE"] * 10
    assert result["callback_numbers"] == list(range(10))
    assert None not in result["pids"] and result["driver_pid"] not in result["pids"]
    assert len({p["x"] for p in result["params"]}) == 10
    assert result["best_value"] == min((p["x"] - 0.5) ** 2 for p in result["params"])


def test_the_same_seed_gives_the_same_study_on_every_storage(outcome):
    names = ("sqlite", "postgres", "memory")
    params = [scenario_result(outcome, name)["params"] for name in names]
    assert params[0] == params[1] == params[2]


def test_grid_cells_run_exactly_once_and_a_finished_grid_adds_nothing(outcome):
    result = scenario_result(outcome, "grid")
    cells = [(p["a"], p["b"]) for p in result["params"]]
    assert sorted(cells) == sorted(itertools.product([1, 2, 3], [10, 20, 30]))
    assert result["states"] == ["COMPLETE"] * 9
    assert len(set(result["pids"])) >= 1


def test_an_objective_error_fails_the_trial_and_is_raised_in_the_driver(outcome):
    result = scenario_result(outcome, "errors")
    assert result["raised"]["type"] == "ValueError"
    assert result["raised"]["message"].startswith("boom in trial ")
    assert "FAIL" in result["raised_study"]["states"]
    assert "RUNNING" not in result["raised_study"]["states"]
    assert "ValueError: boom" in result["raised_study"]["fail_reasons"][0]
    caught = result["caught"]
    assert caught["states"] == ["FAIL"] * 4  # caught: the study went on to its n_trials


def test_no_trial_starts_after_the_timeout_and_none_is_left_running(outcome):
    result = scenario_result(outcome, "timeout")
    assert "RUNNING" not in result["states"]
    assert all(started <= TIMEOUT + 0.2 for started in result["started_at"])
    assert result["seconds"] < TIMEOUT + 15  # workers' start, one trial, the shutdown


def test_short_trials_go_a_few_per_ray_call_and_each_is_stored_once(outcome):
    result = scenario_result(outcome, "batched")
    assert result["numbers"] == list(range(BATCHED_TRIALS))
    assert result["states"] == ["COMPLETE"] * BATCHED_TRIALS
    assert len({p["x"] for p in result["params"]}) == BATCHED_TRIALS
    per_call = collections.Counter(result["tasks"])
    assert None not in per_call
    assert max(per_call.values()) > 1, per_call  # trials shared a Ray call
    assert max(per_call.values()) <= MAX_BATCH, per_call


def test_a_trial_raising_in_a_batch_fails_the_ones_after_it_that_were_not_run(outcome):
    result = scenario_result(outcome, "batched")
    assert result["raised"] == f"boom in trial {BATCH_RAISES_AT}"
    study = result["raised_study"]
    assert "RUNNING" not in study["states"]
    assert study["states"][BATCH_RAISES_AT] == "FAIL"
    assert "ValueError: boom" in study["fail_reasons"][BATCH_RAISES_AT]
    for number, state in enumerate(study["states"]):
        if number != BATCH_RAISES_AT and state == "FAIL":  # queued behind it in its call
            assert number > BATCH_RAISES_AT and study["tasks"][number] is None
            assert study["fail_reasons"][number] == (
                "Not run: a trial before it in the same Ray call raised."
            )
        elif number != BATCH_RAISES_AT:
            assert state == "COMPLETE"
    assert study["states"][:BATCH_RAISES_AT] == ["COMPLETE"] * BATCH_RAISES_AT


def test_a_killed_worker_node_fails_its_trial_with_rays_reason_and_it_is_retried(outcome):
    result = scenario_result(outcome, "node_killed")
    assert result["killed"], "the worker node was never seen running a trial"
    states, retry_of = result["states"], result["retry_of"]
    failed = [n for n, state in zip(result["numbers"], states, strict=True) if state == "FAIL"]
    assert failed == result["killed"]["running"]  # exactly the trial the node was running
    for number in failed:
        reason = result["fail_reasons"][number]
        assert "The Ray worker running this trial died" in reason
        # Ray's own account follows: the actor died, or (a busy node) it became unreachable first
        assert "ActorDiedError" in reason or "ActorUnavailableError" in reason, reason
        detected = result["completed_at"][number] - result["killed"]["at"]
        assert 0 < detected < 15, detected  # Ray's notice, not a heartbeat grace period
        retries = [n for n, of in enumerate(retry_of) if of == number]
        assert len(retries) == 1 and states[retries[0]] == "COMPLETE"
        assert result["params"][retries[0]] == result["params"][number]
        # marked as retried, so a tuner's count of failures in a row skips it (its retry not)
        assert result["lost_marks"][number] == number
        assert result["lost_marks"][retries[0]] != retries[0]
    assert states.count("COMPLETE") == 8  # n_trials: the retry replaces the lost trial
    assert set(states) <= {"COMPLETE", "FAIL"}
    assert result["numbers"] == list(range(len(states)))
    firsts = [p["x"] for p, of in zip(result["params"], retry_of, strict=True) if of is None]
    assert len(set(firsts)) == len(firsts)  # nothing but the retry ran twice


def test_a_killed_driver_is_resumed_by_running_the_script_again(outcome):
    result = scenario_result(outcome, "driver_killed")
    assert "first_exit" not in result, result  # the driver was still running when killed
    assert result["complete_at_kill"] >= 3
    assert result["rerun_exit"] == 0, result["rerun_output"]
    before, after = result["before"], result["after"]
    assert "RUNNING" in before["states"]  # the kill left a trial running
    assert after["states"].count("COMPLETE") == RESUME_TRIALS
    assert "RUNNING" not in after["states"]
    for number, state in enumerate(before["states"]):
        if state == "COMPLETE":  # finished trials are kept as they were
            assert after["states"][number] == "COMPLETE"
            assert after["params"][number] == before["params"][number]
        if state == "RUNNING":
            assert after["states"][number] == "FAIL"  # failed for its stale heartbeat
            assert number in after["retry_of"]  # and run again with its parameters


def test_ray_tune_runs_an_experiment_with_suggestions_from_a_tftune_study(outcome):
    result = scenario_result(outcome, "tune_adapter")
    assert result["states"] == ["COMPLETE"] * 6
    assert sorted(result["values"]) == result["tune_losses"]  # the final results were told
    assert result["intermediate"] == [[1, 2]] * 6  # and every reported result on the way
    for params in result["params"]:
        assert set(params) == {"x", "nested/k"} and -2.0 <= params["x"] <= 2.0
        assert params["nested/k"] in (1, 2, 3)  # Ray's exclusive upper bound is kept
    suggested = sorted((p["x"], p["nested/k"]) for p in result["params"])
    assert suggested == sorted((c["x"], c["nested"]["k"]) for c in result["tune_configs"])
