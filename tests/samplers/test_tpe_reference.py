"""TPE's fast path (state kept across proposals, reused arrays, vectorised densities) proposes
exactly what a from-scratch computation proposes, and its densities match a plain one."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import truncnorm

import tftune
from tftune.samplers import RandomSampler, TPESampler
from tftune.samplers._tpe import _parzen, _sampler
from tftune.trial._state import TrialState


def mixed_objective(trial) -> float:
    x = trial.suggest_float("x", -3.0, 3.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    k = trial.suggest_int("k", 1, 64, log=True)
    s = trial.suggest_float("s", 0.0, 1.0, step=0.1)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return (x - 1) ** 2 + abs(np.log10(lr) + 3) + abs(k - 8) / 8 + s + (c != "b")


def test_proposals_equal_a_fresh_sampler_on_a_growing_study():
    """Each proposal of a long-lived sampler equals that of a new sampler (no tables, cached
    orders or workspaces yet) asked for the same trial: a few dozen asks over mixed
    float / log / int / stepped / categorical parameters, with pruned and failed trials."""
    sampler = TPESampler(seed=0, n_startup_trials=8)
    study = tftune.create_study(sampler=sampler)
    compared = 0
    for i in range(60):
        trial = study.ask()
        value = mixed_objective(trial)
        frozen = study.storage.get_trial(trial.trial_id)
        space = sampler.infer_relative_search_space(study, frozen)
        fresh = TPESampler(seed=0, n_startup_trials=8).sample_relative(study, frozen, space)
        if fresh:
            assert fresh == {name: trial.params[name] for name in fresh}
            compared += 1
        if i % 9 == 4:
            trial.report(value, step=1)
            study.tell(trial, state=TrialState.PRUNED)
        elif i % 13 == 6:
            study.tell(trial, state=TrialState.FAIL)
        else:
            study.tell(trial, value)
    assert compared >= 40


def reference_log_pdf(est: _parzen.ParzenEstimator, x: np.ndarray) -> np.ndarray:
    """log density at ``x`` (m, d) of a numeric estimator, term by term with scipy's truncnorm."""
    lows, highs = est.lows, est.highs
    a, b = (lows - est.mus) / est.sigmas, (highs - est.mus) / est.sigmas  # (components, d)
    per_dim = truncnorm.logpdf(
        x[:, None, :], a, b, loc=est.mus, scale=est.sigmas
    )  # (m, components, d)
    return logsumexp(per_dim.sum(axis=2) + est.log_weights, axis=1)


def reference_widths(points: np.ndarray, lows: np.ndarray, highs: np.ndarray) -> np.ndarray:
    """Per point and axis, the larger gap to its neighbours (the centre included), by a loop."""
    widths = np.empty_like(points)
    for j in range(points.shape[1]):
        axis = sorted(points[:, j].tolist() + [(lows[j] + highs[j]) / 2])
        for i, value in enumerate(points[:, j]):
            rank = axis.index(value)
            gaps = [axis[r + 1] - axis[r] for r in (rank - 1, rank) if 0 <= r < len(axis) - 1]
            widths[i, j] = max(gaps)
    return widths


@pytest.mark.parametrize("n_dims", [1, 3])
def test_densities_match_a_plain_computation(monkeypatch, n_dims):
    """Every l(x) and g(x) built during a study has the neighbour-gap widths and the truncated
    Gaussian mixture density of a term-by-term computation (to 1e-9)."""
    checked = []

    class Checked(_parzen.ParzenEstimator):
        def __init__(
            self,
            numeric,
            lows,
            highs,
            categorical,
            n_choices,
            weights,
            prior_weight,
            min_sigma,
            *rest,
        ):
            super().__init__(
                numeric,
                lows,
                highs,
                categorical,
                n_choices,
                weights,
                prior_weight,
                min_sigma,
                *rest,
            )
            factor = _parzen.JOINT_BANDWIDTH_FACTOR if n_dims > 1 else 1.0
            expected = np.clip(
                reference_widths(numeric, lows, highs) * factor, min_sigma, highs - lows
            )
            np.testing.assert_allclose(self.sigmas[: len(numeric)], expected, rtol=1e-12)
            checked.append(len(numeric))

        def log_pdf(self, numeric, categories):
            result = super().log_pdf(numeric, categories)
            np.testing.assert_allclose(
                result, reference_log_pdf(self, numeric), rtol=1e-9, atol=1e-9
            )
            return result

    def objective(trial) -> float:
        return sum(trial.suggest_float(f"x{j}", -2.0, 3.0) ** 2 for j in range(n_dims))

    monkeypatch.setattr(_sampler, "ParzenEstimator", Checked)
    storage = tftune.storages.InMemoryStorage()
    study = tftune.create_study(storage=storage, sampler=RandomSampler(seed=1))
    study.optimize(objective, n_trials=150)
    study = tftune.load_study(
        study_name=study.study_name, storage=storage, sampler=TPESampler(seed=0)
    )
    study.optimize(objective, n_trials=12)
    assert len(checked) == 24 and max(checked) > 140
