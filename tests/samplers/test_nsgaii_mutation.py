"""NSGA-II's mutations (``BaseMutation``, ``PolynomialMutation``) and Optuna's crossover
signature (a ``RandomState`` and the study), and the experimental warnings of both."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import tftune
from tftune.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from tftune.exceptions import ExperimentalWarning
from tftune.samplers import NSGAIIISampler, NSGAIISampler
from tftune.samplers.nsgaii import (
    BaseCrossover,
    BaseMutation,
    PolynomialMutation,
    SBXCrossover,
    UniformCrossover,
)
from tftune.trial import create_trial


pytestmark = pytest.mark.filterwarnings("ignore::tftune.exceptions.ExperimentalWarning")


@pytest.fixture(autouse=True)
def _quiet() -> None:
    tftune.logging.set_verbosity(tftune.logging.WARNING)


class _FixedDraw:
    """A random source whose ``rand()`` always returns ``u`` (what a RandomState offers)."""

    def __init__(self, u: float) -> None:
        self.u = u

    def rand(self) -> float:
        return self.u


@pytest.mark.parametrize(
    ("param", "u", "expected"),
    [
        (5.0, 0.0, 0.0),  # the largest move down reaches the low bound
        (5.0, 0.5, 5.0),  # the median draw leaves the value alone
        (5.0, 1.0, 10.0),
        (5.0, 0.25, 5.0 + (np.sqrt(0.625) - 1.0) * 10.0),
        (2.0, 0.75, 2.0 + (1.0 - np.sqrt(0.52)) * 10.0),
    ],
)
def test_polynomial_mutation_follows_debs_formula(param: float, u: float, expected: float) -> None:
    study = tftune.create_study()
    moved = PolynomialMutation(eta=1.0).mutation(param, _FixedDraw(u), study, np.array([0, 10]))
    assert moved == pytest.approx(expected)


def test_polynomial_mutation_stays_put_on_an_empty_range() -> None:
    study = tftune.create_study()
    assert PolynomialMutation().mutation(3.0, _FixedDraw(0.1), study, np.array([3, 3])) == 3.0


def test_larger_eta_makes_smaller_moves() -> None:
    study = tftune.create_study()
    rng = np.random.RandomState(0)
    bounds = np.array([0.0, 1.0])
    wide = [
        abs(PolynomialMutation(1.0).mutation(0.5, rng, study, bounds) - 0.5) for _ in range(300)
    ]
    narrow = [
        abs(PolynomialMutation(100.0).mutation(0.5, rng, study, bounds) - 0.5) for _ in range(300)
    ]
    assert np.mean(narrow) < np.mean(wide) / 5


@pytest.mark.parametrize("eta", [-1.0, "2", None])
def test_polynomial_mutation_rejects_bad_eta(eta: Any) -> None:
    with pytest.raises(ValueError, match=r"`eta` must be a non-negative float, got"):
        PolynomialMutation(eta=eta)


def test_sampler_rejects_what_is_not_a_mutation() -> None:
    with pytest.raises(ValueError, match=r"`mutation` must be None or a mutation .* got 3"):
        NSGAIISampler(mutation=3)  # type: ignore[arg-type]


def _parents(space: dict[str, Any], rows: list[dict[str, Any]]) -> list[Any]:
    return [
        create_trial(params=row, distributions=space, values=[float(i), float(-i)])
        for i, row in enumerate(rows)
    ]


SPACE = {
    "x": FloatDistribution(0.0, 10.0),
    "n": IntDistribution(1, 9),
    "c": CategoricalDistribution(["a", "b"]),
}


def test_mutation_changes_numeric_parameters_and_redraws_categorical_ones() -> None:
    study = tftune.create_study(directions=["minimize", "minimize"])
    parents = _parents(SPACE, [{"x": 5.0, "n": 5, "c": "a"}, {"x": 5.0, "n": 5, "c": "a"}])
    sampler = NSGAIISampler(mutation=PolynomialMutation(eta=0.5), mutation_prob=1.0, seed=0)
    moved_x = set()
    for k in range(20):
        child = sampler.breed(study, SPACE, parents, np.random.default_rng(k))
        assert set(child) == {"x", "n"}  # categorical: left out, so drawn at random
        assert 0.0 <= child["x"] <= 10.0 and 1 <= child["n"] <= 9
        assert isinstance(child["n"], int)
        moved_x.add(child["x"])
    assert len(moved_x) > 10  # each child moved x somewhere else


def test_without_a_mutation_mutated_parameters_are_left_out() -> None:
    study = tftune.create_study(directions=["minimize", "minimize"])
    parents = _parents(SPACE, [{"x": 5.0, "n": 5, "c": "a"}, {"x": 1.0, "n": 2, "c": "b"}])
    sampler = NSGAIISampler(mutation_prob=1.0, seed=0)
    assert sampler.breed(study, SPACE, parents, np.random.default_rng(0)) == {}


class _MidpointWithOptunaSignature(BaseCrossover):
    """A user crossover written for Optuna: ``rng.rand()`` and ``study.directions``."""

    calls: list[tuple[str, int]] = []

    @property
    def n_parents(self) -> int:
        return 2

    def crossover(
        self, parents_params: np.ndarray, rng: Any, study: Any, bounds: np.ndarray
    ) -> np.ndarray:
        rng.rand()  # RandomState's API
        self.calls.append((type(rng).__name__, len(study.directions)))
        return np.asarray(parents_params.mean(axis=0))


def test_a_crossover_gets_a_random_state_and_the_study() -> None:
    _MidpointWithOptunaSignature.calls.clear()
    sampler = NSGAIISampler(
        population_size=4, crossover=_MidpointWithOptunaSignature(), crossover_prob=1.0, seed=1
    )
    study = tftune.create_study(directions=["minimize", "maximize"], sampler=sampler)
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), 10)
    assert _MidpointWithOptunaSignature.calls
    assert set(_MidpointWithOptunaSignature.calls) == {("RandomState", 2)}


def test_builtin_crossovers_take_a_study_for_the_number_of_objectives() -> None:
    parents = np.array([[1.0, 2.0], [3.0, 4.0]])
    bounds = np.array([[0.0, 10.0], [0.0, 10.0]])
    one = tftune.create_study()
    child = SBXCrossover().crossover(parents, np.random.RandomState(0), one, bounds)
    assert child.shape == (2,) and np.all(np.isfinite(child))
    child = UniformCrossover(0.0).crossover(parents, np.random.RandomState(0), one, bounds)
    assert child.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("build", "name"),
    [
        (lambda: PolynomialMutation(), "PolynomialMutation"),
        (lambda: SBXCrossover(), "SBXCrossover"),
        (lambda: NSGAIIISampler(), "NSGAIIISampler"),
    ],
)
def test_experimental_classes_warn(build: Any, name: str) -> None:
    with pytest.warns(ExperimentalWarning, match=rf"{name} is experimental \(supported from v"):
        build()


def test_uniform_crossover_and_nsgaii_are_not_experimental() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ExperimentalWarning)
        UniformCrossover()
        NSGAIISampler()
        assert issubclass(PolynomialMutation, BaseMutation)


@pytest.mark.parametrize(
    "argument",
    ["elite_population_selection_strategy", "child_generation_strategy", "after_trial_strategy"],
)
def test_strategy_arguments_are_experimental(argument: str) -> None:
    with pytest.warns(ExperimentalWarning, match=rf"Argument ``{argument}`` is an experimental"):
        NSGAIISampler(**{argument: lambda *args: None})
