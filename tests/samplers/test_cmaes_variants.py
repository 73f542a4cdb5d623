"""CmaEsSampler's variants: separable CMA-ES, CMA-ES with margin, pruned trials in the
generations, their argument checks and experimental warnings."""

from __future__ import annotations

import warnings
from statistics import NormalDist

import numpy as np
import pytest

import tftune
from tftune.exceptions import ExperimentalWarning
from tftune.samplers import CmaEsSampler, RandomSampler
from tftune.samplers._cmaes import RAW_POINT_KEY, _Strategy
from tftune.trial import TrialState

pytestmark = pytest.mark.filterwarnings("ignore::tftune.exceptions.ExperimentalWarning")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


def ellipsoid(trial: tftune.Trial) -> float:
    xs = [trial.suggest_float(f"x{i}", -5, 5) for i in range(8)]
    return float(sum(10 ** (i / 3) * x**2 for i, x in enumerate(xs)))


def integers(trial: tftune.Trial) -> float:
    return float(sum((trial.suggest_int(f"n{i}", -20, 20) - 7) ** 2 for i in range(6)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_separable_cma_beats_random_search_on_an_ellipsoid(seed: int) -> None:
    best = {}
    for name, sampler in (
        ("sep", CmaEsSampler(seed=seed, use_separable_cma=True)),
        ("random", RandomSampler(seed=seed)),
    ):
        study = tftune.create_study(sampler=sampler)
        study.optimize(ellipsoid, n_trials=200)
        best[name] = study.best_value
    assert best["sep"] < best["random"] / 10


def test_separable_strategy_keeps_a_diagonal_covariance() -> None:
    rng = np.random.default_rng(0)
    strategy = _Strategy(np.full(3, 0.5), 0.2, 8, separable=True)
    for _ in range(5):
        points = np.array([strategy.sample(rng) for _ in range(8)])
        strategy.tell(points, points[:, 0] + 2 * points[:, 1])  # correlated signal
    off_diagonal = strategy.cov - np.diag(np.diag(strategy.cov))
    assert np.all(off_diagonal == 0.0)
    assert not np.allclose(np.diag(strategy.cov), 1.0)  # it did learn the scales


def test_separable_cma_on_one_parameter_warns_and_runs_plain_cma() -> None:
    study = tftune.create_study(sampler=CmaEsSampler(seed=0, use_separable_cma=True))
    with pytest.warns(UserWarning, match="separable CMA-ES means nothing for a single"):
        study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=3)
    assert len(study.trials) == 3


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_margin_keeps_trying_neighbouring_integers(seed: int) -> None:
    """Plain CMA-ES collapses onto one or two integer points; with margin it keeps a minimum
    chance of stepping to each neighbour."""
    distinct = {}
    for margin in (False, True):
        study = tftune.create_study(sampler=CmaEsSampler(seed=seed, with_margin=margin))
        study.optimize(integers, n_trials=400)
        assert study.best_value == 0.0
        last = study.trials[-100:]
        distinct[margin] = len({tuple(t.params.values()) for t in last})
    assert distinct[False] <= 2
    assert distinct[True] >= 10


def test_margin_stores_the_unrounded_point_and_learns_from_it() -> None:
    study = tftune.create_study(sampler=CmaEsSampler(seed=0, with_margin=True, popsize=4))
    study.optimize(integers, n_trials=12)
    sampled = [t for t in study.trials if RAW_POINT_KEY in t.system_attrs]
    assert len(sampled) == 11  # all but the first, independent, trial
    for trial in sampled:
        raw = trial.system_attrs[RAW_POINT_KEY]
        assert len(raw) == 6 and all(0.0 <= u <= 1.0 for u in raw)
        assert all(isinstance(v, int) and -20 <= v <= 20 for v in trial.params.values())


def test_margin_correction_restores_the_chance_of_a_neighbour() -> None:
    # One integer axis with 5 values: borders at 0.2, 0.4, 0.6, 0.8 on the unit axis.
    borders = [np.array([0.2, 0.4, 0.6, 0.8])]
    strategy = _Strategy(np.array([0.5]), 1e-4, 6, borders=borders)
    rng = np.random.default_rng(0)
    points = np.array([strategy.sample(rng) for _ in range(6)])
    strategy.tell(points, np.arange(6.0))
    spread = strategy.sigma * float(np.sqrt(strategy.cov[0, 0])) * float(strategy.scale[0])
    mean = float(strategy.mean[0])
    normal = NormalDist(mean, spread)
    chance_low, chance_high = normal.cdf(0.4), 1 - normal.cdf(0.6)
    assert min(chance_low, chance_high) >= strategy.margin / 2 * (1 - 1e-6)
    assert 0.4 < mean < 0.6  # still in the middle value's bin


def test_margin_moves_an_end_mean_towards_its_only_neighbour() -> None:
    borders = [np.array([0.5])]  # two values
    strategy = _Strategy(np.array([0.95]), 1e-4, 6, borders=borders)
    rng = np.random.default_rng(0)
    points = np.array([strategy.sample(rng) for _ in range(6)])
    strategy.tell(points, np.arange(6.0))
    spread = strategy.sigma * float(np.sqrt(strategy.cov[0, 0])) * float(strategy.scale[0])
    crossing = NormalDist(float(strategy.mean[0]), spread).cdf(0.5)
    assert crossing == pytest.approx(strategy.margin, rel=1e-6)


def test_pruned_trials_join_the_generations_with_their_last_value() -> None:
    def objective(trial: tftune.Trial) -> float:
        x = trial.suggest_float("x", -3, 3)
        y = trial.suggest_float("y", -3, 3)
        trial.report(x * x + y * y, step=0)
        if trial.number % 2:
            raise tftune.TrialPruned()
        return x * x + y * y

    with_pruned = CmaEsSampler(seed=0, popsize=4, consider_pruned_trials=True)
    study = tftune.create_study(sampler=with_pruned)
    study.optimize(objective, n_trials=9)
    counts = [t.state for t in study.trials]
    assert counts.count(TrialState.PRUNED) == 4
    # 8 usable trials after the startup one make two generations: trial 9 is drawn from the
    # strategy after both; without pruned trials only one generation would be complete.
    plain = CmaEsSampler(seed=0, popsize=4)
    other = tftune.create_study(sampler=plain)
    other.optimize(objective, n_trials=9)
    assert study.trials[-1].params != other.trials[-1].params


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"use_separable_cma": True, "with_margin": True}, "cannot be combined; choose one"),
        ({"lr_adapt": True}, r"lr_adapt=True\) is not implemented"),
        ({"with_margin": 1}, r"`with_margin` must be a bool, got 1"),
    ],
)
def test_bad_combinations_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        CmaEsSampler(**kwargs)  # type: ignore[arg-type]


def test_separable_cma_refuses_a_warm_start() -> None:
    source = tftune.create_study()
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    with pytest.raises(ValueError, match="`source_trials` cannot be combined with use_separable"):
        CmaEsSampler(use_separable_cma=True, source_trials=source.trials)


@pytest.mark.parametrize(
    "argument", ["use_separable_cma", "with_margin", "consider_pruned_trials"]
)
def test_experimental_arguments_warn(argument: str) -> None:
    with pytest.warns(ExperimentalWarning, match=rf"Argument ``{argument}`` is an experimental"):
        CmaEsSampler(**{argument: True})  # type: ignore[arg-type]


def test_plain_cma_gives_no_experimental_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        CmaEsSampler()
