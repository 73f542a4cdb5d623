"""Exhaustive search over a finite define-by-run search space."""

from __future__ import annotations

import random
import threading
from collections import Counter
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
    def _tried(self, study: Study, exclude: int | None) -> tuple[list[FrozenTrial], set[int]]:
        """The trials that count as tried (see ``avoid_premature_stop``), and which of those
        are still running."""
        states = [s for s in TrialState if s.is_finished()]
        if not self._avoid_premature_stop:
            states.append(TrialState.RUNNING)
        trials = [
            t for t in study.get_trials(deepcopy=False, states=states) if t.trial_id != exclude
        ]
        running = {t.trial_id for t in trials if t.state == TrialState.RUNNING}
        return trials, running

    def _order(self, trial: FrozenTrial) -> list[str]:
        return self._orders.get(trial.trial_id) or list(trial.params)

    def _exhausted(self, trials: list[FrozenTrial], path: Path) -> bool:
        """Whether every combination below ``path`` has a trial (``trials`` match ``path``)."""
        if not trials:
            return False
        names = {name for name, _, _ in path}
        following: Counter[str] = Counter()
        for trial in trials:
            rest = [name for name in self._order(trial) if name not in names]
            if not rest:
                return True  # a trial ended here: this branch is a complete combination
            following[rest[0]] += 1
        name = following.most_common(1)[0][0]
        distribution = next(t.distributions[name] for t in trials if name in t.distributions)
        try:
            size = grid_size(name, distribution)
        except ValueError:
            return True  # an infinite parameter from another sampler: nothing to enumerate
        return all(
            self._exhausted(
                _matching(trials, name, distribution, index), [*path, (name, distribution, index)]
            )
            for index in range(size)
        )

    # --- sampler interface ---------------------------------------------------------------
    def is_exhausted(self, study: Study) -> bool:
        with self._lock:
            trials, _ = self._tried(study, exclude=None)
            return self._exhausted(trials, [])

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
            untried, only_running = [], []
            for index in range(size):
                below = _matching(trials, param_name, distribution, index)
                if self._exhausted(below, [*path, (param_name, distribution, index)]):
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


def _matching(
    trials: list[FrozenTrial], name: str, distribution: BaseDistribution, index: int
) -> list[FrozenTrial]:
    return [
        t for t in trials if name in t.params and index_of(distribution, t.params[name]) == index
    ]
