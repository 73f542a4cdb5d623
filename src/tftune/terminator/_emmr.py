"""Expected minimum model regret (Ishibashi et al., "A stopping criterion for Bayesian
optimization by the gap of expected minimum simple regrets", AISTATS 2023)."""

from __future__ import annotations

import math
import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import norm

from tftune._experimental import experimental_class
from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution
from tftune.samplers._base import single_threaded_blas
from tftune.samplers._gp._model import GaussianProcess
from tftune.search_space import intersection_search_space
from tftune.terminator._improvement import BaseImprovementEvaluator
from tftune.terminator._regret_bound import fit_on_scores, scores_of, standardized_regret_bound
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.trial import FrozenTrial

#: The fraction of the largest float returned while the evaluator cannot judge (Optuna's
#: name, spelling included).
MARGIN_FOR_NUMARICAL_STABILITY = 0.1
#: What the evaluator returns while it cannot judge (never below any error: no stop).
NO_ESTIMATE = sys.float_info.max * MARGIN_FOR_NUMARICAL_STABILITY


def posterior_covariance(
    model: GaussianProcess,
    u_num: np.ndarray,
    x_cat: np.ndarray,
    y: np.ndarray,
    a: tuple[np.ndarray, np.ndarray],
    b: tuple[np.ndarray, np.ndarray],
) -> float:
    """The model's posterior covariance of f(a) and f(b), from public predictions: observing
    ``z`` at ``a`` (with the model's noise) moves the mean at ``b`` by
    ``cov(a, b) / (var(a) + noise) * (z - mean(a))``, so one extra observation gives it."""
    mean, std = model.predict(np.vstack([a[0], b[0]]), np.vstack([a[1], b[1]]))
    probe = model.unconditioned()
    probe.condition(
        np.vstack([u_num, a[0]]), np.vstack([x_cat, a[1]]), np.append(y, mean[0] + 1.0)
    )
    moved, _ = probe.predict(b[0], b[1])
    return float((moved[0] - mean[1]) * (std[0] ** 2 + model.noise + 1e-9))


@experimental_class("4.0.0")
class EMMREvaluator(BaseImprovementEvaluator):
    """A bound of how much the expected minimum simple regret changed with the last trial: GPs
    fitted on all complete trials and on all but the last one (same hyperparameters), the
    change of their best predicted values, and the regret bound of the earlier GP times the
    root of half the KL divergence between the two posteriors (the information the last
    trial brought). In standardised units (values divided by their standard deviation), as
    Optuna's; pair it with ``MedianErrorEvaluator(EMMREvaluator())``. Returns a huge value
    (no stop) while fewer than ``min_n_trials`` trials are complete.

    Args:
        deterministic_objective: pin the GP's noise at its floor.
        delta: the confidence bounds hold with probability ``1 - delta``.
        min_n_trials: complete trials needed (at least 2).
        seed: the random points where the upper confidence bound is maximised.
    """

    def __init__(
        self,
        deterministic_objective: bool = False,
        delta: float = 0.1,
        min_n_trials: int = 2,
        seed: int | None = None,
    ) -> None:
        if isinstance(min_n_trials, bool) or not isinstance(min_n_trials, int) or min_n_trials < 2:
            raise ValueError(f"`min_n_trials` must be an int >= 2, got {min_n_trials!r}.")
        if isinstance(delta, bool) or not isinstance(delta, (int, float)) or not 0 < delta < 1:
            raise ValueError(f"`delta` must be a number in (0, 1), got {delta!r}.")
        self._deterministic = bool(deterministic_objective)
        self._delta = float(delta)
        self.min_n_trials = min_n_trials
        self._rng = np.random.default_rng(seed)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if len(complete) < self.min_n_trials:
            return NO_ESTIMATE
        search_space = intersection_search_space(complete)
        if not search_space:
            warnings.warn(
                "EMMREvaluator: the complete trials share no parameter; it never stops this "
                "study.",
                UserWarning,
                stacklevel=2,
            )
            return NO_ESTIMATE
        scores = scores_of(complete, study_direction)
        y = (scores - scores.mean()) / max(float(scores.std()), sys.float_info.min)
        with single_threaded_blas():
            return min(sys.float_info.max * 0.5, self._evaluate(search_space, complete, y))

    def _evaluate(
        self, search_space: dict[str, BaseDistribution], complete: list[FrozenTrial], y: np.ndarray
    ) -> float:
        now, u_num, x_cat = fit_on_scores(search_space, complete, y, self._deterministic)
        before = now.unconditioned()
        before.condition(u_num[:-1], x_cat[:-1], y[:-1])
        best_now, best_before = int(np.argmax(y)), int(np.argmax(y[:-1]))

        def at(i: int) -> tuple[np.ndarray, np.ndarray]:
            return u_num[i : i + 1], x_cat[i : i + 1]

        rows = [best_now, best_before]
        mean_now, std_now = now.predict(u_num[rows], x_cat[rows])
        mu_now, var_now, var_now_at_before = mean_now[0], std_now[0] ** 2, std_now[1] ** 2
        mu_before = float(before.predict(*at(best_before))[0][0])
        if best_now == best_before:
            cov = var_now
        else:
            cov = posterior_covariance(now, u_num, x_cat, y, at(best_now), at(best_before))
        # the gap of the expected minimum simple regrets (Theorem 1)
        v = math.sqrt(max(1e-10, var_now - 2.0 * cov + var_now_at_before))
        g = (mu_now - mu_before) / v
        gap = (mu_before - mu_now) + v * float(norm.pdf(g)) + v * g * float(norm.cdf(g))
        # KL divergence of the posteriors after and before the last observation (eq. 4)
        mean_last, std_last = before.predict(*at(len(y) - 1))
        var_last, noise = std_last[0] ** 2, now.noise + 1e-9
        kl = 0.5 * (
            math.log1p(var_last / noise)
            - var_last / (var_last + noise)
            + var_last * (y[-1] - mean_last[0]) ** 2 / (var_last + noise) ** 2
        )
        kappa = standardized_regret_bound(
            before, search_space, u_num[:-1], x_cat[:-1], self._rng, self._delta
        )
        return float(gap + kappa * math.sqrt(max(0.5 * kl, 0.0)))
