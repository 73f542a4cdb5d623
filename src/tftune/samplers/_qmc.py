"""Quasi-Monte Carlo sampling: a scrambled Sobol sequence fills the space evenly."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import qmc

from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.samplers._base import BaseSampler
from tftune.samplers._random import RandomSampler
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


def from_unit(distribution: BaseDistribution, u: float) -> Any:
    """The value at position ``u`` in [0, 1) of ``distribution`` (log ranges in log space)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[
            min(int(u * len(distribution.choices)), len(distribution.choices) - 1)
        ]
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    step = (
        distribution.step
        if isinstance(distribution, IntDistribution) or distribution.step
        else None
    )
    if step is not None and not distribution.log:  # equal-width bins around the grid points
        n = int(round((distribution.high - distribution.low) / step)) + 1
        value = distribution.low + min(int(u * n), n - 1) * step
    elif distribution.log:
        low = distribution.low - (0.5 if isinstance(distribution, IntDistribution) else 0.0)
        high = distribution.high + (0.5 if isinstance(distribution, IntDistribution) else 0.0)
        value = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    else:
        value = distribution.low + u * (distribution.high - distribution.low)
    value = min(max(value, distribution.low), distribution.high)
    return int(round(value)) if isinstance(distribution, IntDistribution) else float(value)


class QMCSampler(BaseSampler):
    """Trial *n* takes point *n* of a scrambled Sobol sequence over the search space.

    The space is the one the first complete trial used; parameters outside it (define-by-run
    branches) and the first trial itself are sampled at random. Give a ``seed`` when several
    workers share a study: they then walk one sequence together without repeating a point.
    """

    def __init__(self, *, seed: int | None = None, scramble: bool = True) -> None:
        self._seed = (
            seed if seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        )
        self._scramble = scramble
        self._random = RandomSampler(seed=seed)
        self._space: dict[str, BaseDistribution] | None = None
        self._lock = threading.Lock()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock:
            if self._space is None:
                for done in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                    self._space = {
                        k: d for k, d in sorted(done.distributions.items()) if not d.single()
                    }
                    break
            return dict(self._space or {})

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        names = sorted(search_space)
        engine = qmc.Sobol(d=len(names), scramble=self._scramble, seed=self._seed)
        if trial.number:
            engine.fast_forward(trial.number)
        point = engine.random(1)[0]
        return {
            name: from_unit(search_space[name], float(u))
            for name, u in zip(names, point, strict=True)
        }

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: Any, values: Any) -> None:
        self._random.after_trial(study, trial, state, values)
