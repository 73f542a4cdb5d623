"""Tree-structured Parzen Estimator: sample where good trials are dense and bad ones are not."""

from __future__ import annotations

import math
import threading
import warnings
import zlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._direction import StudyDirection
from tftune._experimental import warn_experimental_argument
from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import BaseSampler, single_threaded_blas
from tftune.samplers._optuna_args import check_optuna_tpe_arguments
from tftune.samplers._intersection import IntersectionSearchSpace
from tftune.samplers._random import RandomSampler, trial_seed
from tftune.samplers._tpe._multi_objective import ObjectiveSplit
from tftune.samplers._tpe._multi_objective import min_bandwidth_factor as split_min_bandwidth
from tftune.samplers._tpe._observations import ObservationTable, SpaceKey, rung_min_trials
from tftune.samplers._tpe._parzen import ParzenEstimator, Workspace, min_bandwidth_factor
from tftune.samplers._tpe._repeats import (
    ENUMERATE_LIMIT,
    PROBE_AFTER,
    DiscreteGrid,
    TriedConfigurations,
    new_mask,
    table_configuration,
)
from tftune.samplers._tpe._transform import NumericAxis, as_categorical, as_numeric
from tftune.trial._constraints import ConstraintsFunc, check_constraints_func, record_constraints
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study


def default_gamma(n_complete: int) -> int:
    """How many of the best complete trials form the 'good' group: 10%, at most 25."""
    return min(int(math.ceil(0.1 * n_complete)), 25)


def hyperopt_gamma(n_complete: int) -> int:
    """hyperopt's (v0.1.2) size of the good group: ``ceil(sqrt(n) / 4)``, at most 25."""
    return min(int(math.ceil(0.25 * n_complete**0.5)), 25)


def default_weights(n: int) -> np.ndarray:
    """Weights of the 'bad' observations, ordered from the best to the worst: once there are
    many, the nearly-good ones count less (a ramp) and the 25 worst count fully, so the bad
    density marks clearly bad regions (measured better than weighting by age on the synthetic
    benchmarks)."""
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
            None (Optuna's default) is True, also with several objectives.
        constant_liar: treat other workers' running trials as bad, so that parallel workers
            spread out instead of proposing the same point.
        prior_weight: weight of the wide prior kernel in each density.
        gamma: ``gamma(n) -> size of the good group`` (default: 10%, at most 25), ``n`` being,
            with one objective, the finished trials, complete and pruned (as Optuna's TPE);
            with several, the complete ones. Single-objective trials are compared by their
            final values (a pruned trial's predicted from its reports), or while fewer than
            ``max(d + 2, 10)`` are complete, those that reached the deepest step that many
            trials reported by their values predicted from there (see ``_observations``);
            trials that never reached it rank behind, the deepest first, and never enter the
            good group.
        avoid_repeats: when every parameter of the joint space is discrete (ints, stepped
            floats, categoricals), never propose a configuration that was already tried or is
            running, while untried ones remain, unless the objective turns out noisy: after
            ``PROBE_AFTER`` (10) model-based trials the best configuration is proposed once
            more, and when any configuration holds two different values repeats are allowed
            (see ``_repeats``).
        constraints_func: ``(FrozenTrial) -> Sequence[float]``, evaluated when a trial
            finishes (a value > 0 is a violation): only feasible trials compete for the good
            group, the least violating fill it when too few are feasible.

    With several objectives TPE is multi-objective (MOTPE, as Optuna 4.x): the good group is
    the best non-dominated fronts, cut by hypervolume, and weighted by each trial's
    hypervolume contribution (see ``_multi_objective``).
        consider_prior, consider_magic_clip, consider_endpoints, weights, group,
            warn_independent_sampling: Optuna's arguments, accepted so that its code runs;
            tftune's TPE always uses its prior, its own bandwidth floor and rank-based weights,
            and models define-by-run branches one parameter at a time, so values other than
            Optuna's defaults warn that they change nothing (see ``_optuna_args``).
    """

    def __init__(
        self,
        *,
        consider_prior: bool | None = None,
        consider_magic_clip: bool | None = None,
        consider_endpoints: bool | None = None,
        weights: Callable[[int], np.ndarray] | None = None,
        group: bool = False,
        warn_independent_sampling: bool | None = None,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_ei_candidates: int = 24,
        multivariate: bool | None = True,
        constant_liar: bool = True,
        prior_weight: float = 1.0,
        gamma: Callable[[int], int] = default_gamma,
        avoid_repeats: bool = True,
        constraints_func: ConstraintsFunc | None = None,
    ) -> None:
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValueError(
                f"`n_startup_trials` must be a non-negative int, got {n_startup_trials!r}."
            )
        if (
            isinstance(n_ei_candidates, bool)
            or not isinstance(n_ei_candidates, int)
            or n_ei_candidates < 1
        ):
            raise ValueError(f"`n_ei_candidates` must be a positive int, got {n_ei_candidates!r}.")
        if not prior_weight > 0:
            raise ValueError(f"`prior_weight` must be > 0, got {prior_weight!r}.")
        if group and multivariate is False:
            raise ValueError(
                "TPESampler: `group=True` needs the multivariate TPE; got multivariate=False "
                "(leave it at True or None)."
            )
        if group:
            warn_experimental_argument("group")
        self._seed = seed
        self._random = RandomSampler(seed=seed)
        check_optuna_tpe_arguments(
            consider_prior=consider_prior,
            consider_magic_clip=consider_magic_clip,
            consider_endpoints=consider_endpoints,
            weights=weights,
            group=group,
            warn_independent_sampling=warn_independent_sampling,
        )
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.multivariate = True if multivariate is None else bool(multivariate)
        self.constant_liar = constant_liar
        self.prior_weight = prior_weight
        self.gamma = gamma
        self.avoid_repeats = avoid_repeats
        self.constraints_func = check_constraints_func(constraints_func)
        self._objective_split = ObjectiveSplit()  # several objectives, or constraints
        self._tried: dict[SpaceKey, TriedConfigurations] = {}
        self._lock = threading.Lock()
        self._tables: dict[SpaceKey, ObservationTable] = {}  # per study and search space
        self._intersection = IntersectionSearchSpace()
        self._workspaces = threading.local()  # per thread: the good and the bad estimator's arrays

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_tried", "_tables"))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    def reseed_rng(self) -> None:
        self._seed = None
        self._random.reseed_rng()

    @staticmethod
    def hyperopt_parameters() -> dict[str, Any]:
        """hyperopt's (v0.1.2) defaults as ``TPESampler`` arguments: 20 random startup trials,
        24 candidates, a good group of ``ceil(sqrt(n) / 4)``. Deprecated in Optuna 5.0, so it
        warns (FutureWarning) as Optuna's does; the weights stay tftune's."""
        warnings.warn(
            "TPESampler.hyperopt_parameters has been deprecated in v5.0.0 (as in Optuna); "
            "pass the arguments it returns to TPESampler yourself.",
            FutureWarning,
            stacklevel=2,
        )
        return {
            "consider_prior": True,
            "prior_weight": 1.0,
            "consider_magic_clip": True,
            "consider_endpoints": False,
            "n_startup_trials": 20,
            "n_ei_candidates": 24,
            "gamma": hyperopt_gamma,
        }

    def _workspace_pair(self) -> tuple[Workspace, Workspace]:
        """This thread's workspaces for l(x) and g(x) (the arrays persist across proposals)."""
        pair = getattr(self._workspaces, "pair", None)
        if pair is None:
            pair = self._workspaces.pair = (Workspace(), Workspace())
        return pair

    def _rng(self, trial: FrozenTrial, salt: int) -> np.random.Generator:
        if self._seed is None:
            return np.random.default_rng()
        return np.random.default_rng([trial_seed(self._seed, trial.number), salt])

    # --- the joint (relative) search space ------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._intersection.calculate(study) if self.multivariate else {}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with single_threaded_blas():
            return self._sample(study, trial, search_space, salt=0) or {}

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        salt = 1 + zlib.crc32(
            param_name.encode()
        )  # the whole name: dropout_1 and dropout_2 differ
        with single_threaded_blas():
            proposal = self._sample(study, trial, {param_name: distribution}, salt)
        if proposal is None:
            return self._random.sample_independent(study, trial, param_name, distribution)
        return proposal[param_name]

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        if self.constraints_func is not None:
            record_constraints(self.constraints_func, study, trial, state)
        self._random.after_trial(study, trial, state, values)

    # --- observations and the proposal ----------------------------------------------------
    def _sample(
        self, study: Study, current: FrozenTrial, space: dict[str, BaseDistribution], salt: int
    ) -> dict[str, Any] | None:
        """TPE's proposal for ``space``, or None while too few trials are complete."""
        split_by_objectives = self._objective_split.applies(study)
        maximize = len(study.directions) == 1 and study.direction == StudyDirection.MAXIMIZE
        sign = -1.0 if maximize else 1.0
        trials = study.get_trials(deepcopy=False)
        with self._lock:
            key = (id(study.storage), study.study_id, tuple(sorted(space.items())))
            table = self._tables.get(key)
            if table is None:
                table = self._tables[key] = ObservationTable(space)
            table.update(trials, sign)
            if split_by_objectives:
                n_leaders = table.n_complete()
                if n_leaders < max(self.n_startup_trials, 1):
                    return None
                good, good_weights, bad = self._objective_split.split(
                    study, table, max(1, self.gamma(n_leaders))
                )
            else:
                leaders, losses = table.leaders_by_loss(rung_min_trials(len(space)))
                n_leaders = len(leaders)
                if n_leaders < max(self.n_startup_trials, 1):
                    return None
                # sized by every finished trial, not by the rung's: those stopped short of the
                # rung are known to be behind it (10 rung reachers of 30 trials: 3 good, not 1)
                good, bad = table.split(leaders, losses, max(1, self.gamma(len(table))))
                good_weights = np.ones(len(good))
            good_ws, bad_ws = self._workspace_pair()
            good_numeric, good_categorical = table.numeric[good], table.categorical[good]
            bad_numeric = np.take(
                table.numeric,
                bad,
                axis=0,
                mode="clip",  # "clip": no temporary copy
                out=bad_ws.get("observations", (len(bad), len(table.numeric_names))),
            )
            bad_categorical = table.categorical[bad]
        running = [
            row
            for t in trials[table._scan_from :]
            if t.state == TrialState.RUNNING
            and t.trial_id != current.trial_id
            and (row := table.row(t)) is not None
        ]
        running_numeric = np.array([r[0] for r in running], dtype=float).reshape(
            len(running), len(table.numeric_names)
        )
        running_categorical = np.array([r[1] for r in running], dtype=np.int64).reshape(
            len(running), len(table.categorical_names)
        )
        if self.constant_liar and running:
            bad_numeric = np.vstack([bad_numeric, running_numeric])
            bad_categorical = np.vstack([bad_categorical, running_categorical])
        axes = [NumericAxis(as_numeric(space[n])) for n in table.numeric_names]
        lows, highs = np.array([a.low for a in axes]), np.array([a.high for a in axes])
        n_choices = np.array(
            [len(as_categorical(space[n]).choices) for n in table.categorical_names], dtype=int
        )
        grid = DiscreteGrid(axes, n_choices)
        tried: set[bytes] | None = None
        if self.avoid_repeats and salt == 0 and grid.is_finite and not table.has_extra_params:
            tracker = self._tried.setdefault(key, TriedConfigurations())
            if not tracker.noisy:
                tried = tracker.with_running(table, grid, running_numeric, running_categorical)
            if tracker.noisy:  # a configuration gave two values: repeats are informative
                tried = None
            elif (
                not split_by_objectives
                and n_leaders >= self.n_startup_trials + PROBE_AFTER
                and tracker.probe_due(
                    table, grid, int(leaders[0]), running_numeric, running_categorical
                )
            ):
                return table_configuration(table, space, int(leaders[0]))
        bandwidth = split_min_bandwidth if split_by_objectives else min_bandwidth_factor
        min_sigma = (highs - lows) * bandwidth(n_leaders, len(space))
        l_x = ParzenEstimator(
            good_numeric,
            lows,
            highs,
            good_categorical,
            n_choices,
            good_weights,
            self.prior_weight,
            min_sigma,
            good_ws,
        )
        g_x = ParzenEstimator(
            bad_numeric,
            lows,
            highs,
            bad_categorical,
            n_choices,
            default_weights(len(bad_numeric)),
            self.prior_weight,
            min_sigma,
            bad_ws,
        )
        rng = self._rng(current, salt)
        numeric, categories, score = self._candidates(l_x, g_x, grid, rng, self.n_ei_candidates)
        if tried is not None:
            numeric, categories, score = self._untried(
                l_x, g_x, grid, tried, rng, numeric, categories, score
            )
        best = int(np.argmax(score))
        proposal: dict[str, Any] = {
            name: axis.from_model(float(numeric[best, j]))
            for j, (name, axis) in enumerate(zip(table.numeric_names, axes, strict=True))
        }
        for j, name in enumerate(table.categorical_names):
            distribution = space[name]
            assert isinstance(distribution, CategoricalDistribution)
            proposal[name] = distribution.choices[int(categories[best, j])]
        return proposal

    @staticmethod
    def _candidates(
        l_x: ParzenEstimator,
        g_x: ParzenEstimator,
        grid: DiscreteGrid,
        rng: np.random.Generator,
        size: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``size`` draws from l(x), on the grid where axes are stepped, with their log l/g."""
        numeric, categories = l_x.sample(rng, size)
        numeric = grid.snap(numeric)
        return (
            numeric,
            categories,
            l_x.log_pdf(numeric, categories) - g_x.log_pdf(numeric, categories),
        )

    def _untried(
        self,
        l_x: ParzenEstimator,
        g_x: ParzenEstimator,
        grid: DiscreteGrid,
        tried: set[bytes],
        rng: np.random.Generator,
        numeric: np.ndarray,
        categories: np.ndarray,
        score: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The candidates with the tried ones scored -inf; when all were tried, more draws, then
        (small grids) every untried configuration; on an exhausted grid, the candidates as
        given."""
        new = new_mask(grid, tried, numeric, categories)
        if not new.any():
            numeric, categories, score = self._candidates(
                l_x, g_x, grid, rng, 8 * self.n_ei_candidates
            )
            new = new_mask(grid, tried, numeric, categories)
        if not new.any() and grid.size <= ENUMERATE_LIMIT:
            every_numeric, every_categorical = grid.enumerate()
            untried = new_mask(grid, tried, every_numeric, every_categorical)
            if untried.any():
                numeric, categories = every_numeric[untried], every_categorical[untried]
                score = l_x.log_pdf(numeric, categories) - g_x.log_pdf(numeric, categories)
                return numeric, categories, score
        if new.any():
            score = np.where(new, score, -np.inf)
        return numeric, categories, score
