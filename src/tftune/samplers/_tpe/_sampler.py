"""Tree-structured Parzen Estimator: sample where good trials are dense and bad ones are not."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import BaseSampler
from tftune.samplers._random import RandomSampler, trial_seed
from tftune.samplers._tpe._parzen import ParzenEstimator
from tftune.samplers._tpe._transform import NumericAxis, is_numeric, to_model_value
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study


def default_gamma(n_complete: int) -> int:
    """How many of the best complete trials form the 'good' group: 10%, at most 25."""
    return min(int(math.ceil(0.1 * n_complete)), 25)


def default_weights(n: int) -> np.ndarray:
    """Older 'bad' observations count less once there are many: a ramp, the last 25 at 1."""
    if n <= 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


class TPESampler(BaseSampler):
    """Bayesian optimization with Tree-structured Parzen Estimators.

    Args:
        seed: makes the proposals reproducible (per trial number, so also with several workers).
        n_startup_trials: trials sampled at random before the model takes over.
        n_ei_candidates: candidates drawn from the 'good' density per proposal; the one with the
            highest good/bad density ratio is proposed.
        multivariate: model the parameters that every trial shares jointly (captures their
            interactions); the others (define-by-run branches) are modelled one at a time.
        constant_liar: treat other workers' running trials as bad, so that parallel workers
            spread out instead of proposing the same point.
        prior_weight: weight of the wide prior kernel in each density.
        gamma: ``gamma(n_complete) -> size of the good group`` (default: 10%, at most 25).
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool = True,
        constant_liar: bool = True,
        prior_weight: float = 1.0,
        gamma: Callable[[int], int] = default_gamma,
    ) -> None:
        if isinstance(n_startup_trials, bool) or not isinstance(n_startup_trials, int) or n_startup_trials < 0:
            raise ValueError(f"`n_startup_trials` must be a non-negative int, got {n_startup_trials!r}.")
        if isinstance(n_ei_candidates, bool) or not isinstance(n_ei_candidates, int) or n_ei_candidates < 1:
            raise ValueError(f"`n_ei_candidates` must be a positive int, got {n_ei_candidates!r}.")
        if not prior_weight > 0:
            raise ValueError(f"`prior_weight` must be > 0, got {prior_weight!r}.")
        self._seed = seed
        self._random = RandomSampler(seed=seed)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = multivariate
        self.constant_liar = constant_liar
        self.prior_weight = prior_weight
        self.gamma = gamma
        self._lock = threading.Lock()
        # Finished trials never change: their values on TPE's axes are computed once.
        self._model_values: dict[int, dict[tuple[str, BaseDistribution], float]] = {}
        self._warned_multi_objective = False
        self._intersection: tuple[set[int], dict[str, BaseDistribution] | None] = (set(), None)

    def reseed_rng(self) -> None:
        self._seed = None
        self._random.reseed_rng()

    def _rng(self, trial: FrozenTrial, salt: int) -> np.random.Generator:
        if self._seed is None:
            return np.random.default_rng()
        return np.random.default_rng([trial_seed(self._seed, trial.number), salt])

    # --- the joint (relative) search space ------------------------------------------------
    def infer_relative_search_space(self, study: Study, trial: FrozenTrial) -> dict[str, BaseDistribution]:
        if not self.multivariate:
            return {}
        with self._lock:
            seen, space = self._intersection
            for other in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                if other._trial_id in seen:
                    continue
                seen.add(other._trial_id)
                if space is None:
                    space = dict(other.distributions)
                else:
                    space = {k: d for k, d in space.items() if other.distributions.get(k) == d}
            self._intersection = (seen, space)
        return {k: d for k, d in (space or {}).items() if not d.single()}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        groups = self._observations(study, trial, search_space)
        if groups is None:
            return {}
        return self._propose(search_space, *groups, self._rng(trial, 0))

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        space = {param_name: distribution}
        groups = self._observations(study, trial, space)
        if groups is None:
            return self._random.sample_independent(study, trial, param_name, distribution)
        salt = 1 + int.from_bytes(param_name.encode()[:8].ljust(8, b"\0"), "little") % (2**31)
        return self._propose(space, *groups, self._rng(trial, salt))[param_name]

    def after_trial(self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None) -> None:
        self._random.after_trial(study, trial, state, values)

    # --- observations ----------------------------------------------------------------------
    def _observations(
        self, study: Study, current: FrozenTrial, space: dict[str, BaseDistribution]
    ) -> tuple[list[dict[str, float]], list[dict[str, float]]] | None:
        """The (good, bad) observations of ``space``'s parameters, or None while starting up."""
        if len(study.directions) > 1:
            if not self._warned_multi_objective:
                warnings.warn("TPESampler models one objective; this study has several, so it samples at random.",
                              UserWarning, stacklevel=4)
                self._warned_multi_objective = True
            return None
        sign = 1.0 if study.direction == StudyDirection.MINIMIZE else -1.0
        names = list(space)
        complete: list[tuple[float, dict[str, float]]] = []
        pruned: list[tuple[int, float, dict[str, float]]] = []
        running: list[dict[str, float]] = []
        for trial in study.get_trials(deepcopy=False):
            state = trial.state
            if state == TrialState.FAIL or state == TrialState.WAITING or trial._trial_id == current._trial_id:
                continue
            values = self._values_of(trial, space, names)
            if values is None:
                continue
            if state == TrialState.COMPLETE:
                complete.append((sign * trial.values[0], values))  # type: ignore[index]
            elif state == TrialState.PRUNED:
                step = trial.last_step if trial.last_step is not None else -1
                last = trial.intermediate_values.get(step, math.inf) if step >= 0 else math.inf
                pruned.append((-step, sign * last if math.isfinite(last) else math.inf, values))
            elif self.constant_liar:
                running.append(values)
        if len(complete) < max(self.n_startup_trials, 1):
            return None
        complete.sort(key=lambda item: item[0])
        n_good = max(1, self.gamma(len(complete)))
        good = [values for _, values in complete[:n_good]]
        pruned.sort(key=lambda item: (item[0], item[1]))
        bad = [values for _, values in complete[n_good:]] + [values for *_, values in pruned] + running
        return good, bad

    def _values_of(self, trial: FrozenTrial, space: dict[str, BaseDistribution], names: list[str]) -> dict[str, float] | None:
        """The trial's values of ``names`` on TPE's axes (cached once the trial is finished)."""
        finished = trial.state.is_finished()
        cached = self._model_values.get(trial._trial_id) if finished else None
        if cached is None:
            cached = {}
        result = {}
        for name in names:
            key = (name, space[name])
            if key in cached:
                result[name] = cached[key]
                continue
            if name not in trial.params:
                return None
            try:
                value = to_model_value(space[name], trial.params[name])
            except (TypeError, ValueError):  # a category this space no longer offers
                return None
            cached[key] = result[name] = value
        if finished:
            self._model_values[trial._trial_id] = cached
        return result

    # --- the proposal ----------------------------------------------------------------------
    def _propose(
        self,
        space: dict[str, BaseDistribution],
        good: list[dict[str, float]],
        bad: list[dict[str, float]],
        rng: np.random.Generator,
    ) -> dict[str, Any]:
        names = sorted(space)  # the order of dimensions must not depend on where the space came from
        numeric_names = [n for n in names if is_numeric(space[n])]
        categorical_names = [n for n in names if not is_numeric(space[n])]
        axes = [NumericAxis(space[n]) for n in numeric_names]  # type: ignore[arg-type]
        lows = np.array([a.low for a in axes])
        highs = np.array([a.high for a in axes])
        n_choices = np.array([len(space[n].choices) for n in categorical_names], dtype=int)  # type: ignore[attr-defined]

        def estimator(observations: list[dict[str, float]], weights: np.ndarray) -> ParzenEstimator:
            numeric = np.array([[o[n] for n in numeric_names] for o in observations], dtype=float).reshape(
                len(observations), len(numeric_names))
            categories = np.array([[o[n] for n in categorical_names] for o in observations], dtype=int).reshape(
                len(observations), len(categorical_names))
            return ParzenEstimator(numeric, lows, highs, categories, n_choices, weights, self.prior_weight)

        l_x = estimator(good, np.ones(len(good)))
        g_x = estimator(bad, default_weights(len(bad)))
        numeric, categories = l_x.sample(rng, self.n_ei_candidates)
        score = l_x.log_pdf(numeric, categories) - g_x.log_pdf(numeric, categories)
        best = int(np.argmax(score))
        proposal: dict[str, Any] = {}
        for j, (name, axis) in enumerate(zip(numeric_names, axes)):
            proposal[name] = axis.from_model(float(numeric[best, j]))
        for j, name in enumerate(categorical_names):
            distribution = space[name]
            assert isinstance(distribution, CategoricalDistribution)
            proposal[name] = distribution.choices[int(categories[best, j])]
        return proposal
