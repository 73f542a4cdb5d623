"""What TPE learns from: past trials' values of a search space, kept in arrays that only grow.

Finished trials never change, so each is converted once. A table remembers how far down the
study's trial list every trial is finished; each proposal only looks at trials past that point
(new ones and those still running), however long the study is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tftune.distributions import BaseDistribution
from tftune.samplers._tpe._transform import is_numeric, to_model_value
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

COMPLETE, PRUNED = 0, 1


class ObservationTable:
    """The finished trials' values of one search space (numeric axes and category indices)."""

    def __init__(self, space: dict[str, BaseDistribution]) -> None:
        names = sorted(space)
        self.space = space
        self.numeric_names = [n for n in names if is_numeric(space[n])]
        self.categorical_names = [n for n in names if not is_numeric(space[n])]
        self._seen: set[int] = set()
        self._scan_from = 0
        self._size = 0
        capacity = 64
        self.numeric = np.empty((capacity, len(self.numeric_names)))
        self.categorical = np.empty((capacity, len(self.categorical_names)), dtype=np.int64)
        self.kind = np.empty(capacity, dtype=np.int8)
        self.number = np.empty(capacity, dtype=np.int64)
        self.rank_key = np.empty((capacity, 2))  # (complete: (0, loss); pruned: (-step, loss))

    def __len__(self) -> int:
        return self._size

    def row(self, trial: FrozenTrial) -> tuple[list[float], list[int]] | None:
        """The trial's values on the table's axes, or None if it lacks one of the parameters."""
        params = trial.params
        try:
            numeric = [to_model_value(self.space[n], params[n]) for n in self.numeric_names]
            categorical = [int(to_model_value(self.space[n], params[n])) for n in self.categorical_names]
        except (KeyError, TypeError, ValueError):  # missing, or a category this space lacks
            return None
        return numeric, categorical

    def update(self, trials: Sequence[FrozenTrial], sign: float) -> None:
        """Take in the finished trials not seen yet (``sign`` turns values into losses)."""
        advancing = True
        for index in range(self._scan_from, len(trials)):
            trial = trials[index]
            if not trial.state.is_finished():
                advancing = False
                continue
            if advancing:
                self._scan_from = index + 1
            if trial._trial_id in self._seen:
                continue
            self._seen.add(trial._trial_id)
            if trial.state == TrialState.COMPLETE:
                self._add(trial, COMPLETE, (0.0, sign * trial.values[0]))  # type: ignore[index]
            elif trial.state == TrialState.PRUNED:
                step = trial.last_step
                last = trial.intermediate_values[step] if step is not None else math.inf
                loss = sign * last if math.isfinite(last) else math.inf
                self._add(trial, PRUNED, (-(step if step is not None else -1), loss))

    def _add(self, trial: FrozenTrial, kind: int, rank_key: tuple[float, float]) -> None:
        row = self.row(trial)
        if row is None:
            return
        if self._size == len(self.kind):
            self._grow()
        i = self._size
        self.numeric[i], self.categorical[i] = row
        self.kind[i], self.number[i], self.rank_key[i] = kind, trial.number, rank_key
        self._size += 1

    def _grow(self) -> None:
        for name in ("numeric", "categorical", "kind", "number", "rank_key"):
            array = getattr(self, name)
            grown = np.empty((2 * len(array), *array.shape[1:]), dtype=array.dtype)
            grown[: len(array)] = array
            setattr(self, name, grown)

    def n_complete(self) -> int:
        return int(np.count_nonzero(self.kind[: self._size] == COMPLETE))

    def split(self, n_good: int) -> tuple[np.ndarray, np.ndarray]:
        """Row indices of the ``n_good`` best complete trials, and of all the others from the
        best to the worst (pruned trials ranked by their last report)."""
        size = self._size
        complete = np.flatnonzero(self.kind[:size] == COMPLETE)
        losses = self.rank_key[complete, 1]
        order = np.argsort(losses, kind="stable")
        good = complete[order[:n_good]]
        is_bad = np.ones(size, dtype=bool)
        is_bad[good] = False
        bad = np.flatnonzero(is_bad)
        return good, bad[np.argsort(self.rank_key[bad, 1], kind="stable")]
