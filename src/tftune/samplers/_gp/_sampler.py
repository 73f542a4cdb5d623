"""Bayesian optimization with a Gaussian process and log expected improvement (NumPy/SciPy)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import erfcx, ndtr

from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import BaseSampler, single_threaded_blas
from tftune.samplers._optuna_args import checked_sampler, moot_argument
from tftune.samplers._intersection import IntersectionSearchSpace
from tftune.pruners._per_study import PerStudy
from tftune.samplers._gp._feasibility import Feasibility
from tftune.samplers._gp._model import GaussianProcess
from tftune.samplers._gp._multi_objective import (
    N_QMC_SAMPLES,
    HypervolumeImprovement,
    normal_qmc_samples,
)
from tftune.samplers._random import RandomSampler, trial_seed
from tftune.samplers._tpe._multi_objective import Outcomes
from tftune.samplers._tpe._observations import (
    COMPLETE,
    ObservationTable,
    SpaceKey,
    rung_min_trials,
)
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
from tftune.study._multi_objective import loss_values, nondomination_ranks
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState
from tftune._pickling import portable_state, restore_state

if TYPE_CHECKING:
    from tftune.study._study import Study

_INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)
#: An acquisition function: (numeric unit coordinates, category indices) -> scores.
Acquisition = Callable[[np.ndarray, np.ndarray], np.ndarray]
# The acquisition's polishing rounds, and how many of the best candidates each round moves around.
POLISH_ROUNDS = 4
POLISH_ANCHORS = 3


def log_expected_improvement(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """log EI for minimisation, stable at both ends: the scaled erfc far below the incumbent
    (z < 0), the plain formula above it (where the scaled erfc would overflow)."""
    z = (best - mean) / std
    out: np.ndarray = np.empty_like(z)
    above = z >= 0
    za = z[above]
    out[above] = np.log(std[above]) + np.log(za * ndtr(za) + _INV_SQRT_2PI * np.exp(-0.5 * za**2))
    zb = z[~above]
    bracket = _INV_SQRT_2PI + 0.5 * zb * erfcx(-zb / math.sqrt(2))  # EI / (std * exp(-z^2 / 2))
    out[~above] = np.log(std[~above]) - 0.5 * zb**2 + np.log(np.maximum(bracket, 1e-300))
    return out


def posterior_incumbent(
    model: GaussianProcess, u_num: np.ndarray, x_cat: np.ndarray, n_top: int = 5
) -> tuple[float, np.ndarray]:
    """EI's incumbent and the anchors of the local moves: the lowest posterior mean at the
    observations, and the ``n_top`` rows with the lowest means. Not the lowest observed value:
    on a noisy objective that is one lucky draw, and EI measured from it undervalues the region
    the model believes best; on an exact one (noise at its floor) the two agree."""
    mean = model.predict(u_num, x_cat)[0]
    top: np.ndarray = np.argsort(mean, kind="stable")[:n_top]
    return float(mean[top[0]]), top


class GPSampler(BaseSampler):
    """Gaussian-process Bayesian optimization for mixed spaces, without PyTorch.

    Float and int parameters (log ones in log space) live on [0, 1]; a categorical one gets one
    lengthscale per choice (3+ choices; see ``categorical_kernel``) or a Hamming kernel (2
    choices). Each proposal maximises log expected improvement over random candidates and
    perturbations of the best trials. Running trials of other workers are added at the model's
    predicted value ("kriging believer"), so parallel workers propose different points. Past
    ``max_fit_points`` observations, the model is fitted on the best half and the most recent
    half of them, which keeps each proposal's time bounded as the study grows. While fewer than
    ``max(d + 2, 10)`` trials are complete, the model is fitted on every trial's value at the
    deepest step that many finished trials reported (pruned ones included): more points than
    the complete trials alone, at one fidelity.

    With several objectives (as Optuna 4.x's GPSampler): one GP per objective, fitted on its
    standardized losses (maximized objectives negated), and candidates scored by log expected
    hypervolume improvement over the observed front, from 128 fixed quasi-random draws of the
    posterior (see ``_multi_objective``); the same candidate search, running-trial believer and
    fitting subset (the best half by non-dominated rank, then the most recent). Only complete
    trials are fitted on there (pruned ones have no objective values).

    Args:
        deterministic_objective: the objective returns the same value for the same
            parameters: the model's noise is pinned at its floor (1e-6) instead of fitted.
        independent_sampler: samples the startup trials and the parameters outside the joint
            space (default: random).
        warn_independent_sampling: accepted for Optuna code; tftune gives no such warning.
        seed: makes the proposals reproducible (per trial number).
        n_startup_trials: trials sampled at random before the model takes over.
        n_candidates: random candidates per proposal (as many again around the best trials).
        max_fit_points: the most observations the model is fitted on.
        avoid_repeats: when every parameter is discrete (ints, stepped floats, categoricals),
            never propose a configuration that was already tried or is running, while untried
            ones remain, unless the objective turns out noisy (after ``PROBE_AFTER`` model-based
            trials the best configuration is proposed once more; when any configuration holds
            two different values, repeats are allowed: see ``_repeats``). Candidates are scored
            on the grid either way.
        constraints_func: ``(FrozenTrial) -> Sequence[float]``, evaluated when a trial
            finishes (a value > 0 is a violation). In a constrained study (this function, or
            constraints stored by another sampler) the incumbent is the best feasible trial and
            log EI is weighted by each constraint GP's probability of feasibility (see
            ``_feasibility``); with several objectives, log EHVI over the feasible front plus
            the same log probability (that alone while no trial is feasible), as Optuna does.
        categorical_kernel: ``"onehot"``: a categorical of 3 or more choices gets one
            lengthscale per choice (a mismatch costs ``1 / l_c^2 + 1 / l_c'^2``: one choice may
            stand apart from the others); ``"hamming"``: one lengthscale per categorical (every
            pair of choices equally far apart). 2-choice categoricals are the same either way.
            See benchmarks/results/samplers_generalisation.md for the measurement.
    """

    def __init__(
        self,
        *,
        deterministic_objective: bool = False,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        n_startup_trials: int = 10,
        n_candidates: int = 256,
        max_fit_points: int = 256,
        avoid_repeats: bool = True,
        constraints_func: ConstraintsFunc | None = None,
        categorical_kernel: str = "onehot",
    ) -> None:
        if categorical_kernel not in ("hamming", "onehot"):
            raise ValueError(
                f"`categorical_kernel` must be 'hamming' or 'onehot', got {categorical_kernel!r}."
            )
        self.categorical_kernel = categorical_kernel
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 1
        ):
            raise ValueError(
                f"`n_startup_trials` must be a positive int, got {n_startup_trials!r}."
            )
        if (
            isinstance(max_fit_points, bool)
            or not isinstance(max_fit_points, int)
            or max_fit_points < 10
        ):
            raise ValueError(f"`max_fit_points` must be an int >= 10, got {max_fit_points!r}.")
        self._seed = seed
        self._random = checked_sampler("independent_sampler", independent_sampler) or (
            RandomSampler(seed=seed)
        )
        self.deterministic_objective = bool(deterministic_objective)
        moot_argument(
            "GPSampler",
            "warn_independent_sampling",
            warn_independent_sampling,
            True,
            "tftune does not warn when a parameter is sampled independently.",
        )
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.max_fit_points = max_fit_points
        self.avoid_repeats = avoid_repeats
        self.constraints_func = check_constraints_func(constraints_func)
        self._outcomes: PerStudy[Outcomes] = PerStudy(Outcomes, Outcomes.add)
        self._tried: dict[SpaceKey, TriedConfigurations] = {}
        self._lock = threading.Lock()
        self._tables: dict[SpaceKey, ObservationTable] = {}
        # The model of each space and its data size at the last fit.
        # (With several objectives, keyed by (space key, objective index).)
        self._models: dict[Hashable, tuple[GaussianProcess, int]] = {}
        self._intersection = IntersectionSearchSpace()

    def __getstate__(self) -> dict[str, Any]:
        """Picklable: locks are rebuilt and this process's caches left out."""
        return portable_state(self, caches=("_tried", "_tables", "_models"))

    def __setstate__(self, state: dict[str, Any]) -> None:
        restore_state(self, state)

    def reseed_rng(self) -> None:
        self._seed = None
        self._random.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._intersection.calculate(study)

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, distribution)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: Any, values: Sequence[float] | None
    ) -> None:
        if self.constraints_func is not None:
            record_constraints(self.constraints_func, study, trial, state)
        self._random.after_trial(study, trial, state, values)

    def _updated_table(
        self,
        key: Any,
        search_space: dict[str, BaseDistribution],
        trials: Sequence[FrozenTrial],
        sign: float,
    ) -> ObservationTable:
        """The observations kept under ``key`` (a study and ``search_space``), brought up to
        date with ``trials`` (losses times ``sign``); call with ``self._lock`` held."""
        table = self._tables.get(key)
        if table is None:
            table = self._tables[key] = ObservationTable(search_space)
        table.update(trials, sign)
        return table

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        # The matrices are small: BLAS threads only contend (100x slower on a busy machine).
        with single_threaded_blas():
            return self._sample_relative(study, trial, search_space)

    def _sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if len(study.directions) > 1:
            return self._sample_relative_multi(study, trial, search_space)
        sign = 1.0 if study.direction == StudyDirection.MINIMIZE else -1.0
        trials = study.get_trials(deepcopy=False)
        key = (id(study.storage), study.study_id, tuple(sorted(search_space.items())))
        with self._lock:
            table = self._updated_table(key, search_space, trials, sign)
            rows, losses = table.leaders(rung_min_trials(len(search_space)))
            scan_from = table._scan_from
            if len(rows) < self.n_startup_trials:
                return {}
            best_row = int(rows[np.argmin(losses)])
            x_num, x_cat, numbers = (
                table.numeric[rows],
                table.categorical[rows],
                table.number[rows],
            )
        axes = [NumericAxis(as_numeric(search_space[n])) for n in table.numeric_names]
        lows, spans = np.array([a.low for a in axes]), np.array([a.high - a.low for a in axes])
        u_num = (x_num - lows) / spans if axes else x_num
        u_num, x_cat, losses, numbers = self._subset(u_num, x_cat, losses, numbers)
        finite = np.isfinite(losses)
        u_num, x_cat, losses = u_num[finite], x_cat[finite], losses[finite]
        if len(losses) < 2:
            return {}
        y = (losses - losses.mean()) / (losses.std() or 1.0)
        with self._outcomes.updated(study) as outcomes:
            constrained = outcomes.constrained
            constraints = outcomes.constraint_matrix(numbers[finite]) if constrained else None
        sizes = self._sizes(search_space, table)
        feasibility = (
            None if constraints is None else Feasibility(u_num, x_cat, y, constraints, sizes)
        )
        model = self._fit(key, u_num, x_cat, y, sizes)
        liar_model, liar_cat = _running(trials[scan_from:], trial, table, x_cat.shape[1])
        _believe([model], u_num, x_cat, y[:, None], (liar_model - lows) / spans, liar_cat)
        rng = np.random.default_rng(
            None if self._seed is None else [trial_seed(self._seed, trial.number), 7]
        )
        n_choices, grid, tried = self._grid(key, search_space, table, axes, liar_model, liar_cat)
        tracker = self._tried.get(key)
        if tracker is not None and tracker.noisy:  # two values of one configuration
            tried = None
        elif (
            tracker is not None
            and feasibility is None
            and len(rows) >= self.n_startup_trials + PROBE_AFTER
            and tracker.probe_due(table, grid.grid, best_row, liar_model, liar_cat)
        ):
            return table_configuration(table, search_space, best_row)
        best_y: float | None
        if feasibility is None:
            best_y, top = posterior_incumbent(model, u_num, x_cat)
        else:
            best_y, top = feasibility.incumbent, feasibility.order[:5]

        def acquisition(cand_num: np.ndarray, cand_cat: np.ndarray) -> np.ndarray:
            return self._log_ei(model, cand_num, cand_cat, best_y, feasibility)

        best_u, best_c = self._maximise(
            acquisition, top, u_num, x_cat, n_choices, rng, grid, tried
        )
        return self._proposal(search_space, table, axes, lows, spans, best_u, best_c)

    def _grid(
        self,
        key: SpaceKey,
        search_space: dict[str, BaseDistribution],
        table: ObservationTable,
        axes: list[NumericAxis],
        liar_model: np.ndarray,
        liar_cat: np.ndarray,
    ) -> tuple[list[int], _UnitGrid, set[bytes] | None]:
        """The categories' sizes, the grid of the stepped axes, and (when repeats are avoided
        on a finite grid) the configurations tried or running."""
        lows, spans = np.array([a.low for a in axes]), np.array([a.high - a.low for a in axes])
        n_choices = [len(as_categorical(search_space[n]).choices) for n in table.categorical_names]
        grid = _UnitGrid(DiscreteGrid(axes, n_choices), lows, spans)
        tried: set[bytes] | None = None
        if self.avoid_repeats and grid.grid.is_finite and not table.has_extra_params:
            tried = self._tried.setdefault(key, TriedConfigurations()).with_running(
                table, grid.grid, liar_model, liar_cat
            )
        return n_choices, grid, tried

    @staticmethod
    def _proposal(
        search_space: dict[str, BaseDistribution],
        table: ObservationTable,
        axes: list[NumericAxis],
        lows: np.ndarray,
        spans: np.ndarray,
        best_u: np.ndarray,
        best_c: np.ndarray,
    ) -> dict[str, Any]:
        """The parameters of the chosen candidate (unit cube and category indices)."""
        proposal: dict[str, Any] = {}
        for j, (name, axis) in enumerate(zip(table.numeric_names, axes, strict=True)):
            proposal[name] = axis.from_model(float(lows[j] + best_u[j] * spans[j]))
        for j, name in enumerate(table.categorical_names):
            distribution = search_space[name]
            assert isinstance(distribution, CategoricalDistribution)
            proposal[name] = distribution.choices[int(best_c[j])]
        return proposal

    def _sample_relative_multi(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Several objectives: log EHVI under one GP per objective (see ``_multi_objective``),
        plus the log probability of feasibility in a constrained study (that alone while no
        trial is feasible). Complete trials only: pruned ones carry no objective values."""
        directions = study.directions
        trials = study.get_trials(deepcopy=False)
        key = (id(study.storage), study.study_id, tuple(sorted(search_space.items())))
        with self._lock:
            table = self._updated_table(key, search_space, trials, 1.0)
            rows = np.flatnonzero(table.kind[: len(table)] == COMPLETE)
            scan_from = table._scan_from
            if len(rows) < self.n_startup_trials:
                return {}
            x_num, x_cat = table.numeric[rows], table.categorical[rows]
            numbers = table.number[rows]
        with self._outcomes.updated(study) as outcomes:
            outcomes.reserve(int(numbers.max(initial=0)))
            values = outcomes.values[numbers]
            constrained = outcomes.constrained
            constraints = outcomes.constraint_matrix(numbers) if constrained else None
        if values.shape[1] != len(directions):  # no complete trial read yet
            return {}
        loss = loss_values(values, directions)  # type: ignore[arg-type]
        finite = np.all(np.isfinite(loss), axis=1)
        x_num, x_cat, loss, numbers = x_num[finite], x_cat[finite], loss[finite], numbers[finite]
        if constraints is not None:
            constraints = constraints[finite]
        if len(loss) < 2:
            return {}
        penalty = None if constraints is None else np.maximum(constraints, 0.0).sum(axis=1)
        ranks = nondomination_ranks(loss, penalty)
        if len(loss) > self.max_fit_points:
            keep = self._kept(ranks, numbers)
            x_num, x_cat, loss, ranks = x_num[keep], x_cat[keep], loss[keep], ranks[keep]
            constraints = None if constraints is None else constraints[keep]
        axes = [NumericAxis(as_numeric(search_space[n])) for n in table.numeric_names]
        lows, spans = np.array([a.low for a in axes]), np.array([a.high - a.low for a in axes])
        u_num = (x_num - lows) / spans if axes else x_num
        y = (loss - loss.mean(axis=0)) / np.where(loss.std(axis=0) > 0, loss.std(axis=0), 1.0)
        sizes = self._sizes(search_space, table)
        models = [self._fit((key, j), u_num, x_cat, y[:, j], sizes) for j in range(y.shape[1])]
        feasibility = (
            None
            if constraints is None
            else Feasibility(u_num, x_cat, ranks.astype(float), constraints, sizes)
        )
        liar_model, liar_cat = _running(trials[scan_from:], trial, table, x_cat.shape[1])
        _believe(models, u_num, x_cat, y, (liar_model - lows) / spans, liar_cat)
        seed = None if self._seed is None else trial_seed(self._seed, trial.number)
        rng = np.random.default_rng(None if seed is None else [seed, 7])
        qmc_seed = int(np.random.default_rng(None if seed is None else [seed, 11]).integers(2**31))
        feasible = np.ones(len(y), bool) if constraints is None else np.all(constraints <= 0, 1)
        ehvi = (
            HypervolumeImprovement(
                models, y[feasible], normal_qmc_samples(y.shape[1], N_QMC_SAMPLES, qmc_seed)
            )
            if feasible.any()
            else None
        )

        def acquisition(cand_num: np.ndarray, cand_cat: np.ndarray) -> np.ndarray:
            score = ehvi(cand_num, cand_cat) if ehvi is not None else np.zeros(len(cand_num))
            if feasibility is not None:
                score = score + feasibility.log_probability(cand_num, cand_cat)
            return score

        # Local moves start from the best-ranked trials (the front; in a constrained study the
        # feasible front, else the least violating), the most recent first among equals.
        order = (
            np.lexsort((-np.arange(len(ranks)), ranks))
            if feasibility is None
            else feasibility.order
        )
        top = order[:5]
        n_choices, grid, tried = self._grid(key, search_space, table, axes, liar_model, liar_cat)
        best_u, best_c = self._maximise(
            acquisition, top, u_num, x_cat, n_choices, rng, grid, tried
        )
        return self._proposal(search_space, table, axes, lows, spans, best_u, best_c)

    def _subset(
        self, u_num: np.ndarray, x_cat: np.ndarray, losses: np.ndarray, numbers: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """At most ``max_fit_points`` observations: the best half and the most recent half."""
        if len(losses) <= self.max_fit_points:
            return u_num, x_cat, losses, numbers
        keep = self._kept(losses, numbers)
        return u_num[keep], x_cat[keep], losses[keep], numbers[keep]

    def _kept(self, ranks: np.ndarray, numbers: np.ndarray) -> np.ndarray:
        """Rows of the ``max_fit_points // 2`` best ``ranks`` (stable), then of the most recent
        of the others, up to ``max_fit_points``."""
        half = self.max_fit_points // 2
        best = np.argsort(ranks, kind="stable")[:half]
        rest = np.setdiff1d(np.arange(len(ranks)), best)
        recent = rest[np.argsort(numbers[rest])[-(self.max_fit_points - half) :]]
        keep: np.ndarray = np.concatenate([best, recent])
        return keep

    def _sizes(
        self, search_space: dict[str, BaseDistribution], table: ObservationTable
    ) -> list[int] | None:
        """The categories' sizes for a one-hot kernel; None for the Hamming one."""
        if self.categorical_kernel != "onehot":
            return None
        return [len(as_categorical(search_space[n]).choices) for n in table.categorical_names]

    def _fit(
        self,
        key: Hashable,
        u_num: np.ndarray,
        x_cat: np.ndarray,
        y: np.ndarray,
        sizes: list[int] | None = None,
    ) -> GaussianProcess:
        """Refit the hyperparameters when the data grew by a tenth since the last fit, else
        only condition on the new data."""
        with self._lock:
            previous = self._models.get(key)
        n_inputs = u_num.shape[1] + x_cat.shape[1]
        theta = previous[0].theta if previous else None
        det = self.deterministic_objective
        if previous is not None and len(y) < previous[1] * 1.1 + 1:
            model = GaussianProcess(n_inputs, theta, det, sizes)
            model.condition(u_num, x_cat, y)
            return model
        model = GaussianProcess(n_inputs, theta, det, sizes)
        model.fit(u_num, x_cat, y, max_iterations=50 if previous is None else 20)
        with self._lock:
            self._models[key] = (model, len(y))
        return model

    def _maximise(
        self,
        acquisition: Acquisition,
        top: np.ndarray,
        u_num: np.ndarray,
        x_cat: np.ndarray,
        n_choices: list[int],
        rng: np.random.Generator,
        grid: _UnitGrid,
        tried: set[bytes] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The candidate with the highest acquisition: random points, then local moves around
        the best trials (rows ``top`` of the observations), then rounds of ever finer moves
        around the best candidates so far (a pattern search: it polishes the continuous axes to
        ~1e-4 of their range); every candidate on the grid of the stepped axes, and (with
        ``tried``) none of the tried configurations while others remain."""
        d_num, m = u_num.shape[1], self.n_candidates
        random_num = rng.random((m, d_num))
        random_cat = (
            np.stack([rng.integers(k, size=m) for k in n_choices], axis=1)
            if n_choices
            else np.empty((m, 0), int)
        )
        anchors = rng.choice(top, size=m)
        local_num = _reflect(
            u_num[anchors] + rng.normal(0.0, 1.0, (m, d_num)) * grid.local_scales(rng, m)
        )
        local_cat = x_cat[anchors].copy()
        for j, k in enumerate(n_choices):
            flip = rng.random(m) < 0.2
            local_cat[flip, j] = rng.integers(k, size=int(flip.sum()))
        cand_num, cand_cat = (
            grid.snap(np.vstack([random_num, local_num])),
            np.vstack([random_cat, local_cat]),
        )
        score = _masked(acquisition, grid, tried, cand_num, cand_cat)
        per_anchor = max(m // (4 * POLISH_ANCHORS), 1)
        for scale in grid.polish_scales():
            if not len(scale):
                break  # no numeric axis to polish
            anchors = np.argsort(-score, kind="stable")[:POLISH_ANCHORS]
            anchors = anchors[np.isfinite(score[anchors])]
            if not len(anchors):
                break
            chosen = np.repeat(anchors, per_anchor)
            fine_num = grid.snap(
                _reflect(cand_num[chosen] + rng.normal(0.0, 1.0, (len(chosen), d_num)) * scale)
            )
            fine_cat = cand_cat[chosen]
            cand_num, cand_cat = np.vstack([cand_num, fine_num]), np.vstack([cand_cat, fine_cat])
            score = np.concatenate([score, _masked(acquisition, grid, tried, fine_num, fine_cat)])
        if (
            tried is not None
            and not np.isfinite(score).any()
            and grid.grid.size <= ENUMERATE_LIMIT
        ):
            every_model, every_cat = grid.grid.enumerate()
            untried = new_mask(grid.grid, tried, every_model, every_cat)
            if untried.any():  # a small grid nearly exhausted: choose among what is left
                cand_num, cand_cat = grid.to_unit(every_model[untried]), every_cat[untried]
                score = _masked(acquisition, grid, None, cand_num, cand_cat)
        if not np.isfinite(score).any():  # every candidate tried: the grid is exhausted
            score = _masked(acquisition, grid, None, cand_num, cand_cat)
        best = int(np.argmax(score))
        return cand_num[best], cand_cat[best]

    @staticmethod
    def _log_ei(
        model: GaussianProcess,
        cand_num: np.ndarray,
        cand_cat: np.ndarray,
        best_y: float | None,
        feasibility: Feasibility | None = None,
    ) -> np.ndarray:
        """log EI of the candidates (plus their log probability of feasibility in a
        constrained study; that alone while no trial is feasible)."""
        mean, std = model.predict(cand_num, cand_cat)
        score = log_expected_improvement(mean, std, best_y) if best_y is not None else 0.0 * mean
        if feasibility is not None:
            score = score + feasibility.log_probability(cand_num, cand_cat)
        return score


def _running(
    trials: Sequence[FrozenTrial], trial: FrozenTrial, table: ObservationTable, n_cat: int
) -> tuple[np.ndarray, np.ndarray]:
    """The other workers' running trials among ``trials``, on the table's axes (model scale)
    and as category indices."""
    liars = [
        row
        for t in trials  # the trials before are finished
        if t.state == TrialState.RUNNING
        and t.trial_id != trial.trial_id
        and (row := table.row(t)) is not None
    ]
    n_num = len(table.numeric_names)
    liar_model = np.array([r[0] for r in liars], dtype=float).reshape(len(liars), n_num)
    liar_cat = np.array([r[1] for r in liars], dtype=np.int64).reshape(len(liars), n_cat)
    return liar_model, liar_cat


def _believe(
    models: list[GaussianProcess],
    u_num: np.ndarray,
    x_cat: np.ndarray,
    y: np.ndarray,
    liar_num: np.ndarray,
    liar_cat: np.ndarray,
) -> None:
    """Kriging believer: condition each model (column ``j`` of ``y``) as if the running trials
    had returned its mean there."""
    if not len(liar_num):
        return
    for j, model in enumerate(models):
        liar_y, _ = model.predict(liar_num, liar_cat)
        model.condition(
            np.vstack([u_num, liar_num]),
            np.vstack([x_cat, liar_cat]),
            np.concatenate([y[:, j], liar_y]),
        )


def _masked(
    acquisition: Acquisition,
    grid: _UnitGrid,
    tried: set[bytes] | None,
    cand_num: np.ndarray,
    cand_cat: np.ndarray,
) -> np.ndarray:
    """The acquisition of the candidates, -inf for the tried ones."""
    score = acquisition(cand_num, cand_cat)
    if tried is not None:
        score[~new_mask(grid.grid, tried, grid.to_model(cand_num), cand_cat)] = -np.inf
    return score


class _UnitGrid:
    """:class:`DiscreteGrid` seen from the GP's unit cube (``u = (model - low) / span``)."""

    def __init__(self, grid: DiscreteGrid, lows: np.ndarray, spans: np.ndarray) -> None:
        self.grid, self.lows, self.spans = grid, lows, spans
        # Local moves reach the neighbouring grid values (a bin is 1 / n_values of the cube).
        self.bins = np.array([1.0 / n if n else 0.0 for n in grid.n_values])

    def local_scales(self, rng: np.random.Generator, m: int) -> np.ndarray:
        """Step sizes of ``m`` local moves, shape (m, d_num): on continuous axes log-uniform in
        [1e-3, 1e-1] of the range per move (a narrow optimum needs the small steps: at 5e-2 alone,
        every move off a near-optimal trial scored worse than far-away random points); on
        stepped axes at least one grid step."""
        factor = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), (m, 1)))
        return np.where(self.bins == 0, factor, np.maximum(self.bins, factor))

    def polish_scales(self) -> list[np.ndarray]:
        """Step sizes of the polishing rounds per axis: continuous axes 1e-2 of the range, then a
        fifth of that each round; stepped axes one grid step in the first round, then fixed."""
        continuous = self.bins == 0
        return [
            np.where(continuous, 0.01 * 0.2**k, self.bins if k == 0 else 0.0)
            for k in range(POLISH_ROUNDS)
        ]

    def to_model(self, u: np.ndarray) -> np.ndarray:
        model: np.ndarray = self.lows + u * self.spans
        return model

    def to_unit(self, model: np.ndarray) -> np.ndarray:
        u: np.ndarray = (model - self.lows) / self.spans
        return u

    def snap(self, u: np.ndarray) -> np.ndarray:
        return self.to_unit(self.grid.snap(self.to_model(u))) if self.grid.axes else u


def _reflect(u: np.ndarray) -> np.ndarray:
    """Fold perturbed points back into [0, 1] by reflection at the bounds (clipping would pile
    candidates onto the exact bounds, where parallel workers would propose the same point)."""
    u = np.abs(u)
    return np.clip(1.0 - np.abs(1.0 - u), 0.0, 1.0)
