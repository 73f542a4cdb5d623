"""TPE's good/bad split for several objectives (MOTPE) and for constrained studies.

Several objectives (Optuna 4.x's MOTPE): the good group is filled front by front of a
non-dominated sort; the front that fits only in part is cut by greedy hypervolume subset
selection. Each good trial is weighted by its share of the good group's hypervolume, so the
good density follows the trials that widen the front.

Constraints (one objective or several): only feasible complete trials compete for the good
group; if too few are feasible, the least violating trials fill it (at full weight, as in
Optuna 5: while nothing is feasible the search is drawn towards smaller violations). The
trials' losses and violations come from a per-study index fed each finished trial once.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

import numpy as np

from tftune.hypervolume import compute_hypervolume
from tftune.pruners._per_study import PerStudy
from tftune.samplers._tpe._observations import COMPLETE, ObservationTable
from tftune.study._multi_objective import loss_values, nondomination_ranks
from tftune.trial._constraints import get_constraints
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


def min_bandwidth_factor(n_complete: int, n_dims: int) -> float:
    """Smallest kernel width as a share of the range with several objectives or constraints:
    ``1 / (1 + n / d)``, shrinking a quarter as fast as with one objective; the good group
    lies along a front, not around one point, and narrower kernels lost hypervolume on the
    benchmark's problems (benchmarks/results/multi_objective.md)."""
    return 1.0 / (1.0 + n_complete / max(n_dims, 1))


#: Weight of a good trial that adds (almost) nothing to the hypervolume: one off the front.
TINY_WEIGHT = 1e-12


class Outcomes:
    """One study's finished trials' objective values (NaN for trials without values) and
    total constraint violations, by trial number."""

    def __init__(self) -> None:
        self.values = np.full((64, 0), np.nan)
        self.penalty = np.zeros(64)
        self.constrained = False
        self.constraints: dict[int, list[float]] = {}  # by trial number

    def add(self, trial: FrozenTrial) -> None:
        values = trial.values if trial.state == TrialState.COMPLETE else None
        if values is not None and self.values.shape[1] != len(values):
            self.values = np.full((len(self.penalty), len(values)), np.nan)
        self.reserve(trial.number)
        if values is not None:
            self.values[trial.number] = values
        constraints = get_constraints(trial)
        if constraints:
            self.constrained = True
            self.constraints[trial.number] = list(constraints.values())
            self.penalty[trial.number] = sum(v for v in constraints.values() if v > 0.0)

    def constraint_matrix(self, numbers: np.ndarray) -> np.ndarray:
        """The constraint values of trials ``numbers``, shape (n, c); a trial without them
        counts as satisfying each (0)."""
        rows = [self.constraints.get(int(n), []) for n in numbers]
        width = max((len(r) for r in rows), default=0)
        matrix = np.zeros((len(rows), width))
        for i, row in enumerate(rows):
            matrix[i, : len(row)] = row
        return matrix

    def reserve(self, number: int) -> None:
        size = len(self.penalty)
        while number >= size:
            size *= 2
        if size > len(self.penalty):
            values = np.full((size, self.values.shape[1]), np.nan)
            values[: len(self.values)] = self.values
            penalty = np.zeros(size)
            penalty[: len(self.penalty)] = self.penalty
            self.values, self.penalty = values, penalty


class ObjectiveSplit:
    """Splits TPE's observations into a weighted good group and the bad rest, for studies with
    several objectives or with constraints (see the module's docstring)."""

    def __init__(self) -> None:
        self._outcomes: PerStudy[Outcomes] = PerStudy(Outcomes, Outcomes.add)

    def applies(self, study: Study) -> bool:
        """Whether this split replaces TPE's single-objective one for ``study``."""
        if len(study.directions) > 1:
            return True
        with self._outcomes.updated(study) as outcomes:
            return outcomes.constrained

    def split(
        self, study: Study, table: ObservationTable, n_good: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row indices of the good group, their weights, and the bad rows (best first)."""
        size = len(table)
        numbers = table.number[:size]
        with self._outcomes.updated(study) as outcomes:
            outcomes.reserve(int(numbers.max(initial=0)))
            values = outcomes.values[numbers]
            penalty = outcomes.penalty[numbers] if outcomes.constrained else np.zeros(size)
        if values.shape[1] != len(study.directions):  # no complete trial read yet
            values = np.full((size, len(study.directions)), np.nan)
        loss = loss_values(values, study.directions)  # type: ignore[arg-type]
        complete = (table.kind[:size] == COMPLETE) & np.all(np.isfinite(loss), axis=1)
        feasible = np.flatnonzero(complete & (penalty <= 0.0))
        infeasible = np.flatnonzero(complete & (penalty > 0.0))
        infeasible = infeasible[np.argsort(penalty[infeasible], kind="stable")]
        good_feasible, rest_feasible = _split_by_fronts(loss[feasible], n_good)
        good = feasible[good_feasible]
        weights = _hypervolume_weights(loss[good])
        n_fill = min(n_good - len(good), len(infeasible))
        good = np.concatenate([good, infeasible[:n_fill]])
        weights = np.concatenate([weights, np.ones(n_fill)])
        others = np.flatnonzero(~complete)
        bad = np.concatenate([feasible[rest_feasible], infeasible[n_fill:], others])
        return good.astype(np.int64), weights, bad.astype(np.int64)


def _split_by_fronts(loss: np.ndarray, n_good: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the ``n_good`` best rows of ``loss`` and of the others, the others ordered
    by front (best first): whole fronts while they fit, then the greedy hypervolume subset of
    the front that does not."""
    n = len(loss)
    if n_good >= n:
        return np.arange(n), np.empty(0, dtype=np.int64)
    if n_good <= 0:
        return np.empty(0, dtype=np.int64), _by_front(loss, np.arange(n))
    if loss.shape[1] == 1:
        order = np.argsort(loss[:, 0], kind="stable")
        return order[:n_good], order[n_good:]
    ranks = nondomination_ranks(loss, n_needed=n_good)
    counts = np.bincount(ranks)
    whole = int(np.searchsorted(np.cumsum(counts), n_good, side="right"))  # fronts that fit
    good = np.flatnonzero(ranks < whole)
    if len(good) < n_good:
        tied = np.flatnonzero(ranks == whole)
        good = np.concatenate([good, tied[_greedy_subset(loss[tied], n_good - len(good))]])
    is_good = np.zeros(n, dtype=bool)
    is_good[good] = True
    rest = np.flatnonzero(~is_good)
    return good, rest[np.argsort(ranks[rest], kind="stable")]


def _by_front(loss: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return rows[np.argsort(nondomination_ranks(loss), kind="stable")]


def reference_point(loss: np.ndarray) -> np.ndarray:
    """A point every row of ``loss`` dominates: 10 % beyond the worst value per objective
    (a worst value of 0 moves to a tiny positive one)."""
    worst = np.max(loss, axis=0)
    point: np.ndarray = np.maximum(1.1 * worst, 0.9 * worst)
    point[point == 0.0] = 1e-12
    return point


def _exclusive_volume(point: np.ndarray, others: np.ndarray, reference: np.ndarray) -> float:
    """The volume ``point`` dominates that none of ``others`` does (WFG's limit trick)."""
    own = float(np.prod(reference - point))
    if not len(others) or own <= 0.0:
        return max(own, 0.0)
    return own - compute_hypervolume(np.maximum(others, point), reference)


def _greedy_subset(loss: np.ndarray, size: int) -> np.ndarray:
    """``size`` rows of one front chosen greedily, each adding the most hypervolume to those
    chosen before (reference: :func:`reference_point`)."""
    if size >= len(loss):
        return np.arange(len(loss))
    reference = reference_point(loss)
    if loss.shape[1] == 2:
        return _greedy_subset_2d(loss, size, reference)
    return _lazy_greedy_subset(loss, size, reference)


def _exclusive_areas_2d(
    candidates: np.ndarray, chosen: np.ndarray, reference: np.ndarray
) -> np.ndarray:
    """Each candidate's area that none of ``chosen`` covers, all at once: the chosen points'
    covered region, swept along the first objective, has a lower edge that steps down at each
    chosen point; a candidate adds, over each step, the width it spans times the height between
    its second objective and that edge."""
    order = np.argsort(chosen[:, 0], kind="stable")
    starts = np.concatenate(([-np.inf], chosen[order, 0]))  # the steps' left ends
    ends = np.concatenate((chosen[order, 0], [reference[0]]))
    edge = np.minimum.accumulate(np.concatenate(([reference[1]], chosen[order, 1])))
    left = np.maximum(starts[None, :], candidates[:, :1])
    width = np.clip(ends[None, :] - left, 0.0, None)
    height = np.clip(edge[None, :] - candidates[:, 1:], 0.0, None)
    areas: np.ndarray = np.sum(width * height, axis=1)
    return areas


def _greedy_subset_2d(loss: np.ndarray, size: int, reference: np.ndarray) -> np.ndarray:
    chosen: list[int] = []
    left = np.ones(len(loss), dtype=bool)
    for _ in range(size):
        candidates = np.flatnonzero(left)
        gains = _exclusive_areas_2d(loss[candidates], loss[chosen], reference)
        pick = int(candidates[int(np.argmax(gains))])
        chosen.append(pick)
        left[pick] = False
    return np.array(chosen, dtype=np.int64)


def _lazy_greedy_subset(loss: np.ndarray, size: int, reference: np.ndarray) -> np.ndarray:
    """The greedy choice, lazily: a row's gain only shrinks as the subset grows, so a stale
    gain is an upper bound, and only the row on top of the heap is evaluated again."""
    heap = [(-float(np.prod(reference - p)), i, 0) for i, p in enumerate(loss)]
    heapq.heapify(heap)
    chosen: list[int] = []
    while len(chosen) < size and heap:
        _, i, evaluated_at = heapq.heappop(heap)
        if evaluated_at == len(chosen):
            chosen.append(i)
            continue
        gain = _exclusive_volume(loss[i], loss[chosen], reference)
        heapq.heappush(heap, (-gain, i, len(chosen)))
    return np.array(chosen, dtype=np.int64)


def _hypervolume_weights(loss: np.ndarray) -> np.ndarray:
    """Each good row's weight: its exclusive share of the group's hypervolume relative to the
    largest share (a row off the group's front gets a tiny weight); all ones for one
    objective or fewer than two rows."""
    n = len(loss)
    if n <= 1 or loss.shape[1] == 1:
        return np.ones(n)
    reference = reference_point(loss)

    def exclusive(i: int) -> float:
        others = np.delete(loss, i, axis=0)
        if loss.shape[1] == 2:
            return float(_exclusive_areas_2d(loss[i : i + 1], others, reference)[0])
        return _exclusive_volume(loss[i], others, reference)

    contributions = np.array([exclusive(i) for i in range(n)])
    top = float(contributions.max())
    if not np.isfinite(top) or top <= 0.0:
        return np.ones(n)
    return np.maximum(contributions / top, TINY_WEIGHT)
