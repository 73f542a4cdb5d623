"""Tuner.search(..., backend="ray") on a real two-node Ray cluster, in a private network
namespace: packs train as Ray tasks, best_model() works on the driver, ASHA promotions resume
on any node (with a shared directory, or through the checkpoint actor with none), and a pack
whose worker process or whole node is killed has its trials failed with Ray's reason and
retried from their last epoch. One sandboxed process runs the scenarios of
keras_scenarios.py; each test checks one."""

from __future__ import annotations

import pickle
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _ray_sandbox import run_sandboxed, scenario_result

from tftune.keras import Tuner

SCENARIOS = Path(__file__).with_name("keras_scenarios.py")
EXTS = ("json", "npz")
N_TRIALS, EPOCHS = 8, 2  # as in keras_scenarios.py
KILL_TRIALS, KILL_EPOCHS = 4, 4

pytestmark = pytest.mark.timeout(480)


@pytest.fixture(scope="module")
def outcome() -> dict[str, Any]:
    result, _ = run_sandboxed(SCENARIOS, ["all"], timeout=400)
    return result


def test_ray_listens_on_loopback_only_and_every_process_is_stopped(outcome):
    assert outcome["network"]["loopback_only"], outcome["network"]
    assert outcome["left_running_after_close"] == []
    assert outcome["leftover_pids"] == []


def test_packs_of_trials_train_on_ray_workers_and_every_trial_completes(outcome):
    result = scenario_result(outcome, "search")
    assert result["numbers"] == list(range(N_TRIALS))
    assert result["states"] == ["COMPLETE"] * N_TRIALS
    pids = set(result["pids"])
    assert None not in pids and result["driver_pid"] not in pids
    # packs of 4 (pack_size=4), fused: every trial trained in exactly one pack
    assert sorted(n for pack in result["packs"] for n in pack) == list(range(N_TRIALS))
    assert all(len(pack) > 1 for pack in result["packs"])
    for values in result["intermediate"]:
        assert [step for step, _ in values] == list(range(EPOCHS))


def test_best_model_on_the_driver_predicts_as_the_best_trial_reported(outcome):
    result = scenario_result(outcome, "search")
    pairs = zip(result["values"], result["states"], strict=True)
    complete = [value for value, state in pairs if state == "COMPLETE"]
    assert result["best_value"] == min(complete)
    assert result["best_model_loss"] == pytest.approx(result["best_value"], rel=1e-4)
    assert result["weight_files"] == [f"trial_{result['best_number']}.weights.h5"]
    assert result["epoch_files_left"] == []  # removed as each pack completed


def check_promotions_resumed(result: dict[str, Any]) -> list[int]:
    """The promoted trials of an ASHA scenario resumed from their paused trial's checkpointed
    epoch, with the same values before it; returns their numbers."""
    states, resume_of = result["states"], result["resume_of"]
    assert "PRUNED" in states and "FAIL" not in states and "RUNNING" not in states
    resumed = [n for n, of in enumerate(resume_of) if of is not None and states[n] != "WAITING"]
    assert resumed, "no promoted trial ran"
    for number in resumed:
        paused = resume_of[number]
        assert result["params"][number] == result["params"][paused]
        before = dict(map(tuple, result["intermediate"][paused]))
        after = dict(map(tuple, result["intermediate"][number]))
        assert {s: v for s, v in after.items() if s <= max(before)} == before
        assert max(after) > max(before)  # it trained on from the checkpoint
        assert result["checkpoints"][paused]["epoch"] == max(before)
        assert result["start_epochs"][number] == max(before) + 1
    assert result["best_model_loss"] == pytest.approx(result["best_value"], rel=1e-4)
    return resumed


def test_asha_promotions_enqueued_by_the_driver_resume_in_later_packs(outcome):
    result = scenario_result(outcome, "promotions")
    check_promotions_resumed(result)
    # checkpoints and best weights went to the shared directory given, and load on the driver
    paths = [c["path"] for c in result["checkpoints"] if c is not None]
    paths += [path for path in result["weights"] if path is not None]
    assert paths and all(p.startswith(result["shared_dir"]) for p in paths)


def test_asha_promotions_without_a_shared_directory_go_through_the_checkpoint_actor(outcome):
    """Every node works in a directory of its own, and the project directory is relative: a
    checkpoint written by path on a worker would not be found here, and none was promoted."""
    result = scenario_result(outcome, "promotions_unshared")
    resumed = check_promotions_resumed(result)
    states, resume_of = result["states"], result["resume_of"]
    checkpoints = {n: c for n, c in enumerate(result["checkpoints"]) if c is not None}
    # no path: the state went as bytes to the actor (a promotion carries its paused trial's)
    assert checkpoints and all(
        set(c) == {"store_chain", "epoch", "input_shape"} and c["store_chain"] in (n, resume_of[n])
        for n, c in checkpoints.items()
    )
    paused = [n for n, c in checkpoints.items() if c["store_chain"] == n]
    assert paused and all(states[n] == "PRUNED" for n in paused)
    # the actor kept them on the driver's disk; those promoted (and finished) were removed
    used = {resume_of[n] for n in resumed if states[n] != "RUNNING"}
    assert result["paused_kept"] == sorted(set(paused) - used)
    assert set(result["checkpoint_files"]) == {
        f"paused_{n}_{result['checkpoints'][n]['epoch']}.{ext}"
        for n in result["paused_kept"]
        for ext in EXTS
    }
    assert not [f for f in result["node_files"] if "asha" in f or f.endswith((".h5", ".npz"))]


def test_a_trial_paused_through_the_actor_one_at_a_time_resumes_in_a_search_with_shared_dir(
    outcome,
):
    """Trials that run one at a time (a Keras callback) pause through the checkpoint actor too
    with no shared directory; a later search that passes ``shared_dir`` resumes that trial's
    promotion from the driver, where its record says the checkpoint is (before, its worker
    looked in the shared directory and failed the trial)."""
    result = scenario_result(outcome, "later_searches")
    paused, states = result["paused"], result["states"]
    checkpoint = result["checkpoints"][paused]
    assert states[paused] == "PRUNED", result["intermediate"][paused]
    assert checkpoint == {
        "store_chain": paused,
        "epoch": max(step for step, _ in result["intermediate"][paused]),
        "input_shape": [None, 6],
    }
    assert paused in result["kept_after_first"]
    promoted = result["resume_of"].index(paused)
    assert states[promoted] in ("COMPLETE", "PRUNED"), result["fail_reasons"][promoted]
    assert result["start_epochs"][promoted] == checkpoint["epoch"] + 1
    before = result["intermediate"][paused]
    assert result["intermediate"][promoted][: len(before)] == before
    assert len(result["intermediate"][promoted]) > len(before)  # it trained on
    assert paused not in result["kept_after_second"]  # used, then removed by the driver
    assert not [name for name in result["shared_files"] if name.startswith("paused_")]
    if states[promoted] == "PRUNED":  # paused again: this search writes by path, in shared_dir
        assert f"trial_{promoted}.weights.h5" in result["shared_files"]
        assert set(result["checkpoints"][promoted]) == {"path", "epoch", "input_shape"}


def test_failing_trials_on_workers_stop_the_search_with_the_drivers_error(outcome):
    result = scenario_result(outcome, "errors")
    assert result["raised"] is not None and "trials failed in a row" in result["raised"]
    assert "no model for trial" in result["raised"]
    assert set(result["states"]) == {"FAIL"}  # none left running
    assert all("ValueError: no model for trial" in r for r in result["fail_reasons"])


def test_trials_whose_workers_always_die_stop_the_search_once_their_retries_run_out(outcome):
    """A trial whose worker died and was retried is not counted as a failure; its retry, the
    last of its chain, is: a search whose packs always die stops (before, it never did)."""
    result = scenario_result(outcome, "lost_every_time")
    states, retry_of, marks = result["states"], result["retry_of"], result["marks"]
    assert states == ["FAIL"] * 2, states
    reasons = result["fail_reasons"]
    assert all("The Ray worker training this trial's pack died" in r for r in reasons), reasons
    assert retry_of == [None, 0]
    assert marks[0] == 0  # marked retried (with its own number)
    assert marks[1] != 1  # (the mark its retry copied is not its own)
    # (max_consecutive_failures=1: had the first counted, the search stopped at #0)
    assert result["raised"] is not None, "the search never stopped"
    assert re.search(r"^1 trials failed in a row; the last one \(#1\)", result["raised"])


def check_retried_after_kill(result: dict[str, Any], kill: dict[str, Any], errors: tuple) -> None:
    """The trials of a killed pack failed with Ray's reason within seconds, and each was retried
    once, on the head node, from the last epoch it checkpointed, with the values before it."""
    states, retry_of = result["states"], result["retry_of"]
    for number in kill["running"]:
        assert states[number] == "FAIL"
        reason = result["fail_reasons"][number]
        assert "The Ray worker training this trial's pack died" in reason
        assert any(error in reason for error in errors), reason  # Ray's own account follows
        detected = result["completed_at"][number] - kill["at"]
        assert 0 < detected < 15, detected  # Ray's notice, not a heartbeat grace period
        retries = [n for n, of in enumerate(retry_of) if of == number]
        assert len(retries) == 1 and states[retries[0]] == "COMPLETE"
        retry = retries[0]
        assert result["params"][retry] == result["params"][number]
        assert result["tmps"][retry] != result["node_tmp"]  # on the surviving (head) node
        # it went on after the last epoch the killed worker checkpointed (on the driver's
        # disk, through the checkpoint actor), not from epoch 0
        last = result["killed"]["epochs"][str(number)]
        assert result["start_epochs"][retry] == last + 1
        steps = [step for step, _ in result["intermediate"][retry]]
        assert steps == list(range(KILL_EPOCHS))  # the epochs before the kill kept, once each
        before = dict(map(tuple, result["intermediate"][number]))
        after = dict(map(tuple, result["intermediate"][retry]))
        # (a retry trained again from epoch 0 runs with another seed: other values)
        assert {s: v for s, v in after.items() if s <= last} == {
            s: v for s, v in before.items() if s <= last
        }


def test_killed_pack_workers_and_nodes_fail_their_trials_and_nothing_is_lost_or_repeated(outcome):
    result = scenario_result(outcome, "killed")
    kills = result["killed"]
    assert "worker" in kills, f"not both packs (one per node) stopped checkpointed: {kills}"
    states, retry_of = result["states"], result["retry_of"]
    failed = [n for n, state in zip(result["numbers"], states, strict=True) if state == "FAIL"]
    assert failed == sorted(kills["worker"]["running"] + kills["node"]["running"])
    assert all(result["tmps"][n] == result["node_tmp"] for n in kills["node"]["running"])
    assert kills["node"]["pack_pid"] in kills["node"]["pids"]  # its worker went with the node
    assert states.count("COMPLETE") == KILL_TRIALS  # the retries replace the lost trials
    assert set(states) <= {"COMPLETE", "FAIL"}
    pairs = zip(result["params"], retry_of, strict=True)
    firsts = [tuple(params.items()) for params, of in pairs if of is None]
    assert len(set(firsts)) == len(firsts) == KILL_TRIALS  # nothing else ran twice
    complete = [n for n, state in enumerate(states) if state == "COMPLETE"]
    assert sorted(n for pack in result["packs"] for n in pack) == complete  # each once
    assert result["best_model_loss"] == pytest.approx(result["best_value"], rel=1e-4)
    assert result["epoch_files_left"] == []  # each trial's checkpoint went once it was done


def test_a_killed_pack_worker_fails_its_trials_with_rays_reason_and_they_resume(outcome):
    result = scenario_result(outcome, "killed")
    assert "worker" in result["killed"], f"no packs were killed: {result['killed']}"
    check_retried_after_kill(result, result["killed"]["worker"], ("WorkerCrashedError",))


def test_a_killed_worker_node_fails_its_packs_trials_and_they_resume_on_the_other(outcome):
    result = scenario_result(outcome, "killed")
    assert "worker" in result["killed"], f"no packs were killed: {result['killed']}"
    died = ("NodeDiedError", "WorkerCrashedError")  # (whichever Ray tells first)
    check_retried_after_kill(result, result["killed"]["node"], died)


def test_search_rejects_an_unknown_backend_naming_the_parameter(tmp_path):
    with Tuner(lambda trial: None, directory=tmp_path) as tuner:
        x = np.zeros((4, 2), "float32")
        with pytest.raises(ValueError, match=r"`backend` must be 'threads' or 'ray', got 'dask'"):
            tuner.search(x, x, n_trials=1, backend="dask")
        with pytest.raises(ValueError, match=r"`n_jobs` applies to backend='ray' only, got 2"):
            tuner.search(x, x, n_trials=1, n_jobs=2)
        with pytest.raises(ValueError, match=r"`max_retries` must be a non-negative int, got -1"):
            tuner.search(x, x, n_trials=1, backend="ray", max_retries=-1)
        with pytest.raises(ValueError, match=r"`resources_per_pack\['cpu'\]` must be a number"):
            tuner.search(x, x, n_trials=1, backend="ray", resources_per_pack={"cpu": -1})
        with pytest.raises(ValueError, match=r"`resources_per_pack` applies to backend='ray'"):
            tuner.search(x, x, n_trials=1, resources_per_pack={"cpu": 1})
        for bad in (1.5, -0.1, float("nan"), "0.1", True, None):
            with pytest.raises(
                ValueError,
                match=rf"`checkpoint_budget` must be a number in \[0, 1\] .*, got {bad!r}\.",
            ):
                tuner.search(x, x, n_trials=1, backend="ray", checkpoint_budget=bad)
        with pytest.raises(
            ValueError, match=r"`checkpoint_budget` applies to backend='ray' only, got 0.5"
        ):
            tuner.search(x, x, n_trials=1, checkpoint_budget=0.5)
        import keras

        one_at_a_time = dict(backend="ray", callbacks=[keras.callbacks.TerminateOnNaN()])
        with pytest.raises(
            ValueError,
            match=r"`checkpoint_budget` applies to trials trained in packs only; these run one "
            r"at a time \(.+\), got 0.5\.",
        ):
            tuner.search(x, x, n_trials=1, checkpoint_budget=0.5, **one_at_a_time)
        assert tuner.study.trials == []  # nothing ran


def small_build(trial):
    import keras

    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(trial.suggest_int("u", 2, 8)),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    return model


def test_a_pickled_pack_job_trains_its_pack_as_a_ray_task_would(tmp_path):
    """The task's code without Ray: a job that crossed a pickle trains the trials it is given,
    fused, saving each completed epoch for a retry (the last one completes instead); the best
    weights come back in its report, for the driver to store."""
    from tftune._ray._epoch_store import DirectoryEpochStore
    from tftune.keras._ray_search import ray_job, store_weights, train_pack

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    with Tuner(small_build, directory=tmp_path, objective="loss") as tuner:
        job = tuner.job({"x": x, "y": y, "epochs": 3, "verbose": 0})
        every_epoch = ray_job(  # as search(backend="ray", ...)
            job, project_dir=tuner.project_dir, shared_dir=None, max_retries=3, checkpoint_budget=1
        )
        assert every_epoch.checkpoint_epochs and every_epoch.epoch_callbacks == ()
        job = pickle.loads(pickle.dumps(every_epoch))
        trials = [tuner.study.ask() for _ in range(3)]
        begin = time.time()
        report = train_pack(job, [trial.trial_id for trial in trials])
        assert report["packs"] == [[0, 1, 2]]
        # when it trained, for the driver's per-pack timings
        assert begin <= report["began"] <= report["ended"] <= time.time()
        assert isinstance(report["first_in_process"], bool)
        finished = tuner.study.get_trials()
        assert [t.state.name for t in finished] == ["COMPLETE"] * 3
        for trial in finished:
            assert sorted(trial.intermediate_values) == [0, 1, 2]
        # each trial's latest epoch kept, the last before 2 (the driver removes them)
        store = DirectoryEpochStore(job.checkpoint_dir)
        assert store.names() == [f"epoch_{n}_1.{ext}" for n in range(3) for ext in EXTS]
        saved = report["checkpoints"]
        assert saved["count"] == 3 * 2 and saved["bytes"] > 3 * 2 * 1000
        with pytest.raises(FileNotFoundError, match="weights of the best trial"):
            tuner.best_model()  # not written where the driver reads them: they are in the report
        store_weights(job.weights_dir, report["weights"])
        assert tuner.best_model().predict(x, verbose=0).shape == (64, 1)


def test_a_zero_checkpoint_budget_checkpoints_a_packs_first_epoch_only(tmp_path):
    from tftune._ray._epoch_store import DirectoryEpochStore
    from tftune.keras._ray_search import ray_job, train_pack

    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 1)).astype("float32")
    with Tuner(small_build, directory=tmp_path, objective="loss") as tuner:
        job = tuner.job({"x": x, "y": y, "epochs": 4, "verbose": 0})
        first_only = ray_job(
            job, project_dir=tuner.project_dir, shared_dir=None, max_retries=3, checkpoint_budget=0
        )
        trials = [tuner.study.ask() for _ in range(2)]
        report = train_pack(first_only, [trial.trial_id for trial in trials])
        saved = report["checkpoints"]
        # epochs 0-2 could be checkpointed (the last completes instead): the first only was
        assert saved["epochs"] == 1 and saved["skipped_epochs"] == 2 and saved["count"] == 2
        store = DirectoryEpochStore(first_only.checkpoint_dir)
        assert store.names() == [f"epoch_{n}_0.{ext}" for n in range(2) for ext in EXTS]
        assert all(len(t.intermediate_values) == 4 for t in tuner.study.get_trials())
