"""What TPE and GP learn from: past trials' values of a search space, in arrays that only grow.

Finished trials never change, so each is converted once. A table remembers how far down the
study's trial list every trial is finished; each proposal only looks at trials past that point
(new ones and those still running), however long the study is.

Pruned trials (BOHB-like): while fewer than ``rung_min_trials(d)`` trials are complete, the
trials are compared at a *rung*, the deepest step that at least that many finished trials have
reached (a complete trial has reached every step; a pruned one the steps it reported). The
samplers then learn from every trial that reached the rung instead of from the few complete
ones, each on one footing: its *predicted final value*, its curve up to the rung extrapolated to
the longest complete trial's last step (see ``tftune.pruners.extrapolate``). Comparing raw
values at an early rung would teach the samplers that configurations which learn fast are
good, though slow starters may end better.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from tftune.distributions import BaseDistribution
from tftune.pruners import extrapolate
from tftune.samplers._tpe._transform import is_numeric, to_model_value
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

COMPLETE, PRUNED = 0, 1
# What the samplers key their tables by: (id of the storage, study id, the space's sorted items).
SpaceKey = tuple[int, int, tuple[tuple[str, BaseDistribution], ...]]


def rung_min_trials(n_params: int) -> int:
    """How many trials a rung needs before the samplers compare trials there: ``max(d + 2, 10)``,
    enough points for a model of ``d`` parameters and at least TPE's default random start."""
    return max(n_params + 2, 10)


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
        self.reports: list[
            dict[int, float]
        ] = []  # each row's finite intermediate values, as losses
        self._pruned_steps: Counter[int] = Counter()  # step -> pruned trials that reported it
        self._deepest_step: int | None = None  # the deepest step a finished trial reported
        self._complete_step: int | None = None  # the deepest step a complete trial reported
        self._predicted: dict[tuple[int, int, int], float] = {}  # (row, rung, horizon) -> loss
        # The rows ranked by their final value once enough trials are complete (complete rows,
        # and pruned rows with a report: see :meth:`leaders`), their final losses (a pruned
        # row's predicted at _final_horizon), and those rows by (loss, row), up to
        # _by_loss_upto.
        self.ranked = np.empty(capacity, dtype=bool)
        self._final = np.empty(capacity)
        self._final_upto = 0
        self._final_horizon: int | None = None
        self._by_loss = np.empty(0, dtype=np.int64)
        self._by_loss_upto = 0
        # Whether some trial had parameters outside this space (define-by-run branches): then a
        # repeat of this space's values is not a repeated configuration.
        self.has_extra_params = False

    def __len__(self) -> int:
        return self._size

    def row(self, trial: FrozenTrial) -> tuple[list[float], list[int]] | None:
        """The trial's values on the table's axes, or None if it lacks one of the parameters."""
        params = trial.params
        try:
            numeric = [to_model_value(self.space[n], params[n]) for n in self.numeric_names]
            categorical = [
                int(to_model_value(self.space[n], params[n])) for n in self.categorical_names
            ]
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
            if trial.trial_id in self._seen:
                continue
            self._seen.add(trial.trial_id)
            if trial.state == TrialState.COMPLETE:
                self._add(trial, COMPLETE, (0.0, sign * trial.values[0]), sign)  # type: ignore[index]
            elif trial.state == TrialState.PRUNED:
                step = trial.last_step
                last = trial.intermediate_values[step] if step is not None else math.inf
                loss = sign * last if math.isfinite(last) else math.inf
                self._add(trial, PRUNED, (-(step if step is not None else -1), loss), sign)

    def _add(
        self, trial: FrozenTrial, kind: int, rank_key: tuple[float, float], sign: float
    ) -> None:
        row = self.row(trial)
        if row is None:
            return
        if len(trial.params) > len(self.space):
            self.has_extra_params = True
        if self._size == len(self.kind):
            self._grow()
        i = self._size
        self.numeric[i], self.categorical[i] = row
        self.kind[i], self.number[i], self.rank_key[i] = kind, trial.number, rank_key
        reports = {
            step: sign * v for step, v in trial.intermediate_values.items() if math.isfinite(v)
        }
        self.ranked[i] = kind == COMPLETE or bool(reports)
        self.reports.append(reports)
        if reports:
            last = max(reports)
            self._deepest_step = max(self._deepest_step or last, last)
            if kind == COMPLETE:
                self._complete_step = max(self._complete_step or last, last)
        if kind == PRUNED:
            self._pruned_steps.update(reports.keys())
        self._size += 1

    def _grow(self) -> None:
        names = ("numeric", "categorical", "kind", "number", "rank_key", "ranked", "_final")
        for name in names:
            array = getattr(self, name)
            grown = np.empty((2 * len(array), *array.shape[1:]), dtype=array.dtype)
            grown[: len(array)] = array
            setattr(self, name, grown)

    def n_complete(self) -> int:
        return int(np.count_nonzero(self.kind[: self._size] == COMPLETE))

    def rung(self, n_min: int) -> int | None:
        """The step trials are compared at: None (their final values) while ``n_min`` trials are
        complete or no step was reached by ``n_min`` finished trials, else the deepest step
        that ``n_min`` finished trials reached."""
        n_complete = self.n_complete()
        if n_complete >= n_min:
            return None
        reached = [
            step for step, count in self._pruned_steps.items() if count + n_complete >= n_min
        ]
        return max(reached) if reached else None

    def leaders(self, n_min: int) -> tuple[np.ndarray, np.ndarray]:
        """The rows compared on one footing and their losses, by final values: at the rung (see
        :meth:`rung`) every trial that reached it, by its final value as predicted from its
        reports up to the rung (see :meth:`predicted_final`; a complete trial that did not
        report the rung's step counts with its final value); with no rung (enough complete
        trials), the complete trials by their final values and the pruned ones with a report by
        the final value predicted from all their reports. (Ranking only the complete trials
        would size TPE's good group by them alone: after 60 trials of which ASHA let 10
        finish, one good point, where the pruned trials' predictions say how far the rest
        are behind.)"""
        size = self._size
        step = self.rung(n_min)
        if step is None:
            ranked = np.flatnonzero(self.ranked[:size])
            return ranked, self._final_losses()[ranked]
        rows = [i for i in range(size) if self.kind[i] == COMPLETE or step in self.reports[i]]
        losses = [
            self.predicted_final(i, step) if step in self.reports[i] else self.rank_key[i, 1]
            for i in rows
        ]
        return np.array(rows, dtype=np.int64), np.array(losses, dtype=float)

    def _horizon(self) -> int | None:
        return self._complete_step if self._complete_step is not None else self._deepest_step

    def _final_losses(self) -> np.ndarray:
        """Every row's final loss: a complete row's own, a pruned row's predicted from all its
        reports (computed once per row and horizon; inf without a report)."""
        horizon = self._horizon()
        if horizon != self._final_horizon:
            self._final_horizon, self._final_upto = horizon, 0
            self._by_loss, self._by_loss_upto = np.empty(0, dtype=np.int64), 0
        for i in range(self._final_upto, self._size):
            if self.kind[i] == COMPLETE or not self.reports[i]:
                self._final[i] = self.rank_key[i, 1]
            else:
                self._final[i] = self.predicted_final(i, max(self.reports[i]))
        self._final_upto = self._size
        return self._final

    def predicted_final(self, row: int, step: int) -> float:
        """Row ``row``'s loss at the last step a trial runs (the longest complete trial's, else
        the deepest step reported), predicted from its reports up to ``step``."""
        horizon = self._horizon()
        if horizon is None or horizon <= step:
            return self.reports[row][step]
        key = (row, step, horizon)
        loss = self._predicted.get(key)
        if loss is None:
            reports = {s: v for s, v in self.reports[row].items() if s <= step}
            loss = self._predicted[key] = extrapolate(reports, step, horizon, minimize=True)
        return loss

    def leaders_by_loss(self, n_min: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`leaders` ordered by (loss, row), as a stable sort of their losses orders them."""
        if self.rung(n_min) is None:
            rows = self._ranked_by_loss()
            return rows, self._final[rows]
        rows, losses = self.leaders(n_min)
        order = np.argsort(losses, kind="stable")
        return rows[order], losses[order]

    def _ranked_by_loss(self) -> np.ndarray:
        """The ranked rows ordered by (final loss, row): the order kept from the last call (while
        the horizon stays), with the rows added since merged in."""
        final = self._final_losses()
        start, size = self._by_loss_upto, self._size
        if start < size:
            new = start + np.flatnonzero(self.ranked[start:size])
            new = new[np.argsort(final[new], kind="stable")]
            at = np.searchsorted(final[self._by_loss], final[new], side="right")
            self._by_loss = np.insert(self._by_loss, at, new)
            self._by_loss_upto = size
        return self._by_loss

    def split(
        self, leaders: np.ndarray, losses: np.ndarray, n_good: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Row indices of the ``n_good`` best ``leaders`` (by ``losses``, equal ones in the given
        order; see :meth:`leaders_by_loss`), and of all the other rows from the best to the worst:
        the other leaders, then the rest (pruned trials, the deepest first, then by their last
        report). Leaders tied with the first one left out are
        left out too: a tie carries no sign of which is better (on a flat objective the good
        group is empty and TPE samples from its prior)."""
        order = np.argsort(losses, kind="stable")
        if n_good < len(order):
            n_good = int(np.searchsorted(losses[order], losses[order[n_good]], side="left"))
        is_leader = np.zeros(self._size, dtype=bool)
        is_leader[leaders] = True
        rest = np.flatnonzero(~is_leader)
        rest = rest[np.lexsort((self.rank_key[rest, 1], self.rank_key[rest, 0]))]
        return leaders[order[:n_good]], np.concatenate([leaders[order[n_good:]], rest])
