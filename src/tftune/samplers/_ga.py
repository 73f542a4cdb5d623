"""BaseGASampler: Optuna's base class for genetic samplers (OptunaHub's GA samplers extend it).

A subclass chooses each generation's parents in :meth:`BaseGASampler.select_parent`; the base
stamps trials with their generation and keeps each generation's parents, as trial and study
system attributes under Optuna's keys (``"<ClassName>:generation"``,
``"<ClassName>:parent:<g>"``), so workers and resumed studies agree. Reads cost O(population)
per trial: finished trials are indexed once each.
"""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from tftune.samplers._base import BaseSampler
from tftune.samplers._nsgaii._generations import Generations

if TYPE_CHECKING:
    from tftune.study._study import Study
    from tftune.trial._frozen import FrozenTrial


class BaseGASampler(BaseSampler, abc.ABC):
    """A genetic sampler's generations and parent populations.

    Args:
        population_size: complete trials per generation (may be set later, before sampling).
    """

    def __init__(self, population_size: int | None) -> None:
        self.population_size = population_size

    @property
    def population_size(self) -> int | None:
        return self._population_size

    @population_size.setter
    def population_size(self, value: int | None) -> None:
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(f"`population_size` must be a positive int or None, got {value!r}.")
        self._population_size = value
        self._generation_index: Generations | None = None

    def _generations(self) -> Generations:
        if self._population_size is None:
            raise ValueError(
                f"{type(self).__name__}.population_size must be set before trials are sampled."
            )
        if self._generation_index is None:
            self._generation_index = Generations(type(self).__name__, self._population_size)
        return self._generation_index

    @abc.abstractmethod
    def select_parent(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (called once per generation; the choice is kept)."""

    def get_trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        """``trial``'s generation, stamped on it if it has none: the latest generation while
        that has fewer than ``population_size`` complete trials, else the next."""
        return self._generations().stamp(study, trial)

    def get_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The complete trials of ``generation``."""
        return self._generations().population(study, generation)

    def get_parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (none for generation 0), chosen by ``select_parent``
        once and kept in the study, so every worker breeds from the same ones."""
        if generation == 0:
            return []
        return self._generations().parents(
            study, generation, lambda candidates, g: self.select_parent(study, g)
        )
