"""NSGA-II (Deb et al. 2002): a genetic algorithm that keeps the best fronts of its trials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import BaseSampler
from tftune.samplers._intersection import IntersectionSearchSpace
from tftune._experimental import warn_experimental_argument
from tftune.samplers._nsgaii._crossovers import BaseCrossover, UniformCrossover
from tftune.samplers._nsgaii._mutations import BaseMutation
from tftune.samplers._nsgaii._generations import Generations
from tftune.samplers._random import RandomSampler
from tftune.samplers._tpe._transform import NumericAxis, as_numeric, is_numeric, to_model_value
from tftune.study._multi_objective import (
    constrained_dominates,
    crowding_distance,
    loss_values,
    nondomination_ranks,
)
from tftune.trial._constraints import (
    ConstraintsFunc,
    check_constraints_func,
    is_constrained,
    record_constraints,
    violation,
)
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

#: Draws of parents per child before a child outside the bounds is clipped into them.
MAX_CROSSOVER_TRIES = 100


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value!r}.")
    return value


def _check_probability(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
        raise ValueError(f"`{name}` must be a float in [0, 1], got {value!r}.")
    return float(value)


def legacy_random_state(rng: np.random.Generator) -> np.random.RandomState:
    """A ``RandomState`` seeded from ``rng``: the rng type Optuna's crossover and mutation
    operators take."""
    return np.random.RandomState(int(rng.integers(2**32)))


class Population:
    """A population's objectives as losses and its constraint violations (None: unconstrained),
    in the order of ``trials``."""

    def __init__(self, trials: list[FrozenTrial], study: Study) -> None:
        self.trials = trials
        self.loss = loss_values([t.values for t in trials], study.directions)  # type: ignore[misc]
        self.penalty = np.array([violation(t) for t in trials]) if is_constrained(trials) else None

    def ranks(self) -> np.ndarray:
        return nondomination_ranks(self.loss, self.penalty)

    def dominates(self, a: int, b: int) -> bool:
        penalty = self.penalty if self.penalty is not None else np.zeros(len(self.trials))
        return constrained_dominates(self.loss[a], penalty[a], self.loss[b], penalty[b])


class NSGAIISampler(BaseSampler):
    """Multi-objective search with NSGA-II, with Optuna's arguments and defaults.

    The first ``population_size`` trials are random; each later generation breeds from the
    elite of the previous one and its parents: the best non-dominated fronts, the last one
    thinned by crowding distance. With ``constraints_func``, feasible trials beat infeasible
    ones and smaller violations beat larger ones (Deb's constrained domination).

    Args:
        population_size: complete trials per generation (at least 2, and at least the
            crossover's number of parents).
        mutation: a mutation from ``tftune.samplers.nsgaii`` (``PolynomialMutation``) that
            changes a numeric parameter chosen for mutation; None: the parameter is drawn
            afresh at random (categorical ones always are).
        mutation_prob: probability that a parameter is mutated instead of inherited;
            None: ``1 / number of parameters``.
        crossover: a crossover from ``tftune.samplers.nsgaii``; None: ``UniformCrossover``.
        crossover_prob: probability that a child is a crossover of parents rather than a copy
            of one.
        swapping_prob: probability of taking each parameter from the other parent in the
            (default) uniform crossover and for categorical parameters.
        seed: makes the proposals reproducible.
        constraints_func: ``(FrozenTrial) -> Sequence[float]``, evaluated when a trial
            finishes; a value > 0 is a violation.
        elite_population_selection_strategy, child_generation_strategy, after_trial_strategy:
            Optuna's extension points: a callable used in place of tftune's step
            (``(study, population) -> elite``; ``(study, search_space, parents) -> params``;
            ``(study, trial, state, values) -> None``).
    """

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: ConstraintsFunc | None = None,
        elite_population_selection_strategy: Any = None,
        child_generation_strategy: Any = None,
        after_trial_strategy: Any = None,
    ) -> None:
        self.population_size = _check_int(population_size, "population_size", 2)
        if mutation is not None and not isinstance(mutation, BaseMutation):
            raise ValueError(
                "`mutation` must be None or a mutation of tftune.samplers.nsgaii "
                f"(PolynomialMutation, ...), got {mutation!r}."
            )
        self.mutation = mutation
        if mutation_prob is not None and (
            isinstance(mutation_prob, bool)
            or not isinstance(mutation_prob, (int, float))
            or not 0.0 <= mutation_prob <= 1.0
        ):
            raise ValueError(
                f"`mutation_prob` must be None or a float in [0, 1], got {mutation_prob!r}."
            )
        self.mutation_prob = None if mutation_prob is None else float(mutation_prob)
        self.crossover_prob = _check_probability(crossover_prob, "crossover_prob")
        self.swapping_prob = _check_probability(swapping_prob, "swapping_prob")
        if crossover is None:
            crossover = UniformCrossover(self.swapping_prob)
        if not isinstance(crossover, BaseCrossover):
            raise ValueError(
                "`crossover` must be None or a crossover of tftune.samplers.nsgaii "
                f"(UniformCrossover, SBXCrossover, ...), got {crossover!r}."
            )
        if crossover.n_parents > population_size:
            raise ValueError(
                f"`population_size` must be at least the crossover's number of parents: "
                f"{type(crossover).__name__} takes {crossover.n_parents}, "
                f"got population_size={population_size}."
            )
        for name, strategy in (
            ("elite_population_selection_strategy", elite_population_selection_strategy),
            ("child_generation_strategy", child_generation_strategy),
            ("after_trial_strategy", after_trial_strategy),
        ):
            if strategy is not None and not callable(strategy):
                raise TypeError(f"`{name}` must be None or a callable, got {strategy!r}.")
            if strategy is not None:
                warn_experimental_argument(name)
        self.crossover = crossover
        self.constraints_func = check_constraints_func(constraints_func)
        self._elite_strategy = elite_population_selection_strategy
        self._child_strategy = child_generation_strategy
        self._after_trial_strategy = after_trial_strategy
        self._seed = seed
        self._random = RandomSampler(seed=seed)
        self._generations = Generations(type(self).__name__, self.population_size)
        self._intersection = IntersectionSearchSpace()

    def reseed_rng(self) -> None:
        self._seed = None
        self._random.reseed_rng()

    def _rng(self, *salt: int) -> np.random.Generator:
        if self._seed is None:
            return np.random.default_rng()
        return np.random.default_rng([self._seed & 0xFFFFFFFFFFFFFFFF, *salt])

    # --- generations -----------------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._generations.stamp(study, trial)

    def select_elite(
        self, study: Study, candidates: list[FrozenTrial], generation: int
    ) -> list[FrozenTrial]:
        """The ``population_size`` best of ``candidates``: whole fronts, the last one cut."""
        if self._elite_strategy is not None:
            return list(self._elite_strategy(study, candidates))
        if len(candidates) <= self.population_size:
            return list(candidates)
        population = Population(candidates, study)
        ranks = population.ranks()
        chosen: list[int] = []
        for rank in np.unique(ranks):
            front = np.flatnonzero(ranks == rank)
            if len(chosen) + len(front) <= self.population_size:
                chosen.extend(front.tolist())
                continue
            room = self.population_size - len(chosen)
            rng = self._rng(0x5E1EC7, generation)
            chosen.extend(self.cut_last_front(population, chosen, front, room, rng))
            break
        return [candidates[i] for i in chosen]

    def cut_last_front(
        self,
        population: Population,
        chosen: list[int],
        front: np.ndarray,
        room: int,
        rng: np.random.Generator,
    ) -> list[int]:
        """The ``room`` rows of ``front`` kept: the least crowded (ties at random)."""
        shuffled = front[rng.permutation(len(front))]
        distance = crowding_distance(population.loss[shuffled])
        order = np.argsort(-distance, kind="stable")
        return shuffled[order[:room]].tolist()  # type: ignore[no-any-return]

    # --- proposals -------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._intersection.calculate(study)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        generation = self._generations.stamp(study, trial)
        parents = self._generations.parents(
            study, generation, lambda candidates, g: self.select_elite(study, candidates, g)
        )
        if not parents:
            return {}
        if self._child_strategy is not None:
            return dict(self._child_strategy(study, search_space, parents))
        return self.breed(study, search_space, parents, self._rng(1, trial.number))

    def breed(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        parents: list[FrozenTrial],
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        """A child of ``parents``: a crossover (or a copy of one parent), then mutation, which
        changes a parameter with ``mutation`` or leaves it out so that it is drawn at random."""
        population = Population(parents, study)
        if rng.random() < self.crossover_prob and len(parents) >= self.crossover.n_parents:
            child = self._crossover(study, search_space, population, rng)
        else:
            parent = parents[int(rng.integers(len(parents)))]
            child = {name: parent.params[name] for name in search_space}
        mutation_prob = (
            self.mutation_prob if self.mutation_prob is not None else 1.0 / max(1, len(child))
        )
        params: dict[str, Any] = {}
        for name, value in child.items():
            if rng.random() >= mutation_prob:
                params[name] = value
            elif self.mutation is not None and is_numeric(search_space[name]):
                params[name] = self._mutate(study, search_space[name], value, rng)
        return params

    def _mutate(
        self, study: Study, distribution: BaseDistribution, value: Any, rng: np.random.Generator
    ) -> Any:
        """``value`` changed by ``mutation`` on its model axis, clipped into the bounds."""
        assert self.mutation is not None
        axis = NumericAxis(as_numeric(distribution))
        bounds = np.array([axis.low, axis.high])
        legacy_rng = legacy_random_state(rng)
        moved = self.mutation.mutation(
            to_model_value(distribution, value), legacy_rng, study, bounds
        )
        return axis.from_model(float(np.clip(moved, axis.low, axis.high)))

    def _crossover(
        self,
        study: Study,
        search_space: dict[str, BaseDistribution],
        population: Population,
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        numeric = [n for n in search_space if is_numeric(search_space[n])]
        categorical = [n for n in search_space if not is_numeric(search_space[n])]
        axes = [NumericAxis(as_numeric(search_space[n])) for n in numeric]
        bounds = np.array([[a.low, a.high] for a in axes]).reshape(len(axes), 2)
        legacy_rng = legacy_random_state(rng)
        for attempt in range(MAX_CROSSOVER_TRIES):
            chosen = self._tournament(population, rng)
            parents = [population.trials[i] for i in chosen]
            values = np.array(
                [[to_model_value(search_space[n], p.params[n]) for n in numeric] for p in parents]
            ).reshape(len(parents), len(numeric))
            child_numeric = (
                self.crossover.crossover(values, legacy_rng, study, bounds)
                if numeric
                else np.empty(0)
            )
            inside = np.all((child_numeric >= bounds[:, 0]) & (child_numeric <= bounds[:, 1]))
            if inside or attempt == MAX_CROSSOVER_TRIES - 1:
                break
        child_numeric = np.clip(child_numeric, bounds[:, 0], bounds[:, 1])
        child: dict[str, Any] = {
            name: axis.from_model(float(x))
            for name, axis, x in zip(numeric, axes, child_numeric, strict=True)
        }
        first, last = parents[0], parents[-1]
        for name in categorical:
            distribution = search_space[name]
            assert isinstance(distribution, CategoricalDistribution)
            source = last if rng.random() < self.swapping_prob else first
            child[name] = source.params[name]
        return child

    def _tournament(self, population: Population, rng: np.random.Generator) -> list[int]:
        """The crossover's parents, each the winner of a binary tournament among the trials
        not chosen yet (the second entrant wins only if it dominates the first)."""
        left = list(range(len(population.trials)))
        chosen: list[int] = []
        for _ in range(self.crossover.n_parents):
            first = left[int(rng.integers(len(left)))]
            second = left[int(rng.integers(len(left)))]
            winner = second if population.dominates(second, first) else first
            chosen.append(winner)
            left.remove(winner)
        return chosen

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, distribution)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        if self._after_trial_strategy is not None:
            self._after_trial_strategy(study, trial, state, values)
        elif self.constraints_func is not None:
            record_constraints(self.constraints_func, study, trial, state)
        self._random.after_trial(study, trial, state, values)
