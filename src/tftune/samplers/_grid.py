"""Exhaustive search over a declared grid, each cell evaluated exactly once."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any


from tftune.distributions import BaseDistribution
from tftune.samplers._base import BaseSampler
from tftune.search_space import iter_grid, validate_grid
from tftune.storages._base import FIXED_PARAMS_KEY
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study

GRID_ID_KEY = "grid_id"


class GridSampler(BaseSampler):
    """Evaluates every combination of a grid, like scikit-learn's ``GridSearchCV``.

    The grid's cells are enqueued in the storage once per study, and workers claim them
    atomically: with any number of processes on one storage, every cell runs exactly once, and
    the study stops by itself when none is left.

    Args:
        search_space: ``{"name": [values, ...]}``, or a list of such dicts (their union); the
            values may be a 1-D NumPy array (``np.linspace(0, 1, 5)``), whose items become
            Python numbers.
        seed: shuffle the order of the cells with this seed (default: ``ParameterGrid``'s order).
    """

    def __init__(
        self,
        search_space: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]],
        seed: int | None = None,
    ) -> None:
        self._grid = validate_grid(search_space)
        self._cells = list(iter_grid(self._grid))
        if seed is not None:
            random.Random(seed).shuffle(self._cells)
        digest = hashlib.sha1(
            json.dumps([self._grid, seed], sort_keys=True, default=repr).encode()
        ).hexdigest()[:16]
        self._key = f"grid:{digest}"
        self._prepared: set[tuple[int, int]] = set()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_prepared",))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    @property
    def grid_size(self) -> int:
        return len(self._cells)

    @property
    def param_names(self) -> list[str]:
        return sorted({name for sub_grid in self._grid for name in sub_grid})

    def prepare(self, study: Study) -> None:
        token = (id(study.storage), study.study_id)
        if token in self._prepared:
            return
        templates = [
            FrozenTrial(
                number=-1,
                state=TrialState.WAITING,  # as study.enqueue_trial's: storages use only the attrs
                system_attrs={
                    FIXED_PARAMS_KEY: cell,
                    GRID_ID_KEY: index,
                    "grid_key": self._key,
                },
            )
            for index, cell in enumerate(self._cells)
        ]
        study.storage.enqueue_trials(study.study_id, templates, once_key=self._key)
        self._prepared.add(token)

    def is_exhausted(self, study: Study) -> bool:
        # Called only when no WAITING trial was left to claim: every cell has been handed out.
        return (id(study.storage), study.study_id) in self._prepared

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        raise ValueError(
            f"Parameter {param_name!r} is suggested by the objective but is not in the grid of "
            f"GridSampler (the grid declares {self.param_names}). Add it to the grid."
        )

    def is_grid_trial(self, trial: FrozenTrial) -> bool:
        return trial.system_attrs.get("grid_key") == self._key
