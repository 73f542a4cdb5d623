"""Studies, samplers, pruners and storages pickle, so Ray, Dask and multiprocessing can ship
them: locks are rebuilt, databases reopen by URL, memory is copied by value."""

from __future__ import annotations

import multiprocessing
import pickle

import pytest

import tftune
from tftune.pruners import HyperbandPruner, MedianPruner, PatientPruner
from tftune.samplers import (
    AutoSampler,
    CmaEsSampler,
    GPSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from tftune.storages import InMemoryStorage, RDBStorage, RetryFailedTrialCallback
from tftune.trial import TrialState

tftune.logging.set_verbosity(tftune.logging.WARNING)
GRID = [-1.0, -0.5, 0.0, 0.5, 1.0, 0.75]


def _objective(trial: tftune.Trial) -> float:
    return (trial.suggest_float("x", -1.0, 1.0) - 0.25) ** 2


def _constraints(trial: tftune.trial.FrozenTrial) -> list[float]:
    return [trial.params["x"] - 0.9]


@pytest.mark.parametrize(
    "sampler",
    [RandomSampler(seed=1), TPESampler(seed=1), GPSampler(seed=1), AutoSampler(seed=1)]
    + [QMCSampler(seed=1), GridSampler({"x": GRID}), CmaEsSampler(seed=1)]
    + [NSGAIISampler(seed=1, population_size=2), NSGAIIISampler(seed=1, population_size=2)]
    + [TPESampler(seed=1, constraints_func=_constraints)]
    + [GPSampler(seed=1, constraints_func=_constraints)],
    ids=lambda s: type(s).__name__,
)
def test_a_study_round_trips_with_its_sampler_and_keeps_working(sampler):
    study = tftune.create_study(sampler=sampler, pruner=MedianPruner())
    study.optimize(_objective, n_trials=3)
    copy = pickle.loads(pickle.dumps(study))
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]
    assert type(copy.sampler) is type(sampler) and type(copy.pruner) is MedianPruner
    copy.optimize(_objective, n_trials=2)
    assert len(copy.get_trials(states=(TrialState.COMPLETE,))) == 5
    assert (
        len(study.get_trials(states=(TrialState.COMPLETE,))) == 3
    )  # memory is copied by value: the original is unchanged
    copy.optimize(_objective, n_trials=5)
    if isinstance(sampler, GridSampler):  # the copy hands out each remaining cell once
        assert sorted(
            t.params["x"] for t in copy.get_trials(states=(TrialState.COMPLETE,))
        ) == sorted(GRID)


def test_an_unseeded_sampler_copy_does_not_repeat_the_original():
    sampler = RandomSampler()
    copy = pickle.loads(pickle.dumps(sampler))
    first = tftune.create_study(sampler=sampler)
    second = tftune.create_study(sampler=copy)
    first.optimize(_objective, n_trials=3)
    second.optimize(_objective, n_trials=3)
    assert [t.params for t in first.trials] != [t.params for t in second.trials]


def test_a_seeded_sampler_copy_proposes_what_the_original_would():
    study = tftune.create_study(sampler=TPESampler(seed=7))
    copy = pickle.loads(pickle.dumps(study))
    study.optimize(_objective, n_trials=4)
    copy.optimize(_objective, n_trials=4)
    assert [t.params for t in copy.trials] == [t.params for t in study.trials]


def test_rdb_storage_pickles_as_url_and_options(tmp_path):
    url = f"sqlite:///{tmp_path / 'p.db'}"
    retry = RetryFailedTrialCallback(max_retry=2)
    storage = RDBStorage(
        url, heartbeat_interval=5.0, grace_period=20.0, failed_trial_callback=retry
    )
    study = tftune.create_study(study_name="s", storage=storage)
    study.optimize(_objective, n_trials=2)
    data = pickle.dumps(study)
    # the URL and options travel, not the engine or the cache of trials
    assert len(pickle.dumps(storage)) < 1000
    copy = pickle.loads(data)
    copied = copy.get_trials(deepcopy=False)[0]
    assert copied.params == study.trials[0].params
    assert isinstance(pickle.loads(pickle.dumps(storage)), RDBStorage)
    reopened = pickle.loads(pickle.dumps(storage))
    assert (reopened.url, reopened.heartbeat_interval, reopened.grace_period) == (url, 5.0, 20.0)
    assert reopened.failed_trial_callback.max_retry == 2
    copy.optimize(_objective, n_trials=1)  # the copy writes to the same database
    assert len(study.trials) == 3


def test_in_memory_storage_copies_every_study_by_value():
    storage = InMemoryStorage()
    for name in ("a", "b"):
        tftune.create_study(study_name=name, storage=storage).optimize(_objective, n_trials=2)
    copy = pickle.loads(pickle.dumps(storage))
    assert sorted(s.study_name for s in copy.get_all_studies()) == ["a", "b"]
    tftune.load_study("a", copy).optimize(_objective, n_trials=1)
    assert tftune.load_study("a", copy).trials[-1].number == 2
    assert len(tftune.load_study("a", storage).trials) == 2


def test_pruners_round_trip():
    for pruner in (HyperbandPruner(), PatientPruner(MedianPruner(), patience=2)):
        assert type(pickle.loads(pickle.dumps(pruner))) is type(pruner)


def _spawned_worker(study: tftune.Study, n_trials: int) -> None:
    study.optimize(_objective, n_trials=n_trials)


def test_a_spawned_process_runs_trials_of_a_pickled_sqlite_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'spawn.db'}"
    study = tftune.create_study(study_name="spawn", storage=url, sampler=TPESampler(seed=3))
    study.optimize(_objective, n_trials=2)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_spawned_worker, args=(study, 3)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    trials = study.get_trials(deepcopy=False)
    assert len(trials) == 8
    assert sorted(t.number for t in trials) == list(range(8))
    assert all(t.state == TrialState.COMPLETE for t in trials)
