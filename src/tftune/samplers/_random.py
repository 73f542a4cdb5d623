"""Uniform random search."""

from __future__ import annotations

import math
import random
import threading
from typing import TYPE_CHECKING, Any

from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.samplers._base import BaseSampler
from tftune.trial._frozen import FrozenTrial
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study


def sample_uniform(rng: random.Random, distribution: BaseDistribution) -> Any:
    """Draw one value (external representation) uniformly from ``distribution``.

    Log distributions are uniform in log space; stepped ones pick a grid point uniformly.
    """
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[rng.randrange(len(distribution.choices))]
    low, high = distribution.low, distribution.high  # type: ignore[attr-defined]
    if isinstance(distribution, FloatDistribution):
        if distribution.log:
            return float(min(high, max(low, math.exp(rng.uniform(math.log(low), math.log(high))))))
        if distribution.step is not None:
            n = int(round((high - low) / distribution.step))
            return float(min(high, low + rng.randrange(n + 1) * distribution.step))
        return float(rng.uniform(low, high)) if high > low else float(low)
    if isinstance(distribution, IntDistribution):
        if distribution.log:
            value = math.exp(rng.uniform(math.log(low - 0.5), math.log(high + 0.5)))
            return int(min(high, max(low, round(value))))
        n = (high - low) // distribution.step
        return int(low + rng.randrange(n + 1) * distribution.step)
    raise TypeError(f"RandomSampler cannot sample {distribution!r}.")


def trial_seed(seed: int, number: int) -> int:
    """A 64-bit seed that depends only on the sampler's seed and the trial number (splitmix64)."""
    z = (seed * 0x9E3779B97F4A7C15 + number + 1) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return z ^ (z >> 31)


class RandomSampler(BaseSampler):
    """Samples every parameter independently and uniformly.

    With a ``seed``, the values of trial number ``n`` depend only on ``(seed, n)`` and the order
    of its suggestions: runs are reproducible, also with several threads or processes, and
    workers that share a seed never propose the same trial twice.
    """

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be an int or None, got {seed!r}.")
        self._seed = seed
        self._shared_rng = random.Random(seed)
        self._lock = threading.Lock()
        self._trial_rngs: dict[int, random.Random] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_trial_rngs",))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)
        if self._seed is None:  # copies of an unseeded sampler must not repeat each other
            self._shared_rng = random.Random()

    def reseed_rng(self) -> None:
        with self._lock:
            self._shared_rng = random.Random()
            self._seed = None

    def _rng_for(self, trial: FrozenTrial) -> random.Random:
        if self._seed is None:
            return self._shared_rng
        rng = self._trial_rngs.get(trial.trial_id)
        if rng is None:
            rng = self._trial_rngs[trial.trial_id] = random.Random(
                trial_seed(self._seed, trial.number)
            )
        return rng

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        with self._lock:
            return sample_uniform(self._rng_for(trial), distribution)

    def after_trial(self, study: Study, trial: FrozenTrial, state: Any, values: Any) -> None:
        with self._lock:
            self._trial_rngs.pop(trial.trial_id, None)
