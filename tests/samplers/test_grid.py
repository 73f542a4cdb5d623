"""GridSampler: every cell exactly once, in threads and processes, then the study stops."""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import threading
import time
import uuid
from collections import Counter

import pytest

import tftune
from tftune.exceptions import SearchSpaceExhausted
from tftune.samplers import GridSampler
from tftune.search_space import iter_grid
from tftune.storages import InMemoryStorage, RDBStorage
from tftune.trial import TrialState

GRID = {"x": [-1.0, 0.0, 0.5, 2.0], "n": [1, 2, 4], "act": ["relu", "tanh"]}  # 24 cells


def grid_objective(trial: tftune.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 2.0)
    n = trial.suggest_int("n", 1, 4)
    act = trial.suggest_categorical("act", ["relu", "tanh", "gelu"])
    return x * n + (act == "tanh")


def cell_key(params: dict) -> tuple:
    return tuple(sorted((name, type(value).__name__, value) for name, value in params.items()))


def cells_of(grid) -> list[tuple]:
    return [cell_key(cell) for cell in iter_grid(grid)]


def assert_each_cell_once(study: tftune.Study, grid) -> None:
    trials = study.trials
    assert all(t.state == TrialState.COMPLETE for t in trials), [t.state for t in trials]
    got = Counter(cell_key(t.params) for t in trials)
    duplicates = {cell: count for cell, count in got.items() if count > 1}
    assert not duplicates, f"cells evaluated more than once: {duplicates}"
    assert set(got) == set(cells_of(grid)), {
        "missing": set(cells_of(grid)) - set(got),
        "extra": set(got) - set(cells_of(grid)),
    }
    assert len(trials) == len(cells_of(grid))


# --- the grid runs out by itself -------------------------------------------------------------
def test_every_cell_runs_once_and_the_study_stops_by_itself():
    sampler = GridSampler(GRID)
    assert sampler.grid_size == 24
    assert sampler.param_names == ["act", "n", "x"]
    study = tftune.create_study(sampler=sampler)
    study.optimize(grid_objective)  # n_trials=None: only the grid ends it
    assert_each_cell_once(study, GRID)
    study.optimize(grid_objective)  # nothing left: returns at once, adds nothing
    assert len(study.trials) == 24


def test_a_larger_budget_stops_at_the_grid_size():
    study = tftune.create_study(sampler=GridSampler(GRID))
    study.optimize(grid_objective, n_trials=100)
    assert_each_cell_once(study, GRID)


def test_a_smaller_budget_leaves_the_rest_for_later():
    study = tftune.create_study(sampler=GridSampler(GRID))
    study.optimize(grid_objective, n_trials=10)
    assert len(study.trials) == 24  # all cells are queued; 10 ran
    assert len(study.get_trials(states=(TrialState.COMPLETE,))) == 10
    study.optimize(grid_objective)
    assert_each_cell_once(study, GRID)


def test_threads_share_the_grid():
    study = tftune.create_study(sampler=GridSampler(GRID))
    study.optimize(grid_objective, n_jobs=3)
    assert_each_cell_once(study, GRID)


def test_default_order_is_parameter_grid_order():
    study = tftune.create_study(sampler=GridSampler(GRID))
    study.optimize(grid_objective)
    assert [cell_key(t.params) for t in study.trials] == cells_of(GRID)


def test_resuming_on_a_database_continues_the_same_grid(sqlite_url):
    storage = RDBStorage(sqlite_url)
    try:
        study = tftune.create_study("resume", storage=storage, sampler=GridSampler(GRID))
        study.optimize(grid_objective, n_trials=7)
        other = RDBStorage(sqlite_url)  # as another process would: a new storage, a new sampler
        try:
            tftune.load_study("resume", storage=other, sampler=GridSampler(GRID)).optimize(
                grid_objective
            )
        finally:
            other.close()
        assert_each_cell_once(tftune.load_study("resume", storage=storage), GRID)
    finally:
        storage.close()


# --- list-of-dicts grids ---------------------------------------------------------------------
UNION = [
    {"kernel": ["linear"], "C": [1, 10, 100]},
    {"kernel": ["rbf"], "C": [1, 10], "gamma": [0.01, 0.1]},
]


def union_objective(trial: tftune.Trial) -> float:
    kernel = trial.suggest_categorical("kernel", ["linear", "rbf"])
    c = trial.suggest_int("C", 1, 100, log=True)
    if kernel == "rbf":
        return c * trial.suggest_float("gamma", 1e-3, 1.0, log=True)
    return float(c)


def test_a_list_of_dicts_grid_runs_their_union():
    study = tftune.create_study(sampler=GridSampler(UNION))
    study.optimize(union_objective)
    assert_each_cell_once(study, UNION)
    assert len(study.trials) == 3 + 4
    for trial in study.trials:
        expected = {"kernel", "C"} | ({"gamma"} if trial.params["kernel"] == "rbf" else set())
        assert set(trial.params) == expected


# --- seeds -----------------------------------------------------------------------------------
def _order(seed):
    study = tftune.create_study(sampler=GridSampler(GRID, seed=seed))
    study.optimize(grid_objective)
    assert_each_cell_once(study, GRID)
    return [cell_key(t.params) for t in study.trials]


def test_seed_shuffles_reproducibly():
    first, second = _order(3), _order(3)
    assert first == second
    assert first != cells_of(GRID)  # shuffled
    assert sorted(first) == sorted(cells_of(GRID))
    assert _order(4) != first
    assert _order(None) == cells_of(GRID)


# --- mismatches between grid and objective ---------------------------------------------------
def test_a_suggested_param_missing_from_the_grid_names_it():
    def objective(trial):
        grid_objective(trial)
        return trial.suggest_float("dropout", 0.0, 0.5)

    study = tftune.create_study(sampler=GridSampler(GRID))
    with pytest.raises(
        ValueError,
        match=(
            r"Parameter 'dropout' is suggested by the objective but is not in the grid "
            r".*\['act', 'n', 'x'\]"
        ),
    ):
        study.optimize(objective)
    assert study.trials[0].state == TrialState.FAIL


def test_a_single_valued_param_need_not_be_in_the_grid():
    def objective(trial):
        return grid_objective(trial) + trial.suggest_float("fixed", 0.5, 0.5)

    study = tftune.create_study(sampler=GridSampler(GRID))
    study.optimize(objective)
    assert {t.params["fixed"] for t in study.trials} == {0.5}


@pytest.mark.parametrize(
    "grid, objective, message",
    [
        (
            {"x": [0.0, 5.0]},
            lambda t: t.suggest_float("x", -1.0, 2.0),
            r"Parameter 'x': the fixed value 5\.0 of trial #1 lies outside the suggested "
            r"FloatDistribution\(low=-1\.0, high=2\.0",
        ),
        (
            {"n": [0, 1]},
            lambda t: t.suggest_int("n", 1, 4),
            r"Parameter 'n': the fixed value 0 of trial #0 lies outside the suggested "
            r"IntDistribution",
        ),
        (
            {"n": [1, 2]},
            lambda t: t.suggest_int("n", 1, 4, step=2),
            r"Parameter 'n': the fixed value 2 of trial #1 lies outside",
        ),
        (
            {"q": [0.25]},
            lambda t: t.suggest_float("q", 0.0, 1.0, step=0.5),
            r"Parameter 'q': the fixed value 0\.25 of trial #0 lies outside",
        ),
    ],
    ids=["float-range", "int-range", "int-step", "float-step"],
)
def test_a_grid_value_outside_the_suggested_range_warns_and_is_used(grid, objective, message):
    study = tftune.create_study(sampler=GridSampler(grid))
    with pytest.warns(UserWarning, match=message + r".*It is used as given"):
        study.optimize(lambda trial: (objective(trial), 0.0)[1])
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * len(study.trials)
    ((name, values),) = grid.items()
    assert sorted(t.params[name] for t in study.trials) == sorted(values)


@pytest.mark.parametrize(
    "grid, objective, message",
    [
        (
            {"act": ["relu", "swish"]},
            lambda t: t.suggest_categorical("act", ["relu", "tanh"]),
            r"Parameter 'act': the fixed value 'swish' of trial #1 lies outside the suggested "
            r"CategoricalDistribution",
        ),
        (
            {"x": ["a"]},
            lambda t: t.suggest_float("x", 0.0, 1.0),
            r"Parameter 'x': the fixed value 'a' of trial #0 lies outside",
        ),
    ],
    ids=["categorical", "wrong-type"],
)
def test_a_grid_value_the_distribution_cannot_hold_raises(grid, objective, message):
    study = tftune.create_study(sampler=GridSampler(grid))
    with pytest.raises(
        ValueError, match=message + r".*Make the grid and the objective's suggestions agree"
    ):
        study.optimize(lambda trial: (objective(trial), 0.0)[1])
    assert [t.state for t in study.trials].count(TrialState.FAIL) == 1


def test_bad_grids_are_rejected_at_construction():
    with pytest.raises(TypeError, match=r"Grid parameter 'lr' must be a list of values, got 0\.1"):
        GridSampler({"lr": 0.1})
    with pytest.raises(
        ValueError, match=r"Grid parameter 'lr': `choices` must contain at least one element"
    ):
        GridSampler({"lr": []})
    with pytest.raises(TypeError, match=r"`search_space` must be a dict of lists"):
        GridSampler("lr")


# --- ask after the end -----------------------------------------------------------------------
def test_ask_after_the_grid_is_exhausted_raises():
    study = tftune.create_study("exhaust", sampler=GridSampler({"a": [1, 2, 3]}))
    for _ in range(3):
        trial = study.ask()
        study.tell(trial, float(trial.suggest_int("a", 1, 3)))
    with pytest.raises(
        SearchSpaceExhausted,
        match=r"GridSampler has handed out every point of its search space in study 'exhaust'",
    ):
        study.ask()
    assert sorted(t.params["a"] for t in study.trials) == [1, 2, 3]
    assert len(study.trials) == 3


def test_ask_raises_once_every_cell_is_handed_out_even_if_still_running():
    study = tftune.create_study(sampler=GridSampler({"a": [1, 2]}))
    running = [study.ask(), study.ask()]
    with pytest.raises(SearchSpaceExhausted):
        study.ask()
    assert sorted(t.suggest_int("a", 1, 2) for t in running) == [1, 2]


def test_exhausted_is_a_tftune_error():
    assert issubclass(SearchSpaceExhausted, tftune.exceptions.TftuneError)


# --- several processes on one database -------------------------------------------------------
BIG_GRID = {"x": [-1.0, 0.0, 0.5, 2.0], "n": [1, 2, 4], "act": ["relu", "tanh"]}  # 24 cells


def process_worker(url: str, name: str, start) -> None:
    """Runs in a spawned process: load the study with its own GridSampler and optimize."""
    storage = RDBStorage(url)
    try:
        study = tftune.load_study(name, storage=storage, sampler=GridSampler(BIG_GRID))
        start.wait(60)  # every worker starts claiming cells at the same time
        study.optimize(grid_objective)
    finally:
        storage.close()


def run_processes(url: str, n_workers: int = 3) -> None:
    """Three spawned workers on one database; then check every cell ran exactly once."""
    name = f"grid-{uuid.uuid4().hex[:8]}"
    with contextlib.closing(RDBStorage(url)) as storage:
        tftune.create_study(name, storage=storage)
        _spawn(url, name, n_workers)
        assert_each_cell_once(tftune.load_study(name, storage=storage), BIG_GRID)


def _spawn(url: str, name: str, n_workers: int) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(n_workers)
    workers = [
        context.Process(target=process_worker, args=(url, name, start)) for _ in range(n_workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    for worker in workers:
        if worker.is_alive():  # pragma: no cover - a hung worker fails the test below
            worker.kill()
    assert [worker.exitcode for worker in workers] == [0] * n_workers


@pytest.mark.slow
def test_processes_on_sqlite_run_each_cell_exactly_once(sqlite_url):
    run_processes(sqlite_url)


@pytest.mark.slow
def test_processes_on_postgresql_run_each_cell_exactly_once(postgres_url):
    run_processes(postgres_url)


def test_in_memory_storage_object_shared_by_two_studies():
    storage = InMemoryStorage()
    tftune.create_study("shared", storage=storage)
    a = tftune.load_study("shared", storage=storage, sampler=GridSampler(GRID))
    b = tftune.load_study("shared", storage=storage, sampler=GridSampler(GRID))
    a.optimize(grid_objective, n_trials=5)
    b.optimize(grid_objective)
    a.optimize(grid_objective)
    assert_each_cell_once(tftune.load_study("shared", storage=storage), GRID)


def test_two_workers_preparing_the_same_grid_at_once_on_postgresql(postgres_url):
    """Deterministic form of the race: worker A is held inside its enqueue transaction while B
    prepares."""
    storage_a, storage_b = RDBStorage(postgres_url), RDBStorage(postgres_url)
    try:
        tftune.create_study("race", storage=storage_a)
        a = tftune.load_study("race", storage=storage_a, sampler=GridSampler(GRID))
        b = tftune.load_study("race", storage=storage_b, sampler=GridSampler(GRID))
        inside, release = threading.Event(), threading.Event()
        take_numbers = storage_a._take_numbers

        def held_take_numbers(*args, **kwargs):  # runs after A inserted the grid's once-key
            inside.set()
            assert release.wait(30)
            return take_numbers(*args, **kwargs)

        storage_a._take_numbers = held_take_numbers
        errors: list[BaseException] = []

        def prepare(study):
            try:
                study.sampler.prepare(study)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        thread_a = threading.Thread(target=prepare, args=(a,))
        thread_a.start()
        assert inside.wait(30)
        thread_b = threading.Thread(target=prepare, args=(b,))
        thread_b.start()
        time.sleep(0.5)  # B is now waiting on A's uncommitted once-key
        release.set()
        thread_a.join(30)
        thread_b.join(30)
        storage_a._take_numbers = take_numbers
        assert not errors, errors
        a.optimize(grid_objective, n_trials=5)
        b.optimize(grid_objective)
        assert_each_cell_once(tftune.load_study("race", storage=storage_a), GRID)
    finally:
        storage_a.close()
        storage_b.close()


def test_numpy_arrays_are_accepted_as_grid_values():
    import numpy as np

    sampler = tftune.samplers.GridSampler(
        {"a": np.linspace(0, 1, 3), "b": [np.int64(1), 2], "c": ("x", "y")}
    )
    study = tftune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("a", 0, 1) + t.suggest_int("b", 0, 3), None)
    cells = {(t.params["a"], t.params["b"]) for t in study.trials}
    assert cells == {(a, b) for a in (0.0, 0.5, 1.0) for b in (1, 2)}
    assert all(type(t.params["a"]) is float and type(t.params["b"]) is int for t in study.trials)


def test_a_two_dimensional_array_is_refused():
    import numpy as np

    with pytest.raises(TypeError, match=r"must be 1-D, got an array of shape \(2, 2\)"):
        tftune.samplers.GridSampler({"a": np.zeros((2, 2))})


@dataclasses.dataclass(frozen=True)
class _Obj:
    """An object JSON cannot hold (equal to its copies, as the in-memory storage copies)."""

    name: str


def test_a_grid_of_an_opaque_object_warns_at_the_caller_and_runs_in_memory():
    obj = _Obj("adam")
    with pytest.warns(
        UserWarning, match=r"^Grid parameter 'act': `choices` should hold only None.*_Obj"
    ) as record:
        sampler = GridSampler({"act": [obj, "relu"]})
    assert {w.filename for w in record} == {__file__}
    study = tftune.create_study(sampler=sampler)
    seen = []
    with pytest.warns(UserWarning, match=r"^Parameter 'act': `choices` should hold only None"):
        study.optimize(lambda t: seen.append(t.suggest_categorical("act", [obj, "relu"])) or 0.0)
    assert sorted(seen, key=repr) == sorted([obj, "relu"], key=repr)
    assert sampler.grid_size == 2
