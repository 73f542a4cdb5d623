"""Exhaustive search over a finite define-by-run search space."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tftune._experimental import experimental_class
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from tftune.samplers._base import BaseSampler
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

#: A path from the root of the search tree: (parameter name, its distribution, value index).
Path = list[tuple[str, BaseDistribution, int]]


def grid_size(name: str, distribution: BaseDistribution) -> int:
    """How many values ``distribution`` holds; ValueError naming the parameter if infinite."""
    if isinstance(distribution, CategoricalDistribution):
        return len(distribution.choices)
    if isinstance(distribution, IntDistribution):
        return (distribution.high - distribution.low) // distribution.step + 1
    if isinstance(distribution, FloatDistribution) and distribution.step is not None:
        return int(round((distribution.high - distribution.low) / distribution.step)) + 1
    if isinstance(distribution, FloatDistribution) and distribution.low == distribution.high:
        return 1
    raise ValueError(
        f"BruteForceSampler needs a finite search space, but parameter {name!r} is "
        f"{distribution!r}: give suggest_float a `step`."
    )


def value_at(distribution: BaseDistribution, index: int) -> Any:
    """The ``index``-th value of a finite distribution (external representation)."""
    if isinstance(distribution, CategoricalDistribution):
        return distribution.choices[index]
    if isinstance(distribution, IntDistribution):
        return distribution.low + index * distribution.step
    assert isinstance(distribution, FloatDistribution)
    step = distribution.step or 0.0
    return min(distribution.high, distribution.low + index * step)


def index_of(distribution: BaseDistribution, value: Any) -> int | None:
    """The index of ``value`` among the distribution's values, or None if it is not one."""
    try:
        internal = distribution.to_internal_repr(value)
    except (TypeError, ValueError):
        return None
    if not distribution.contains(internal):
        return None
    if isinstance(distribution, CategoricalDistribution):
        return int(internal)
    step = getattr(distribution, "step", None) or 1
    return int(round((internal - distribution.low) / step))  # type: ignore[attr-defined]


@experimental_class("3.1.0")
class BruteForceSampler(BaseSampler):
    """Tries every combination of a finite search space once, then the study stops.

    The space may be define-by-run (a parameter may exist only for some values of another):
    the trials so far form a tree of parameter values, and each suggestion picks, at random,
    a value whose branch still has untried combinations. Float parameters need a ``step``.

    Args:
        seed: seed of the random order in which combinations are tried.
        avoid_premature_stop: count only finished trials as tried, so that a combination whose
            trial is still running (and may fail) is tried again rather than the study stopping
            early; without it (the default) running trials count, and no combination is tried
            twice by parallel workers while untried ones remain.

    The order in which a trial asked for its parameters is known for the trials sampled in
    this process; for others (a study resumed from a database) the stored order is used,
    which for a conditional space may make the sampler try a combination again.
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"`seed` must be an int or None, got {seed!r}.")
        if not isinstance(avoid_premature_stop, bool):
            raise TypeError(
                f"`avoid_premature_stop` must be a bool, got {avoid_premature_stop!r}."
            )
        self._rng = random.Random(seed)
        self._avoid_premature_stop = avoid_premature_stop
        self._orders: dict[int, list[str]] = {}  # trial id -> its parameter names, in order
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = random.Random()

    # --- the tree of tried combinations --------------------------------------------------
    def _tried(
        self,
        study: Study,
        exclude: int | None,
        finishing: FrozenTrial | None = None,
    ) -> tuple[list[FrozenTrial], set[int]]:
        """The trials that count as tried (see ``avoid_premature_stop``), and which of those
        are still running (``finishing``: the trial being told, with its final state)."""
        trials = [
            finishing if finishing is not None and t.trial_id == finishing.trial_id else t
            for t in study.get_trials(deepcopy=False)
            if t.trial_id != exclude
        ]
        trials = [
            t
            for t in trials
            if t.state.is_finished()
            or (t.state == TrialState.RUNNING and not self._avoid_premature_stop)
        ]
        running = {t.trial_id for t in trials if t.state == TrialState.RUNNING}
        return trials, running

    def _order(self, trial: FrozenTrial) -> list[str]:
        return self._orders.get(trial.trial_id) or list(trial.params)

    def _exhausted(
        self, trials: list[FrozenTrial], path: Path, running: frozenset[int] = frozenset()
    ) -> bool:
        """Whether every combination below ``path`` has a trial (``trials`` match ``path``).

        A complete trial that ends here makes this branch a complete combination; so does a
        running, failed or pruned one below the root (it holds the branch, or stopped
        before suggesting the rest) unless another trial goes on. The trials must agree on the
        parameter that follows and on its distribution, and a complete trial must not end
        where another goes on (the search space must not change): ValueError otherwise.
        """
        if not trials:
            return False
        names = {name for name, _, _ in path}
        following: dict[str, list[FrozenTrial]] = {}
        ended_finished = ended_running = False
        for trial in trials:
            rest = [name for name in self._order(trial) if name not in names]
            if not rest:
                if trial.trial_id in running or trial.state != TrialState.COMPLETE:
                    ended_running = True
                else:
                    ended_finished = True
                continue
            following.setdefault(rest[0], []).append(trial)
        where = _describe(path)
        if len(following) > 1:
            raise ValueError(
                f"BruteForceSampler needs the same search space in every trial: after {where} "
                f"trials went on with different parameters {sorted(following)}."
            )
        if ended_finished and following:
            raise ValueError(
                f"BruteForceSampler needs the same search space in every trial: a trial ended "
                f"after {where}, another went on with {next(iter(following))!r}."
            )
        if ended_finished or (ended_running and not following):
            return ended_finished or bool(path)
        ((name, group),) = following.items()
        distribution = _agreed_distribution(name, group, where)
        trials = group
        try:
            size = grid_size(name, distribution)
        except ValueError:
            return True  # an infinite parameter from another sampler: nothing to enumerate
        by_index = _by_index(trials, name, distribution)
        # Only the branches that have trials need a look (an empty one is open), but each of
        # those is checked, not only those up to the first open branch.
        below = [
            self._exhausted(group, [*path, (name, distribution, index)], running)
            for index, group in by_index.items()
        ]
        return len(by_index) == size and all(below)

    # --- sampler interface ---------------------------------------------------------------
    def is_exhausted(self, study: Study) -> bool:
        with self._lock:
            trials, running = self._tried(study, exclude=None)
            return self._exhausted(trials, [], frozenset(running))

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        size = grid_size(param_name, distribution)
        with self._lock:
            self._orders[trial.trial_id] = [*trial.params, param_name]
            trials, running = self._tried(study, exclude=trial.trial_id)
            path: Path = []
            for name in trial.params:
                known = trial.distributions[name]
                index = index_of(known, trial.params[name])
                if index is None:
                    continue
                path.append((name, known, index))
                trials = _matching(trials, name, known, index)
            names = {name for name, _, _ in path}
            peers = [
                t
                for t in trials
                if [n for n in self._order(t) if n not in names][:1] == [param_name]
            ]
            _agreed_distribution(param_name, [*peers, trial], _describe(path), distribution)
            untried, only_running = [], []
            frozen_running = frozenset(running)
            by_index = _by_index(trials, param_name, distribution)
            for index in range(size):
                below = by_index.get(index, [])
                path_below = [*path, (param_name, distribution, index)]
                if self._exhausted(below, path_below, frozen_running):
                    continue
                if below and all(t.trial_id in running for t in below):
                    only_running.append(index)
                else:
                    untried.append(index)
            choices = untried or only_running or list(range(size))
            return value_at(distribution, self._rng.choice(choices))

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        with self._lock:
            self._orders[trial.trial_id] = list(trial.params)
            told = trial.copy()
            told.state = state
            trials, running = self._tried(study, exclude=None, finishing=told)
            exhausted = self._exhausted(trials, [], frozenset(running))
        if exhausted:
            study.stop()  # as Optuna's: optimize() ends once every combination was tried


def _describe(path: Path) -> str:
    if not path:
        return "the start"
    return ", ".join(f"{name}={value_at(d, i)!r}" for name, d, i in path)


def _agreed_distribution(
    name: str, trials: list[FrozenTrial], where: str, new: BaseDistribution | None = None
) -> BaseDistribution:
    """The distribution that ``trials`` (and ``new``) give ``name``; ValueError if they differ."""
    seen = [t.distributions[name] for t in trials if name in t.distributions]
    if new is not None:
        seen.append(new)
    first = seen[0]
    for other in seen[1:]:
        if other != first:
            raise ValueError(
                f"BruteForceSampler needs the same search space in every trial: after {where} "
                f"parameter {name!r} is {other!r} in one trial and {first!r} in another."
            )
    return first


def _by_index(
    trials: list[FrozenTrial], name: str, distribution: BaseDistribution
) -> dict[int, list[FrozenTrial]]:
    """``trials`` grouped by the index of their value of ``name`` (one pass)."""
    groups: dict[int, list[FrozenTrial]] = {}
    for trial in trials:
        if name in trial.params:
            index = index_of(distribution, trial.params[name])
            if index is not None:
                groups.setdefault(index, []).append(trial)
    return groups


def _matching(
    trials: list[FrozenTrial], name: str, distribution: BaseDistribution, index: int
) -> list[FrozenTrial]:
    return [
        t for t in trials if name in t.params and index_of(distribution, t.params[name]) == index
    ]
