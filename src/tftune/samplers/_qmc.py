"""Quasi-Monte Carlo sampling: a scrambled Sobol sequence fills the space evenly."""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._experimental import experimental_class
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.samplers._base import BaseSampler
from tftune.samplers._optuna_args import checked_sampler, moot_argument
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


#: The trials whose space becomes the sampler's.
_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def _varying(space: dict[str, BaseDistribution]) -> dict[str, BaseDistribution]:
    return {k: d for k, d in sorted(space.items()) if not d.single()}


#: The sequences, as named in scipy.stats.qmc (loaded on first use: scipy.stats is slow to
#: import, and ``import tftune`` should not pay for it).
_ENGINES = ("sobol", "halton")


def _engine(qmc_type: str) -> Any:
    from scipy.stats import qmc

    return {"sobol": qmc.Sobol, "halton": qmc.Halton}[qmc_type]


@experimental_class("3.0.0")
class QMCSampler(BaseSampler):
    """Trial *n* takes point *n* of a scrambled Sobol (or, with ``qmc_type="halton"``, Halton)
    sequence over the search space.

    The space is the one the first finished (complete or pruned) trial used (until one has
    finished, the running trials' parameters so far); parameters outside it (define-by-run
    branches) and the first trial itself are sampled at random. Points are indexed by trial
    number, not by a counter of calls as in Optuna. Give a ``seed`` when several workers
    share a study: they then walk one sequence together without repeating a point.
    ``independent_sampler`` (default: random) samples the parameters outside the space.
    Optuna's ``warn_*`` arguments are accepted; tftune gives neither warning.
    """

    def __init__(
        self,
        *,
        qmc_type: str = "sobol",
        scramble: bool = True,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
        warn_asynchronous_seeding: bool = True,
        warn_independent_sampling: bool = True,
    ) -> None:
        if qmc_type not in _ENGINES:
            raise ValueError(f"`qmc_type` must be one of {sorted(_ENGINES)}, got {qmc_type!r}.")
        self._engine = _engine(qmc_type)
        self._seed = (
            seed if seed is not None else int(np.random.SeedSequence().generate_state(1)[0])
        )
        self._scramble = scramble
        self._random = checked_sampler("independent_sampler", independent_sampler) or (
            RandomSampler(seed=seed)
        )
        moot_argument(
            "QMCSampler",
            "warn_independent_sampling",
            warn_independent_sampling,
            True,
            "tftune does not warn when a parameter is sampled independently.",
        )
        moot_argument(
            "QMCSampler",
            "warn_asynchronous_seeding",
            warn_asynchronous_seeding,
            True,
            "tftune does not warn about seeds.",
        )
        self._space: dict[str, BaseDistribution] | None = None
        self._lock = threading.Lock()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """The space of the first finished (complete or pruned) trial; before one exists, the
        union of the running trials' spaces so far (as Optuna's: parallel workers do not all
        wait for the first trial to finish)."""
        with self._lock:
            if self._space is not None:
                return dict(self._space)
            finished = study.get_trials(deepcopy=False, states=_FINISHED)
            if finished:
                first = min(finished, key=lambda t: t.number)
                self._space = _varying(first.distributions)
                return dict(self._space)
        union: dict[str, BaseDistribution] = {}
        for running in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            union.update(running.distributions)
        return _varying(union)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        names = sorted(search_space)
        engine = self._engine(d=len(names), scramble=self._scramble, seed=self._seed)
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
