"""NSGA-II: arguments, crossovers, generations kept per study, constrained elite selection,
and a search that beats random sampling."""

from __future__ import annotations

import numpy as np
import pytest

import tftune
from tftune.hypervolume import compute_hypervolume
from tftune.samplers import NSGAIISampler, RandomSampler
from tftune.samplers.nsgaii import (
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from tftune.trial._constraints import CONSTRAINTS_KEY
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

ALL_CROSSOVERS = [
    UniformCrossover(),
    BLXAlphaCrossover(),
    SBXCrossover(),
    VSBXCrossover(),
    SPXCrossover(),
    UNDXCrossover(),
]


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def zdt1(trial) -> tuple[float, float]:
    x = [trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(3)]
    g = 1.0 + 9.0 * sum(x[1:]) / 2.0
    return x[0], g * (1.0 - np.sqrt(x[0] / g))


def front_hypervolume(study, reference) -> float:
    return compute_hypervolume(np.array([t.values for t in study.best_trials]), reference)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"population_size": 1}, r"`population_size` must be an int >= 2, got 1"),
        ({"population_size": True}, r"`population_size` must be an int >= 2, got True"),
        ({"mutation_prob": 1.5}, r"`mutation_prob` must be None or a float in \[0, 1\], got 1.5"),
        ({"crossover_prob": -0.1}, r"`crossover_prob` must be a float in \[0, 1\], got -0.1"),
        ({"swapping_prob": 2}, r"`swapping_prob` must be a float in \[0, 1\], got 2"),
        ({"crossover": "sbx"}, r"`crossover` must be None or a crossover .* got 'sbx'"),
        (
            {"population_size": 2, "crossover": SPXCrossover()},
            r"SPXCrossover takes 3, got population_size=2",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_parameter_and_value(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        NSGAIISampler(**kwargs)


def test_bad_crossover_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=r"`alpha` must be a float > 0, got -1"):
        BLXAlphaCrossover(alpha=-1)
    with pytest.raises(ValueError, match=r"`eta` must be None or a float > 0, got 0"):
        SBXCrossover(eta=0)
    with pytest.raises(ValueError, match=r"`swapping_prob` must be a float in \[0, 1\]"):
        UniformCrossover(swapping_prob=1.1)


@pytest.mark.parametrize("crossover", ALL_CROSSOVERS, ids=lambda c: type(c).__name__)
def test_every_crossover_breeds_children_inside_the_search_space(crossover) -> None:
    sampler = NSGAIISampler(population_size=4, crossover=crossover, seed=1)
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)

    def objective(trial):
        x = trial.suggest_float("x", -2.0, 3.0)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        units = trial.suggest_int("units", 8, 64, step=8)
        act = trial.suggest_categorical("act", ["relu", "tanh"])
        return x**2 + lr, (x - 1) ** 2 + units / 64 + (act == "tanh")

    study.optimize(objective, n_trials=16)
    for trial in study.trials:
        assert -2.0 <= trial.params["x"] <= 3.0
        assert 1e-4 <= trial.params["lr"] <= 1e-1
        assert trial.params["units"] in range(8, 65, 8)
        assert trial.params["act"] in ("relu", "tanh")
    generations = [t.system_attrs["NSGAIISampler:generation"] for t in study.trials]
    assert generations == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4


def test_children_come_from_their_parents_without_mutation() -> None:
    sampler = NSGAIISampler(population_size=4, mutation_prob=0.0, crossover_prob=1.0, seed=0)
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_categorical("c", [1, 2, 3, 4, 5, 6, 7, 8, 9]), 0.0), 12)
    first_generation = {t.params["c"] for t in study.trials[:4]}
    assert {t.params["c"] for t in study.trials[4:]} <= first_generation


def test_parents_are_chosen_once_per_generation_and_saved_on_the_study() -> None:
    sampler = NSGAIISampler(population_size=5, seed=0)
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    storage = study.storage
    starts: list[int] = []
    read = storage.get_finished_trials

    def recording(study_id: int, *, start: int = 0):
        starts.append(start)
        return read(study_id, start=start)

    storage.get_finished_trials = recording  # type: ignore[method-assign]
    study.optimize(zdt1, n_trials=20)
    assert starts == sorted(starts) and starts[-1] >= 15  # each finished trial read once
    attrs = study.system_attrs
    parents = [attrs[f"NSGAIISampler:parent:{g}"] for g in (1, 2, 3)]
    assert all(len(p) == 5 for p in parents)
    ids = {t.trial_id: t for t in study.trials}
    assert all(ids[i].system_attrs["NSGAIISampler:generation"] < 3 for i in parents[2])


def _trial(number: int, values: list[float], constraints: list[float] | None) -> FrozenTrial:
    attrs = {} if constraints is None else {CONSTRAINTS_KEY: constraints}
    return FrozenTrial(
        number=number,
        state=TrialState.COMPLETE,
        values=values,
        system_attrs=attrs,
        trial_id=number,
    )


def test_elite_selection_keeps_feasible_trials_before_better_infeasible_ones() -> None:
    study = tftune.create_study(directions=["minimize", "minimize"])
    candidates = [
        _trial(0, [0.0, 0.0], [1.0]),  # best values, infeasible
        _trial(1, [5.0, 5.0], [0.0]),  # worst values, feasible
        _trial(2, [4.0, 6.0], [-1.0]),
        _trial(3, [1.0, 1.0], [0.5]),  # infeasible, smaller violation than trial 0
    ]
    sampler = NSGAIISampler(population_size=3, seed=0)
    chosen = sampler.select_elite(study, candidates, generation=1)
    assert sorted(t.number for t in chosen) == [1, 2, 3]


def test_elite_selection_cuts_the_last_front_by_crowding_distance() -> None:
    study = tftune.create_study(directions=["minimize", "minimize"])
    front = [[0.0, 4.0], [1.0, 3.0], [1.05, 2.95], [4.0, 0.0]]
    candidates = [_trial(i, v, None) for i, v in enumerate(front)]
    chosen = NSGAIISampler(population_size=3, seed=0).select_elite(study, candidates, 1)
    numbers = sorted(t.number for t in chosen)
    assert numbers[0] == 0 and numbers[-1] == 3 and len(numbers) == 3  # extremes kept


def test_nsga2_beats_random_sampling_on_zdt1() -> None:
    nsga = tftune.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=10, seed=0)
    )
    nsga.optimize(zdt1, n_trials=100)
    random = tftune.create_study(
        directions=["minimize", "minimize"], sampler=RandomSampler(seed=0)
    )
    random.optimize(zdt1, n_trials=100)
    reference = [1.1, 11.0]
    # measured 11.07 against 10.58 with these seeds
    assert front_hypervolume(nsga, reference) > front_hypervolume(random, reference) + 0.2


def test_constrained_nsga2_ends_with_a_feasible_front() -> None:
    sampler = NSGAIISampler(
        population_size=8, seed=0, constraints_func=lambda t: [0.3 - t.params["x0"]]
    )
    study = tftune.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(zdt1, n_trials=48)
    assert study.best_trials and all(t.params["x0"] >= 0.3 for t in study.best_trials)
    late = study.trials[32:]
    assert sum(t.params["x0"] >= 0.3 for t in late) > 0.7 * len(late)


def test_a_second_worker_breeds_from_the_saved_parents(sqlite_url) -> None:
    first = tftune.create_study(
        storage=sqlite_url,
        directions=["minimize", "minimize"],
        sampler=NSGAIISampler(population_size=4, seed=0),
    )
    first.optimize(zdt1, n_trials=10)
    saved = first.system_attrs["NSGAIISampler:parent:2"]
    worker = NSGAIISampler(population_size=4, seed=1)  # another process's sampler
    second = tftune.load_study(study_name=first.study_name, storage=sqlite_url, sampler=worker)
    second.optimize(zdt1, n_trials=6)
    assert second.system_attrs["NSGAIISampler:parent:2"] == saved
    generations = [t.system_attrs["NSGAIISampler:generation"] for t in second.trials]
    assert generations == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4


def test_parallel_threads_share_one_set_of_generations() -> None:
    study = tftune.create_study(
        directions=["minimize", "minimize"], sampler=NSGAIISampler(population_size=6, seed=0)
    )
    study.optimize(zdt1, n_trials=30, n_jobs=2)
    generations = [t.system_attrs["NSGAIISampler:generation"] for t in study.trials]
    assert max(generations) >= 3
    assert all(generations.count(g) >= 6 for g in range(max(generations)))
