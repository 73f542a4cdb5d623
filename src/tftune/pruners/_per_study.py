"""State a pruner keeps per study, fed each finished trial once.

Pruners compare a running trial with the finished ones. Rescanning every finished trial at
every report costs O(study) per report; instead each pruner keeps an index per study and
folds in only the trials that finished since its last look (``get_finished_trials`` of the
storage), so a decision costs about the same at 100 trials as at 100,000.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tftune.trial._frozen import FrozenTrial

if TYPE_CHECKING:
    from tftune.storages._base import BaseStorage
    from tftune.study._study import Study

Index = TypeVar("Index")


class PerStudy(Generic[Index]):
    """One ``Index`` per study (made by ``new``), kept up to date by ``add(index, trial)``.

    Use ``with per_study.updated(study) as index:``; the index is consistent, and no other
    thread changes it, inside the block.
    """

    def __init__(
        self, new: Callable[[], Index], add: Callable[[Index, FrozenTrial], None]
    ) -> None:
        self._new = new
        self._add = add
        self._lock = threading.RLock()
        self._by_storage: weakref.WeakKeyDictionary[
            BaseStorage, dict[int, tuple[list[int], Index]]
        ] = weakref.WeakKeyDictionary()

    def __getstate__(self) -> dict[str, object]:
        """A copy (another process's) starts empty: it rebuilds its indexes from the storage."""
        return {"new": self._new, "add": self._add}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["new"], state["add"])  # type: ignore[misc]

    @contextmanager
    def updated(self, study: Study) -> Iterator[Index]:
        storage, study_id = study.storage, study.study_id
        with self._lock:
            studies = self._by_storage.setdefault(storage, {})
            if study_id not in studies:
                studies[study_id] = ([0], self._new())
            read, index = studies[study_id]
            new = storage.get_finished_trials(study_id, start=read[0])
            for trial in new:
                self._add(index, trial)
            read[0] += len(new)
            yield index
