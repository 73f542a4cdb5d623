"""An upper bound of the regret, from a Gaussian process on the best trials (Makarova et al.,
"Automatic termination for hyperparameter optimization", 2022)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tftune._experimental import experimental_class
from tftune._direction import StudyDirection
from tftune.distributions import BaseDistribution, CategoricalDistribution
from tftune.samplers._base import single_threaded_blas
from tftune.samplers._gp._model import GaussianProcess, unit_inputs
from tftune.search_space import intersection_search_space
from tftune.terminator._checks import positive_int
from tftune.terminator._improvement import DEFAULT_MIN_N_TRIALS, BaseImprovementEvaluator
from tftune.trial._state import TrialState

if TYPE_CHECKING:
    from tftune.trial import FrozenTrial

DEFAULT_TOP_TRIALS_RATIO = 0.5
#: Random points where the upper confidence bound is maximised (besides the observed ones).
N_UCB_CANDIDATES = 2048


def confidence_beta(n_params: int, n_trials: int, delta: float = 0.1) -> float:
    """The squared width of the confidence bounds: GP-UCB's ``2 log(d t^2 pi^2 / (6 delta))``
    (Srinivas et al. 2010), scaled down by 5 as in their experiments."""
    return 2.0 * math.log(n_params * n_trials**2 * math.pi**2 / 6.0 / delta) / 5.0


def fit_on_scores(
    search_space: dict[str, BaseDistribution],
    trials: Sequence[FrozenTrial],
    scores: np.ndarray,
    deterministic: bool = False,
) -> tuple[GaussianProcess, np.ndarray, np.ndarray]:
    """A GP fitted on the trials' scores (already standardised); returns it and its inputs."""
    u_num, x_cat = unit_inputs(search_space, [t.params for t in trials])
    model = GaussianProcess(u_num.shape[1] + x_cat.shape[1], deterministic=deterministic)
    model.fit(u_num, x_cat, scores)
    return model, u_num, x_cat


def standardized_regret_bound(
    model: GaussianProcess,
    search_space: dict[str, BaseDistribution],
    u_num: np.ndarray,
    x_cat: np.ndarray,
    rng: np.random.Generator,
    delta: float = 0.1,
) -> float:
    """max UCB over the space (the observed points and random ones) minus max LCB over the
    observed points, in the model's (standardised, larger-is-better) units."""
    n, n_params = len(u_num), u_num.shape[1] + x_cat.shape[1]
    width = math.sqrt(confidence_beta(n_params, n, delta))
    choices = [
        len(d.choices) for d in search_space.values() if isinstance(d, CategoricalDistribution)
    ]
    random_num = rng.random((N_UCB_CANDIDATES, u_num.shape[1]))
    random_cat = (
        np.stack([rng.integers(k, size=N_UCB_CANDIDATES) for k in choices], axis=1)
        if choices
        else np.empty((N_UCB_CANDIDATES, 0), dtype=np.int64)
    )
    mean, std = model.predict(np.vstack([u_num, random_num]), np.vstack([x_cat, random_cat]))
    upper = float(np.max(mean + width * std))
    lower = float(np.max(mean[:n] - width * std[:n]))
    return upper - lower


def scores_of(trials: Sequence[FrozenTrial], direction: StudyDirection) -> np.ndarray:
    """The trials' values, larger is better; infinite ones replaced by the worst finite one."""
    sign = 1.0 if direction == StudyDirection.MAXIMIZE else -1.0
    scores = sign * np.array([float(t.value) for t in trials])  # type: ignore[arg-type]
    finite = np.isfinite(scores)
    if not finite.all():
        floor = scores[finite].min() if finite.any() else 0.0
        scores = np.where(finite, scores, floor)
    return scores


@experimental_class("3.2.0")
class RegretBoundEvaluator(BaseImprovementEvaluator):
    """How much the best value may still improve, with high probability: a GP (tftune's
    ``GPSampler`` model) is fitted on the best ``max(top_trials_ratio * n, min_n_trials)``
    complete trials, and the bound is the largest upper confidence bound anywhere minus the
    largest lower confidence bound at a tried point, in the objective's units. Needs a
    parameter that every complete trial has (the intersection search space)."""

    def __init__(
        self,
        top_trials_ratio: float = DEFAULT_TOP_TRIALS_RATIO,
        min_n_trials: int = DEFAULT_MIN_N_TRIALS,
        seed: int | None = None,
    ) -> None:
        if isinstance(top_trials_ratio, bool) or not (
            isinstance(top_trials_ratio, (int, float)) and 0.0 < top_trials_ratio <= 1.0
        ):
            raise ValueError(
                f"`top_trials_ratio` must be a number in (0, 1], got {top_trials_ratio!r}."
            )
        self._top_trials_ratio = float(top_trials_ratio)
        self._min_n_trials = positive_int("min_n_trials", min_n_trials)
        self._rng = np.random.default_rng(seed)

    def evaluate(self, trials: list[FrozenTrial], study_direction: StudyDirection) -> float:
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if not complete:
            raise ValueError("No trial is complete yet; the regret bound cannot be evaluated.")
        search_space = intersection_search_space(complete)
        if not search_space:
            raise ValueError(
                "The complete trials share no parameter (the intersection search space is "
                "empty); RegretBoundEvaluator needs one."
            )
        scores = scores_of(complete, study_direction)
        n = len(complete)
        n_top = min(max(int(n * self._top_trials_ratio), self._min_n_trials), n)
        top = np.argsort(-scores, kind="stable")[:n_top]
        top_scores = scores[top]
        scale = max(float(top_scores.std()), 1e-10)
        with single_threaded_blas():
            model, u_num, x_cat = fit_on_scores(
                search_space, [complete[i] for i in top], (top_scores - top_scores.mean()) / scale
            )
            bound = standardized_regret_bound(model, search_space, u_num, x_cat, self._rng)
        return bound * scale
