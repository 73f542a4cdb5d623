"""Generations of a genetic sampler, kept per study at O(population) per trial.

Each new trial is stamped with a generation (a trial system attribute, as Optuna does, so
workers and resumed studies agree): the latest generation while it has fewer than
``population_size`` complete trials, else the next one. The parents of generation ``g`` are
the elite of generation ``g - 1``'s complete trials together with ``g - 1``'s parents; they are
chosen once, kept in memory, and their trial ids saved as a study system attribute so that
every worker breeds from the same parents. Finished trials are read once each, through the
storage's ``get_finished_trials``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tftune.pruners._per_study import PerStudy
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

#: ``select(candidates, generation) -> parents``: a sampler's elite selection.
Selection = Callable[[list[FrozenTrial], int], list[FrozenTrial]]


class _Index:
    """One study's complete trials by generation, and the parents chosen so far."""

    def __init__(self) -> None:
        self.members: dict[int, list[FrozenTrial]] = {}
        self.by_id: dict[int, FrozenTrial] = {}
        self.latest = 0
        self.latest_count = 0
        self.parents: dict[int, list[FrozenTrial]] = {0: []}


class Generations:
    """Generation stamps and parent populations of one sampler class's trials.

    Args:
        key_prefix: the sampler's name; trials carry ``"<prefix>:generation"`` and studies
            ``"<prefix>:parent:<g>"`` (Optuna's keys).
        population_size: complete trials per generation.
    """

    def __init__(self, key_prefix: str, population_size: int) -> None:
        self.generation_key = f"{key_prefix}:generation"
        self.parent_key_prefix = f"{key_prefix}:parent:"
        self.population_size = population_size
        self._per_study: PerStudy[_Index] = PerStudy(_Index, self._add)

    def _add(self, index: _Index, trial: FrozenTrial) -> None:
        generation = trial.system_attrs.get(self.generation_key)
        if trial.state != TrialState.COMPLETE or not isinstance(generation, int):
            return
        index.members.setdefault(generation, []).append(trial)
        index.by_id[trial.trial_id] = trial
        if generation > index.latest:
            index.latest, index.latest_count = generation, 1
        elif generation == index.latest:
            index.latest_count += 1

    def stamp(self, study: Study, trial: FrozenTrial) -> int:
        """``trial``'s generation, stamped on it (in the storage too) if it has none yet."""
        generation = trial.system_attrs.get(self.generation_key)
        if isinstance(generation, int):
            return generation
        with self._per_study.updated(study) as index:
            generation = index.latest + (index.latest_count >= self.population_size)
        study.storage.set_trial_attr(trial.trial_id, self.generation_key, generation, system=True)
        trial.system_attrs[self.generation_key] = generation
        return generation

    def parents(self, study: Study, generation: int, select: Selection) -> list[FrozenTrial]:
        """The parent population of ``generation`` (empty for generation 0)."""
        with self._per_study.updated(study) as index:
            if generation in index.parents:
                return index.parents[generation]
            saved = study.storage.get_study_attrs(study.study_id, system=True)
            first = generation
            while first - 1 not in index.parents:
                first -= 1
            for g in range(first, generation + 1):
                ids = saved.get(self.parent_key_prefix + str(g))
                if isinstance(ids, list) and all(i in index.by_id for i in ids):
                    index.parents[g] = [index.by_id[i] for i in ids]
                    continue
                candidates = index.members.get(g - 1, []) + index.parents[g - 1]
                chosen = select(candidates, g)
                index.parents[g] = chosen
                study.storage.set_study_attr(
                    study.study_id,
                    self.parent_key_prefix + str(g),
                    [t.trial_id for t in chosen],
                    system=True,
                )
            return index.parents[generation]

    def population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The complete trials stamped with ``generation``, in the order they finished."""
        with self._per_study.updated(study) as index:
            return list(index.members.get(generation, []))
