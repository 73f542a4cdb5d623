"""NSGA-III (Deb and Jain 2014): NSGA-II that keeps the last front spread over reference
points, which holds up better than crowding distance with three or more objectives."""

from __future__ import annotations

from typing import Any

import numpy as np

from tftune._experimental import experimental_class
from tftune.samplers._nsgaii._crossovers import BaseCrossover
from tftune.samplers._nsgaii._mutations import BaseMutation
from tftune.samplers._nsgaii._sampler import NSGAIISampler, Population
from tftune.samplers._nsgaiii._reference_points import (
    associate,
    das_dennis,
    niche_select,
    normalize,
)
from tftune.trial._constraints import ConstraintsFunc


@experimental_class("3.2.0")
class NSGAIIISampler(NSGAIISampler):
    """Multi-objective search with NSGA-III, with Optuna's arguments and defaults.

    As :class:`NSGAIISampler`, except that the last front that fits only in part is thinned by
    niching around reference points (objectives normalized by the ideal point and the extreme
    points' hyperplane) instead of by crowding distance.

    Args:
        reference_points: an array of shape (m, number of objectives); None: Das and Dennis's
            points on the unit simplex with ``dividing_parameter`` divisions per objective.
        dividing_parameter: divisions per objective of the default reference points.
        others: as :class:`NSGAIISampler`.
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
        reference_points: Any = None,
        dividing_parameter: int = 3,
        elite_population_selection_strategy: Any = None,
        child_generation_strategy: Any = None,
        after_trial_strategy: Any = None,
    ) -> None:
        super().__init__(
            population_size=population_size,
            mutation=mutation,
            mutation_prob=mutation_prob,
            crossover=crossover,
            crossover_prob=crossover_prob,
            swapping_prob=swapping_prob,
            seed=seed,
            constraints_func=constraints_func,
            elite_population_selection_strategy=elite_population_selection_strategy,
            child_generation_strategy=child_generation_strategy,
            after_trial_strategy=after_trial_strategy,
        )
        if (
            isinstance(dividing_parameter, bool)
            or not isinstance(dividing_parameter, int)
            or dividing_parameter < 1
        ):
            raise ValueError(
                f"`dividing_parameter` must be an int >= 1, got {dividing_parameter!r}."
            )
        self.dividing_parameter = dividing_parameter
        self.reference_points: np.ndarray | None = None
        if reference_points is not None:
            points = np.asarray(reference_points, dtype=float)
            if points.ndim != 2 or len(points) == 0 or not np.all(np.isfinite(points)):
                raise ValueError(
                    "`reference_points` must be None or a finite 2-D array (points x "
                    f"objectives), got shape {points.shape}."
                )
            self.reference_points = points

    def _references(self, n_objectives: int) -> np.ndarray:
        if self.reference_points is None:
            return das_dennis(n_objectives, self.dividing_parameter)
        if self.reference_points.shape[1] != n_objectives:
            raise ValueError(
                f"`reference_points` have {self.reference_points.shape[1]} coordinates, but "
                f"the study has {n_objectives} objectives."
            )
        return self.reference_points

    def cut_last_front(
        self,
        population: Population,
        chosen: list[int],
        front: np.ndarray,
        room: int,
        rng: np.random.Generator,
    ) -> list[int]:
        considered = np.concatenate([np.asarray(chosen, dtype=np.int64), front])
        references = self._references(population.loss.shape[1])
        nearest = np.zeros(len(population.trials), dtype=np.int64)
        distance = np.zeros(len(population.trials))
        nearest[considered], distance[considered] = associate(
            normalize(population.loss[considered]), references
        )
        return niche_select(
            nearest,
            distance,
            np.asarray(chosen, dtype=np.int64),
            front,
            room,
            len(references),
            rng,
        )
