"""CMA-ES: an evolution strategy that adapts a full covariance matrix to the objective.

Strong on continuous spaces of several dimensions (the sampler benchmark's 10-dimensional
tasks). The optimizer's state is rebuilt from the study's trials (never pickled): every
process replays the same generations, so workers sharing a study agree.
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from tftune._direction import StudyDirection
from tftune._experimental import warn_experimental_argument
from tftune.distributions import BaseDistribution, FloatDistribution, IntDistribution
from tftune.samplers._base import BaseSampler
from tftune.samplers._intersection import IntersectionSearchSpace
from tftune.samplers._optuna_args import checked_sampler, moot_argument
from tftune.samplers._random import RandomSampler, trial_seed
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.study._study import Study

_RESAMPLES = 100  # draws tried for a point inside the box before clipping
#: The system attribute holding a trial's point on the unit cube before CMA-ES with margin
#: encoded it (the update learns from that point, not from the rounded parameters).
RAW_POINT_KEY = "cmawm:x"


class _Strategy:
    """CMA-ES on the unit cube (Hansen's standard parameters, weights for the best half).

    ``separable``: sep-CMA-ES (Ros and Hansen 2008): the covariance is kept diagonal and
    learned with rates ``(d + 2) / 3`` times larger, so each generation costs O(d) and it
    learns faster on separable objectives.

    ``borders``: CMA-ES with margin (Hamano et al. 2022) for discrete axes: ``borders[j]``
    holds the points of axis ``j`` where the rounding moves to the next value (empty:
    continuous). Its points are encoded to
    ``mean + scale * (x - mean)`` before rounding, and after each update the mean and that
    per-axis ``scale`` are corrected so that the chance of landing on a neighbouring value
    never falls below ``margin``: the search does not freeze on one integer.
    """

    def __init__(
        self,
        mean: np.ndarray,
        sigma: float,
        popsize: int | None,
        cov: np.ndarray | None = None,
        *,
        separable: bool = False,
        borders: list[np.ndarray] | None = None,
    ) -> None:
        d = len(mean)
        self.d = d
        self.popsize = popsize or 4 + int(3 * math.log(d))
        mu = self.popsize // 2
        weights = math.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
        self.weights = weights / weights.sum()
        self.mu_eff = 1.0 / float((self.weights**2).sum())
        self.c_sigma = (self.mu_eff + 2) / (d + self.mu_eff + 5)
        self.d_sigma = 1 + 2 * max(0.0, math.sqrt((self.mu_eff - 1) / (d + 1)) - 1) + self.c_sigma
        self.c_c = (4 + self.mu_eff / d) / (d + 4 + 2 * self.mu_eff / d)
        self.c_1 = 2 / ((d + 1.3) ** 2 + self.mu_eff)
        self.c_mu = min(
            1 - self.c_1, 2 * (self.mu_eff - 2 + 1 / self.mu_eff) / ((d + 2) ** 2 + self.mu_eff)
        )
        self.separable = separable
        if separable:
            boost = (d + 2) / 3
            self.c_1 = min(1.0, self.c_1 * boost)
            self.c_mu = min(1.0 - self.c_1, self.c_mu * boost)
        self.chi_n = math.sqrt(d) * (1 - 1 / (4 * d) + 1 / (21 * d * d))
        self.mean, self.sigma = mean.astype(float), float(sigma)
        self.cov = np.eye(d) if cov is None else np.array(cov, dtype=float)
        self.p_sigma, self.p_c = np.zeros(d), np.zeros(d)
        self.generation = 0
        self.borders = borders if borders is not None else [np.empty(0)] * d
        self.discrete = np.array([len(b) > 0 for b in self.borders], dtype=bool)
        self.scale = np.ones(d)  # CMA-ES with margin's per-axis encoding scale ("A")
        self.margin = 1.0 / (d * self.popsize)

    def _factor(self) -> np.ndarray:
        """A matrix ``F`` with ``F @ F.T == cov`` (the square root of the diagonal if
        separable)."""
        if self.separable:
            return np.diag(np.sqrt(np.maximum(np.diag(self.cov), 1e-20)))
        eigenvalues, basis = np.linalg.eigh(self.cov)
        return basis * np.sqrt(np.maximum(eigenvalues, 1e-20))  # type: ignore[no-any-return]

    def sample(self, rng: np.random.Generator) -> np.ndarray:
        scale = self._factor()
        for _ in range(_RESAMPLES):
            x = self.mean + self.sigma * scale @ rng.standard_normal(self.d)
            if np.all((x >= 0) & (x <= 1)):
                return np.asarray(x, dtype=float)
        return np.asarray(np.clip(x, 0.0, 1.0), dtype=float)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """The point whose parameters a trial gets: discrete axes scaled around the mean."""
        discrete = self.discrete
        out = np.array(x, dtype=float)
        out[discrete] = self.mean[discrete] + self.scale[discrete] * (
            x[discrete] - self.mean[discrete]
        )
        return np.asarray(np.clip(out, 0.0, 1.0), dtype=float)

    def tell(self, points: np.ndarray, losses: np.ndarray) -> None:
        """One generation's update from its ``popsize`` points and losses (lower is better)."""
        order = np.argsort(losses, kind="stable")[: len(self.weights)]
        y = (points[order] - self.mean) / self.sigma
        y_w = self.weights @ y
        self.mean = self.mean + self.sigma * y_w
        if self.separable:
            whitened = y_w / np.sqrt(np.maximum(np.diag(self.cov), 1e-20))
        else:
            eigenvalues, basis = np.linalg.eigh(self.cov)
            inv_sqrt = basis @ np.diag(1 / np.sqrt(np.maximum(eigenvalues, 1e-20))) @ basis.T
            whitened = inv_sqrt @ y_w
        cs, cc, c1, cmu = self.c_sigma, self.c_c, self.c_1, self.c_mu
        self.p_sigma = (1 - cs) * self.p_sigma + math.sqrt(cs * (2 - cs) * self.mu_eff) * whitened
        norm = float(np.linalg.norm(self.p_sigma))
        h_sigma = (
            norm / math.sqrt(1 - (1 - cs) ** (2 * (self.generation + 1)))
            < (1.4 + 2 / (self.d + 1)) * self.chi_n
        )
        self.p_c = (1 - cc) * self.p_c + h_sigma * math.sqrt(cc * (2 - cc) * self.mu_eff) * y_w
        keep = 1 - c1 - cmu + (1 - h_sigma) * c1 * cc * (2 - cc)
        if self.separable:
            diagonal = keep * np.diag(self.cov) + c1 * self.p_c**2 + cmu * (self.weights @ y**2)
            self.cov = np.diag(diagonal)
        else:
            rank_mu = (y.T * self.weights) @ y
            self.cov = keep * self.cov + c1 * np.outer(self.p_c, self.p_c) + cmu * rank_mu
            self.cov = (self.cov + self.cov.T) / 2
        self.sigma *= math.exp(min(1.0, (cs / self.d_sigma) * (norm / self.chi_n - 1)))
        self.generation += 1
        if np.any(self.discrete):
            self._correct_margin()

    def _correct_margin(self) -> None:
        """Keep, on each discrete axis, the chance of leaving the mean's bin for a neighbour
        at least ``margin`` (each side ``margin / 2`` inside the range, ``margin`` towards the
        only neighbour of an end bin), by moving the mean and the axis's encoding scale."""
        normal = NormalDist()
        alpha = self.margin
        spread = self.sigma * np.sqrt(np.maximum(np.diag(self.cov), 1e-20))
        for j in np.flatnonzero(self.discrete):
            thresholds = self.borders[j]
            m, s = float(self.mean[j]), float(spread[j] * self.scale[j])
            below, above = thresholds[thresholds <= m], thresholds[thresholds > m]
            if len(below) == 0 or len(above) == 0:  # an end bin: one neighbour
                border = float(above[0] if len(below) == 0 else below[-1])
                if normal.cdf(-abs(m - border) / s) < alpha:
                    side = 1.0 if m >= border else -1.0
                    self.mean[j] = border + side * s * normal.inv_cdf(1 - alpha)
                continue
            low, high = float(below[-1]), float(above[0])
            p_low, p_high = normal.cdf((low - m) / s), 1 - normal.cdf((high - m) / s)
            floor = alpha / 2
            if p_low >= floor and p_high >= floor:
                continue
            parts = np.array([max(p_low, floor), 1 - p_low - p_high, max(p_high, floor)])
            extra = parts.sum() - 1  # what the raised tails took: from the parts above floor
            room = np.maximum(parts - floor, 0.0)
            parts -= extra * room / room.sum()
            q_low, q_high = (float(np.clip(p, 1e-10, 0.5 - 1e-10)) for p in parts[[0, 2]])
            z_low, z_high = normal.inv_cdf(1 - q_low), normal.inv_cdf(1 - q_high)
            width = (high - low) / (z_low + z_high)  # the encoded axis's new spread
            self.mean[j] = (low * z_high + high * z_low) / (z_low + z_high)
            self.scale[j] = width / spread[j]


class _Run:
    """One study's strategy and how many of its complete trials it has consumed."""

    def __init__(self, names: list[str], strategy: _Strategy) -> None:
        self.names = names
        self.strategy = strategy
        self.consumed = 0


class CmaEsSampler(BaseSampler):
    """CMA-ES over the numeric parameters every trial shares (ints and stepped floats are
    searched continuously and rounded); categorical and define-by-run parameters come from
    ``independent_sampler``.

    Generations are the study's complete trials in number order, ``popsize`` at a time (a
    generation is used once no earlier-numbered trial is still running), after the first
    ``n_startup_trials``; failed and pruned trials are left out.

    Args:
        x0: the initial mean, as ``{name: value}`` (default: the middle of each range).
        sigma0: the initial step size on the unit cube (default: 1/6 of each range).
        n_startup_trials: trials sampled by ``independent_sampler`` first.
        independent_sampler: samples startup trials and parameters outside the space
            (default: random).
        warn_independent_sampling: accepted for Optuna code; tftune gives no such warning.
        seed: makes the proposals reproducible (per trial number).
        popsize: the population size (default: 4 + 3 ln d).
        source_trials: warm starting (WS-CMA-ES): the initial mean, step size and covariance
            are those of the best 10% of these trials of a similar task (their complete trials
            over the same parameters, ranked in this study's direction), widened by 0.1 per
            axis of the unit cube. Not with ``x0`` or ``sigma0``.
        consider_pruned_trials: pruned trials join the generations too, with their last
            reported value as their loss.
        use_separable_cma: sep-CMA-ES, a diagonal covariance learned faster (for many
            parameters, or objectives close to separable). Ignored, with a warning, for one
            parameter; not with ``source_trials``.
        with_margin: CMA-ES with margin, for integer and stepped parameters: it keeps a
            minimum chance of trying the neighbouring values, so the search does not stall on
            one of them. Each trial's unrounded point is stored in its system attributes.

    ``consider_pruned_trials``, ``use_separable_cma``, ``with_margin`` and ``source_trials``
    give Optuna's ExperimentalWarning. Optuna's ``restart_strategy`` and ``lr_adapt`` are not
    implemented: other values than their defaults raise ValueError.
    """

    def __init__(
        self,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        *,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = 2,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: list[FrozenTrial] | None = None,
    ) -> None:
        for name, value, default in (
            ("restart_strategy", restart_strategy, None),
            ("lr_adapt", lr_adapt, False),
        ):
            if value != default:
                raise ValueError(
                    f"CmaEsSampler({name}={value!r}) is not implemented in tftune; "
                    f"leave it at {default!r}."
                )
        for name, flag in (
            ("consider_pruned_trials", consider_pruned_trials),
            ("use_separable_cma", use_separable_cma),
            ("with_margin", with_margin),
        ):
            if not isinstance(flag, bool):
                raise TypeError(f"`{name}` must be a bool, got {flag!r}.")
            if flag:
                warn_experimental_argument(name)
        if source_trials is not None:
            warn_experimental_argument("source_trials")
        if source_trials is not None and (x0 is not None or sigma0 is not None):
            raise ValueError(
                "CmaEsSampler: `source_trials` cannot be combined with `x0` or `sigma0` (the "
                "warm start sets both)."
            )
        if source_trials is not None and use_separable_cma:
            raise ValueError(
                "CmaEsSampler: `source_trials` cannot be combined with use_separable_cma=True "
                "(the warm start learns a full covariance)."
            )
        if use_separable_cma and with_margin:
            raise ValueError(
                "CmaEsSampler: use_separable_cma=True and with_margin=True cannot be combined; "
                "choose one."
            )
        del inc_popsize  # used only by restart strategies
        if sigma0 is not None and not (isinstance(sigma0, (int, float)) and sigma0 > 0):
            raise ValueError(f"`sigma0` must be a positive number, got {sigma0!r}.")
        if popsize is not None and (
            isinstance(popsize, bool) or not isinstance(popsize, int) or popsize < 2
        ):
            raise ValueError(f"`popsize` must be an int >= 2, got {popsize!r}.")
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, int)
            or n_startup_trials < 0
        ):
            raise ValueError(
                f"`n_startup_trials` must be a non-negative int, got {n_startup_trials!r}."
            )
        moot_argument(
            "CmaEsSampler",
            "warn_independent_sampling",
            warn_independent_sampling,
            True,
            "tftune does not warn when a parameter is sampled independently.",
        )
        self._x0 = dict(x0) if x0 is not None else None
        self._source_trials = list(source_trials) if source_trials is not None else None
        self._sigma0 = sigma0
        self._n_startup_trials = n_startup_trials
        self._popsize = popsize
        self._consider_pruned = consider_pruned_trials
        self._separable = use_separable_cma
        self._with_margin = with_margin
        self._seed = seed if seed is not None else _fresh_seed()
        self._independent = checked_sampler("independent_sampler", independent_sampler) or (
            RandomSampler(seed=seed)
        )
        self._intersection = IntersectionSearchSpace()
        self._runs: dict[tuple[int, int, tuple[str, ...]], _Run] = {}
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        self._seed = _fresh_seed()
        self._independent.reseed_rng()

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return {
            name: d
            for name, d in self._intersection.calculate(study).items()
            if isinstance(d, (FloatDistribution, IntDistribution)) and not d.single()
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space or trial.number < self._n_startup_trials:
            return {}
        if len(study.directions) > 1:
            raise ValueError("CmaEsSampler is for single-objective studies.")
        names = sorted(search_space)
        with self._lock:
            run = self._run(study, names, search_space)
            self._catch_up(study, run, search_space)
            rng = np.random.default_rng(trial_seed(self._seed, trial.number))
            point = run.strategy.sample(rng)
            if self._with_margin:
                study.storage.set_trial_attr(
                    trial.trial_id, RAW_POINT_KEY, point.tolist(), system=True
                )
                point = run.strategy.encode(point)
        return {
            name: _from_unit(search_space[name], float(u))
            for name, u in zip(names, point, strict=True)
        }

    def _run(self, study: Study, names: list[str], space: dict[str, BaseDistribution]) -> _Run:
        key = (id(study), len(study.directions), tuple(names))
        run = self._runs.get(key)
        if run is None:
            if self._source_trials is not None:
                mean, sigma, cov = _warm_start(
                    self._source_trials, names, space, study.directions[0]
                )
            else:
                x0 = self._x0 or {}
                mean = np.array([_to_unit(space[n], x0[n]) if n in x0 else 0.5 for n in names])
                sigma, cov = self._sigma0 or 1 / 6, None
            separable = self._separable
            if separable and len(names) == 1:
                warnings.warn(
                    "CmaEsSampler(use_separable_cma=True): separable CMA-ES means nothing for "
                    "a single parameter; using CMA-ES.",
                    UserWarning,
                    stacklevel=4,
                )
                separable = False
            borders = [_borders(space[n]) for n in names] if self._with_margin else None
            strategy = _Strategy(
                mean, sigma, self._popsize, cov, separable=separable, borders=borders
            )
            run = self._runs[key] = _Run(names, strategy)
        return run

    def _catch_up(self, study: Study, run: _Run, space: dict[str, BaseDistribution]) -> None:
        """Feed the strategy every whole generation of complete trials not yet consumed."""
        trials = study.get_trials(deepcopy=False)
        running = [t.number for t in trials if t.state == TrialState.RUNNING]
        oldest_running = min(running) if running else math.inf
        usable = [
            t
            for t in trials
            if self._loss(t) is not None
            and t.number >= self._n_startup_trials
            and all(n in t.params for n in run.names)
        ]
        size = run.strategy.popsize
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        while len(usable) >= run.consumed + size:
            generation = usable[run.consumed : run.consumed + size]
            if generation[-1].number > oldest_running:
                break  # an earlier trial may still join this generation
            points = np.array([self._point(t, run.names, space) for t in generation])
            losses = np.array([sign * self._loss(t) for t in generation])  # type: ignore[operator]
            run.strategy.tell(points, losses)
            run.consumed += size

    def _loss(self, trial: FrozenTrial) -> float | None:
        """The value CMA-ES ranks ``trial`` by: its value, or with ``consider_pruned_trials``
        a pruned trial's last reported value; None if it has none."""
        if trial.state == TrialState.COMPLETE and trial.values:
            return float(trial.values[0])
        pruned = self._consider_pruned and trial.state == TrialState.PRUNED
        if pruned and trial.intermediate_values:
            return float(trial.intermediate_values[max(trial.intermediate_values)])
        return None

    def _point(
        self, trial: FrozenTrial, names: list[str], space: dict[str, BaseDistribution]
    ) -> list[float]:
        """``trial`` on the unit cube: its unrounded point when CMA-ES with margin drew it."""
        raw = trial.system_attrs.get(RAW_POINT_KEY) if self._with_margin else None
        if isinstance(raw, list) and len(raw) == len(names):
            return [float(u) for u in raw]
        return [_to_unit(space[n], trial.params[n]) for n in names]

    def sample_independent(
        self, study: Study, trial: FrozenTrial, param_name: str, distribution: BaseDistribution
    ) -> Any:
        return self._independent.sample_independent(study, trial, param_name, distribution)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(
        self, study: Study, trial: FrozenTrial, state: TrialState, values: Sequence[float] | None
    ) -> None:
        self._independent.after_trial(study, trial, state, values)


#: WS-CMA-ES's priors (Nomura et al., 2021): the share of source trials kept, and the spread
#: added around each of them on the unit cube.
_WARM_TOP_SHARE = 0.1
_WARM_SPREAD = 0.1


def _warm_start(
    source_trials: Sequence[FrozenTrial],
    names: list[str],
    space: dict[str, BaseDistribution],
    direction: StudyDirection,
) -> tuple[np.ndarray, float, np.ndarray]:
    """Initial mean, step size and covariance from the best source trials (unit cube).

    The best ones are treated as a mixture of Gaussians of spread ``_WARM_SPREAD`` around each;
    the strategy starts from that mixture's mean and covariance, its scale split off as sigma.
    """
    sign = -1.0 if direction == StudyDirection.MAXIMIZE else 1.0
    usable = [
        t
        for t in source_trials
        if t.state == TrialState.COMPLETE
        and t.values is not None
        and len(t.values) == 1
        and all(t.distributions.get(n) == space[n] for n in names)
    ]
    if not usable:
        raise ValueError(
            "CmaEsSampler(source_trials=...): no complete single-objective trial among the "
            f"{len(source_trials)} source trials has the parameters {names} with this study's "
            "distributions."
        )
    n_top = math.floor(len(usable) * _WARM_TOP_SHARE)
    if n_top < 1:
        raise ValueError(
            "CmaEsSampler(source_trials=...) keeps the best 10% of the source trials, so it "
            f"needs at least 10 compatible complete trials; got {len(usable)}."
        )
    best = sorted(usable, key=lambda t: sign * t.values[0])[:n_top]  # type: ignore[index]
    points = np.array([[_to_unit(space[n], t.params[n]) for n in names] for t in best])
    d = len(names)
    mean = points.mean(axis=0)
    centred = points - mean
    mixture_cov = _WARM_SPREAD**2 * np.eye(d) + centred.T @ centred / n_top
    det = float(np.linalg.det(mixture_cov))
    sigma = max(det ** (1 / (2 * d)), 1e-10)
    return mean, sigma, mixture_cov / sigma**2


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().generate_state(1)[0])


def _borders(distribution: BaseDistribution) -> np.ndarray:
    """Where, on CMA-ES's unit axis, rounding passes from one value of a parameter to the next
    (the margin's thresholds); empty for continuous ones. Log ranges count as continuous, as
    in Optuna."""
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    step = distribution.step
    if distribution.log or not step:
        return np.empty(0)
    n = int(round((distribution.high - distribution.low) / step)) + 1
    values = distribution.low + step * (np.arange(n - 1) + 0.5)
    low, high = _bounds(distribution)
    return np.asarray((values - low) / (high - low), dtype=float)


def _bounds(distribution: FloatDistribution | IntDistribution) -> tuple[float, float]:
    """The range on the scale CMA-ES searches: log for log ranges; ints widened by 0.5."""
    pad = 0.5 if isinstance(distribution, IntDistribution) or distribution.step else 0.0
    if isinstance(distribution, FloatDistribution) and distribution.step:
        pad = distribution.step / 2
    low, high = distribution.low - pad, distribution.high + pad
    if distribution.log:
        return math.log(max(low, distribution.low / 2)), math.log(high)
    return low, high


def _to_unit(distribution: BaseDistribution, value: Any) -> float:
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    low, high = _bounds(distribution)
    x = math.log(value) if distribution.log else float(value)
    return min(1.0, max(0.0, (x - low) / (high - low)))


def _from_unit(distribution: BaseDistribution, u: float) -> Any:
    assert isinstance(distribution, (FloatDistribution, IntDistribution))
    low, high = _bounds(distribution)
    x = low + u * (high - low)
    value = math.exp(x) if distribution.log else x
    if isinstance(distribution, IntDistribution) or distribution.step:
        step = distribution.step or 1
        k = round((value - distribution.low) / step)
        value = distribution.low + k * step
    value = min(max(value, distribution.low), distribution.high)
    return int(round(value)) if isinstance(distribution, IntDistribution) else float(value)
