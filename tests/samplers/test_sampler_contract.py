"""The contract every sampler keeps, run over every sampler.

To add a sampler (TPE, GP, QMC, ...), append a :class:`SamplerCase` to ``SAMPLERS``: a factory
``make(seed, branches)`` and what kind of sampler it is. ``branches`` describes the space the
objective of a test will ask for (a list of dicts of name to distribution, one per define-by-run
branch); samplers that sample on the fly ignore it, the grid builds its grid from it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import scipy.stats

import tftune
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.samplers import (
    AutoSampler,
    BaseSampler,
    GPSampler,
    GridSampler,
    QMCSampler,
    RandomSampler,
    TPESampler,
)
from tftune.storages import InMemoryStorage, RDBStorage
from tftune.trial import TrialState

Branches = list[dict[str, BaseDistribution]]


# --- the samplers under contract -------------------------------------------------------------
def _grid_values(d: BaseDistribution, points: int = 3, exhaustive_up_to: int = 8) -> list[Any]:
    """A handful of values of ``d`` for a grid: every value when there are few, else a spread."""
    if isinstance(d, CategoricalDistribution):
        return list(d.choices)
    if isinstance(d, IntDistribution):
        values = list(range(d.low, d.high + 1, d.step))
        if len(values) <= exhaustive_up_to:
            return values
        if d.log:
            ratio = math.log(d.high / d.low)
            chosen = [
                int(round(d.low * math.exp(ratio * i / (points - 1)))) for i in range(points)
            ]
            return sorted(set(chosen))
        return sorted({values[round(i * (len(values) - 1) / (points - 1))] for i in range(points)})
    assert isinstance(d, FloatDistribution)
    if d.step is not None:
        n = int(round((d.high - d.low) / d.step))
        ks = (
            range(n + 1)
            if n + 1 <= exhaustive_up_to
            else sorted({round(i * n / (points - 1)) for i in range(points)})
        )
        return [min(d.high, d.low + k * d.step) for k in ks]
    if d.low == d.high:
        return [d.low]
    if d.log:
        ratio = math.log(d.high / d.low)
        inner = [d.low * math.exp(ratio * i / (points - 1)) for i in range(1, points - 1)]
    else:
        inner = [d.low + (d.high - d.low) * i / (points - 1) for i in range(1, points - 1)]
    return [d.low, *inner, d.high]


def grid_for(branches: Branches) -> list[dict[str, list[Any]]]:
    return [{name: _grid_values(d) for name, d in branch.items()} for branch in branches]


@dataclasses.dataclass(frozen=True)
class SamplerCase:
    name: str
    make: Callable[[int, Branches], BaseSampler]
    #: draws at random: statistical checks apply, and a different seed gives different values
    stochastic: bool = True
    #: proposes a finite set of points and then stops the study by itself
    finite: bool = False
    #: trial n's params do not depend on which trials finished before it (not model-based)
    history_independent: bool = True
    #: draws uniformly at random (the distribution checks apply)
    uniform: bool = True

    def __repr__(self) -> str:
        return self.name


SAMPLERS: list[SamplerCase] = [
    SamplerCase("random", lambda seed, branches: RandomSampler(seed=seed)),
    SamplerCase(
        "grid",
        lambda seed, branches: GridSampler(grid_for(branches), seed=seed),
        stochastic=False,
        finite=True,
    ),
    SamplerCase("qmc", lambda seed, branches: QMCSampler(seed=seed), history_independent=False),
    SamplerCase(
        "gp",
        lambda seed, branches: GPSampler(seed=seed, n_startup_trials=5),
        history_independent=False,
        uniform=False,
    ),
    SamplerCase(
        "auto",
        lambda seed, branches: AutoSampler(seed=seed, gp_max_trials=40),
        history_independent=False,
        uniform=False,
    ),
    SamplerCase(
        "tpe",
        lambda seed, branches: TPESampler(seed=seed, n_startup_trials=5),
        history_independent=False,
        uniform=False,
    ),
    SamplerCase(
        "tpe-univariate",
        lambda seed, branches: TPESampler(seed=seed, n_startup_trials=5, multivariate=False),
        history_independent=False,
        uniform=False,
    ),
]
CASES = {case.name: case for case in SAMPLERS}
N_TRIALS = 150  # per study, for samplers that do not stop by themselves
STOCHASTIC = [case for case in SAMPLERS if case.stochastic]
UNIFORM = [case for case in SAMPLERS if case.stochastic and case.uniform]
HISTORY_INDEPENDENT = [case for case in SAMPLERS if case.history_independent]


@pytest.fixture(params=SAMPLERS, ids=lambda case: case.name)
def case(request) -> SamplerCase:
    return request.param


# --- helpers ---------------------------------------------------------------------------------
def suggest(trial: tftune.Trial, name: str, d: BaseDistribution) -> Any:
    """Ask for ``d`` through the public define-by-run API."""
    if isinstance(d, FloatDistribution):
        return trial.suggest_float(name, d.low, d.high, log=d.log, step=d.step)
    if isinstance(d, IntDistribution):
        return trial.suggest_int(name, d.low, d.high, log=d.log, step=d.step)
    return trial.suggest_categorical(name, d.choices)


def flat_objective(
    space: dict[str, BaseDistribution], jitter: bool = False
) -> Callable[[tftune.Trial], float]:
    def objective(trial: tftune.Trial) -> float:
        for name, d in space.items():
            if (
                jitter
            ):  # let worker threads interleave differently on every run, between suggestions
                time.sleep(random.random() * 0.001)
            suggest(trial, name, d)
        return 0.0

    return objective


@contextlib.contextmanager
def open_storage(url: str | None) -> Iterator[Any]:
    if url is None:
        yield InMemoryStorage()
        return
    storage = RDBStorage(url)
    try:
        yield storage
    finally:
        storage.close()


def run(
    case: SamplerCase,
    branches: Branches,
    objective,
    *,
    seed: int = 7,
    storage=None,
    n_trials: int = N_TRIALS,
    n_jobs: int = 1,
) -> tftune.Study:
    study = tftune.create_study(storage=storage, sampler=case.make(seed, branches))
    study.optimize(objective, n_trials=None if case.finite else n_trials, n_jobs=n_jobs)
    return study


def complete(study: tftune.Study) -> list[tftune.FrozenTrial]:
    trials = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(trials) == len(study.trials), [t.state for t in study.trials]  # nothing failed
    return trials


def key(params: dict[str, Any]) -> tuple:
    """A hashable form of a parameter set that keeps True, 1 and 1.0 apart."""
    return tuple(sorted((name, type(value).__name__, value) for name, value in params.items()))


def numbered(study: tftune.Study) -> set[tuple[int, tuple]]:
    return {(t.number, key(t.params)) for t in complete(study)}


def values_of(study: tftune.Study, name: str) -> list[Any]:
    return [t.params[name] for t in complete(study) if name in t.params]


def expected_count(case: SamplerCase, branches: Branches) -> int:
    if case.finite:
        return sum(math.prod(len(v) for v in sub.values()) for sub in grid_for(branches))
    return N_TRIALS


MIXED = {
    "x": FloatDistribution(-2.0, 3.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(-3, 3),
    "stride": IntDistribution(1, 10, step=3),
    "act": CategoricalDistribution(["relu", "tanh", None]),
}
SMALL = {  # few grid cells, for runs on a database
    "x": FloatDistribution(-1.0, 1.0),
    "units": IntDistribution(1, 100, log=True),
    "act": CategoricalDistribution([True, 1, 1.0]),
}


def check_inside(trials: list[tftune.FrozenTrial], space: dict[str, BaseDistribution]) -> None:
    for trial in trials:
        assert set(trial.params) == set(space)
        for name, d in space.items():
            value = trial.params[name]
            assert trial.distributions[name] == d
            assert d.contains(d.to_internal_repr(value)), (name, value, d)
            if isinstance(d, FloatDistribution):
                assert type(value) is float and d.low <= value <= d.high
            elif isinstance(d, IntDistribution):
                assert type(value) is int and d.low <= value <= d.high
                assert (value - d.low) % d.step == 0
            else:
                assert any(type(value) is type(c) and value == c for c in d.choices), (name, value)


# --- reproducibility -------------------------------------------------------------------------
def test_same_seed_gives_the_same_params(case):
    objective = flat_objective(MIXED)
    first = run(case, [MIXED], objective, seed=11)
    second = run(case, [MIXED], objective, seed=11)
    assert len(first.trials) == expected_count(case, [MIXED])
    assert [key(t.params) for t in first.trials] == [key(t.params) for t in second.trials]


def test_another_seed_gives_other_params(case):
    objective = flat_objective(MIXED)
    first = run(case, [MIXED], objective, seed=1)
    second = run(case, [MIXED], objective, seed=2)
    assert [key(t.params) for t in first.trials] != [key(t.params) for t in second.trials]
    if case.finite:  # the same points, in another order
        assert {key(t.params) for t in first.trials} == {key(t.params) for t in second.trials}


@pytest.mark.parametrize("case", HISTORY_INDEPENDENT, ids=lambda c: c.name)
def test_same_seed_is_reproducible_with_threads(case):
    """With n_jobs=2, trial number n gets the same params whatever the thread interleaving."""
    objective = flat_objective(MIXED, jitter=True)
    sequential = numbered(run(case, [MIXED], objective, seed=5, n_trials=60))
    threaded_a = numbered(run(case, [MIXED], objective, seed=5, n_trials=60, n_jobs=2))
    threaded_b = numbered(run(case, [MIXED], objective, seed=5, n_trials=60, n_jobs=2))
    assert len(sequential) == (60 if not case.finite else expected_count(case, [MIXED]))
    assert threaded_a == sequential
    assert threaded_b == sequential


def test_threads_use_both_workers_and_finish(case):
    seen_threads: set[str] = set()
    lock = threading.Lock()

    def objective(trial):
        with lock:
            seen_threads.add(threading.current_thread().name)
        time.sleep(0.002)
        return flat_objective(SMALL)(trial)

    study = run(case, [SMALL], objective, n_trials=30, n_jobs=2)
    assert len(complete(study)) == (30 if not case.finite else expected_count(case, [SMALL]))
    assert len(seen_threads) == 2


# --- bounds, steps, log scales, types --------------------------------------------------------
def test_bounds_and_types_are_respected(case):
    study = run(case, [MIXED], flat_objective(MIXED))
    trials = complete(study)
    assert len(trials) == expected_count(case, [MIXED])
    check_inside(trials, MIXED)
    if case.stochastic:  # the range is explored, not a corner of it
        xs = values_of(study, "x")
        assert min(xs) < -1.5 and max(xs) > 2.5
    if (
        case.stochastic and case.uniform
    ):  # every value is reached (a model may settle on some of a flat objective's)
        assert set(values_of(study, "n")) == set(range(-3, 4))
        assert set(values_of(study, "act")) == {"relu", "tanh", None}


STEPPED = {
    "q": FloatDistribution(-1.0, 1.0, step=0.5),
    "odd": FloatDistribution(0.1, 0.3, step=0.2),  # 0.3 - 0.1 < 0.2 in binary: still two points
    "tenth": FloatDistribution(0.0, 0.3, step=0.1),
    "s": IntDistribution(1, 10, step=3),
}


def test_steps_are_respected_and_every_step_is_reached(case):
    study = run(case, [STEPPED], flat_objective(STEPPED), n_trials=100)
    check_inside(complete(study), STEPPED)
    for name, d in STEPPED.items():
        values = values_of(study, name)
        for value in values:
            k = (value - d.low) / d.step
            assert abs(k - round(k)) < 1e-9, (name, value)
        expected = {
            round(d.low + k * d.step, 9) for k in range(int(round((d.high - d.low) / d.step)) + 1)
        }
        assert {round(v, 9) for v in values} == expected, name


LOGS = {"lr": FloatDistribution(1e-4, 1.0, log=True), "units": IntDistribution(1, 1000, log=True)}


def _log_position(value: float, d: BaseDistribution) -> float:
    return (math.log(value) - math.log(d.low)) / (math.log(d.high) - math.log(d.low))


def test_log_scale_is_respected(case):
    study = run(case, [LOGS], flat_objective(LOGS), n_trials=400)
    check_inside(complete(study), LOGS)
    for name, d in LOGS.items():
        positions = [_log_position(v, d) for v in values_of(study, name)]
        assert all(0.0 <= u <= 1.0 for u in positions)
        if case.stochastic and case.uniform:
            # uniform in log space puts the mean position near the middle (uniform in linear
            # space would put it above 0.9 for both of these ranges)
            assert statistics.fmean(positions) == pytest.approx(0.5, abs=0.08), name


@pytest.mark.parametrize("case", UNIFORM, ids=lambda c: c.name)
def test_log_float_samples_are_uniform_in_log_space(case):
    d = LOGS["lr"]
    study = run(case, [{"lr": d}], flat_objective({"lr": d}), seed=2024, n_trials=400)
    positions = [_log_position(v, d) for v in values_of(study, "lr")]
    assert len(positions) == 400
    # loose: every quarter of the log range gets 25% +- 8%, and a KS test does not reject
    for quarter in range(4):
        share = sum(quarter / 4 <= u < (quarter + 1) / 4 for u in positions) / len(positions)
        assert share == pytest.approx(0.25, abs=0.08), quarter
    assert scipy.stats.kstest(positions, "uniform").pvalue > 1e-3
    # ... while a linear-uniform sampler would put ~99% of them above 1e-2
    below = sum(v < 1e-2 for v in values_of(study, "lr")) / len(positions)
    assert below == pytest.approx(0.5, abs=0.1)


def test_int_and_categorical_values_keep_their_types(case):
    space = {
        "n": IntDistribution(-3, 3),
        "c": CategoricalDistribution([True, 1, 1.0, None, "1"]),
    }
    study = run(case, [space], flat_objective(space))
    trials = complete(study)
    check_inside(trials, space)
    assert {type(v) for v in values_of(study, "n")} == {int}
    if case.stochastic or case.finite:  # every choice, each with its own type
        assert {(type(v).__name__, v) for v in values_of(study, "c")} == {
            ("bool", True),
            ("int", 1),
            ("float", 1.0),
            ("NoneType", None),
            ("str", "1"),
        }
        assert set(values_of(study, "n")) == set(range(-3, 4))


# --- define-by-run: conditional parameters ---------------------------------------------------
CONDITIONAL = [
    {
        "kind": CategoricalDistribution(["a"]),
        "x": FloatDistribution(0.0, 1.0),
        "depth": IntDistribution(1, 3),
    },
    {"kind": CategoricalDistribution(["b"]), "opt": CategoricalDistribution(["sgd", "adam"])},
]


def conditional_objective(trial: tftune.Trial) -> float:
    kind = trial.suggest_categorical("kind", ["a", "b"])
    if kind == "a":
        x = trial.suggest_float("x", 0.0, 1.0)
        depth = trial.suggest_int("depth", 1, 3)
        return x * depth
    opt = trial.suggest_categorical("opt", ["sgd", "adam"])
    return 0.0 if opt == "sgd" else 1.0


def test_conditional_params_appear_only_in_their_branch(case):
    study = run(case, CONDITIONAL, conditional_objective)
    trials = complete(study)
    assert len(trials) == expected_count(case, CONDITIONAL)
    by_kind = {"a": [], "b": []}
    for trial in trials:
        by_kind[trial.params["kind"]].append(trial)
    assert by_kind["a"] and by_kind["b"]
    for trial in by_kind["a"]:
        assert set(trial.params) == {"kind", "x", "depth"} == set(trial.distributions)
        assert 0.0 <= trial.params["x"] <= 1.0 and trial.params["depth"] in (1, 2, 3)
    for trial in by_kind["b"]:
        assert set(trial.params) == {"kind", "opt"} == set(trial.distributions)
        assert trial.params["opt"] in ("sgd", "adam")
    if case.stochastic and case.uniform:
        assert 0.3 < len(by_kind["a"]) / len(trials) < 0.7


def test_conditional_params_are_reproducible(case):
    first = run(case, CONDITIONAL, conditional_objective, seed=99)
    second = run(case, CONDITIONAL, conditional_objective, seed=99)
    assert [key(t.params) for t in first.trials] == [key(t.params) for t in second.trials]


# --- parallel proposals: several workers, one storage ----------------------------------------
def _thread_worker(
    case: SamplerCase,
    storage: Any,
    name: str,
    branches: Branches,
    n_trials: int,
    barrier: threading.Barrier,
    errors: list,
) -> None:
    try:
        # memory storage is shared as an object; a database is opened by each worker from its URL
        with (
            contextlib.nullcontext(storage)
            if not isinstance(storage, str)
            else open_storage(storage) as opened
        ):
            study = tftune.load_study(name, storage=opened, sampler=case.make(13, branches))
            barrier.wait(timeout=30)
            study.optimize(
                flat_objective(branches[0], jitter=True),
                n_trials=None if case.finite else n_trials,
            )
    except BaseException as error:  # noqa: BLE001 - reported by the test
        errors.append(error)


def test_workers_sharing_a_seed_propose_no_duplicates(case, storage_url):
    """Two worker threads, each with its own sampler built with the same seed, on one storage."""
    n_per_worker = 12
    with open_storage(storage_url) as storage:
        name = f"parallel-{uuid.uuid4().hex[:8]}"
        tftune.create_study(name, storage=storage)
        worker_storage = storage if storage_url is None else storage_url
        barrier, errors = threading.Barrier(2), []
        threads = [
            threading.Thread(
                target=_thread_worker,
                args=(case, worker_storage, name, [SMALL], n_per_worker, barrier, errors),
            )
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not errors, errors
        study = tftune.load_study(name, storage=storage)
        trials = complete(study)
    keys = [key(t.params) for t in trials]
    assert len(keys) == (2 * n_per_worker if not case.finite else expected_count(case, [SMALL]))
    assert len(set(keys)) == len(keys), "two workers proposed the same parameters"
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    check_inside(trials, SMALL)


def test_storage_round_trip_keeps_params_and_reproducibility(case, storage_url):
    """The same seed gives the same params on every storage, read back with their types."""
    reference = numbered(run(case, [SMALL], flat_objective(SMALL), seed=21, n_trials=15))
    with open_storage(storage_url) as storage:
        study = run(case, [SMALL], flat_objective(SMALL), seed=21, storage=storage, n_trials=15)
        trials = complete(study)
        check_inside(trials, SMALL)
        assert numbered(study) == reference


def _process_worker(case_name: str, url: str, name: str, n_trials: int) -> None:
    """Runs in a spawned process: load the study and optimize with the shared seeded
    configuration."""
    case = CASES[case_name]
    with open_storage(url) as storage:
        study = tftune.load_study(name, storage=storage, sampler=case.make(13, [SMALL]))
        study.optimize(flat_objective(SMALL), n_trials=None if case.finite else n_trials)


@pytest.mark.slow
@pytest.mark.parametrize("case", STOCHASTIC, ids=lambda c: c.name)
def test_processes_sharing_a_seed_propose_no_duplicates(case, sqlite_url):
    """Two spawned processes with the same seeded sampler: distinct trials, as one process
    would."""
    n_per_worker = 8
    name = "processes"
    storage = RDBStorage(sqlite_url)
    try:
        tftune.create_study(name, storage=storage)
        context = multiprocessing.get_context("spawn")
        workers = [
            context.Process(
                target=_process_worker, args=(case.name, sqlite_url, name, n_per_worker)
            )
            for _ in range(2)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0, 0]
        together = numbered(tftune.load_study(name, storage=storage))
    finally:
        storage.close()
    assert len(together) == 2 * n_per_worker
    assert len({params for _, params in together}) == 2 * n_per_worker
    if not case.history_independent:
        return
    # trial number n has the params that a single process gives trial n
    alone = numbered(run(case, [SMALL], flat_objective(SMALL), seed=13, n_trials=2 * n_per_worker))
    assert together == alone
