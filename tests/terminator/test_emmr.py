"""EMMREvaluator: small once a smooth function's optimum is pinned down, large while a study
keeps improving; stops a smooth study with MedianErrorEvaluator; its GP covariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tftune
from tftune.samplers._gp._model import GaussianProcess
from tftune.study import StudyDirection
from tftune.terminator import EMMREvaluator, MedianErrorEvaluator, Terminator, TerminatorCallback
from tftune.terminator._emmr import NO_ESTIMATE, posterior_covariance
from tftune.trial import create_trial


def _smooth(trial):
    return (trial.suggest_float("x", -3, 3) - 1.0) ** 2


def test_small_on_a_smooth_function_large_while_improving():
    smooth = tftune.create_study(sampler=tftune.samplers.GPSampler(seed=0))
    smooth.optimize(_smooth, n_trials=40)
    improving = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))
    improving.optimize(lambda t: t.suggest_float("x", -3, 3) * 0 - t.number, n_trials=40)
    small = EMMREvaluator(seed=0).evaluate(smooth.trials, StudyDirection.MINIMIZE)
    large = EMMREvaluator(seed=0).evaluate(improving.trials, StudyDirection.MINIMIZE)
    assert 0 <= small < large / 100
    exact = EMMREvaluator(deterministic_objective=True, seed=0)
    assert math.isfinite(exact.evaluate(smooth.trials, StudyDirection.MINIMIZE))


def test_no_estimate_before_min_n_trials_or_without_parameters():
    one = [
        create_trial(
            value=1.0,
            params={"x": 0.5},
            distributions={"x": tftune.distributions.FloatDistribution(0, 1)},
        )
    ]
    assert EMMREvaluator().evaluate(one, StudyDirection.MINIMIZE) == NO_ESTIMATE
    bare = [create_trial(value=1.0), create_trial(value=2.0)]
    with pytest.warns(UserWarning, match="share no parameter"):
        assert EMMREvaluator().evaluate(bare, StudyDirection.MINIMIZE) == NO_ESTIMATE


def test_stops_a_smooth_study_with_the_median_error():
    study = tftune.create_study(sampler=tftune.samplers.GPSampler(seed=0))
    terminator = Terminator(
        EMMREvaluator(seed=0), MedianErrorEvaluator(EMMREvaluator(seed=0)), min_n_trials=30
    )
    study.optimize(_smooth, n_trials=120, callbacks=[TerminatorCallback(terminator)])
    assert 30 <= len(study.trials) < 120


def test_posterior_covariance_from_public_predictions():
    rng = np.random.default_rng(0)
    u, c, y = rng.random((8, 2)), np.zeros((8, 0), dtype=np.int64), rng.normal(size=8)
    model = GaussianProcess(2)
    model.fit(u, c, y)
    a, b = (u[:1], c[:1]), (rng.random((1, 2)), c[:1])
    _, std = model.predict(*a)
    assert posterior_covariance(model, u, c, y, a, a) == pytest.approx(std[0] ** 2, rel=1e-6)
    assert posterior_covariance(model, u, c, y, a, b) == pytest.approx(
        posterior_covariance(model, u, c, y, b, a), rel=1e-6, abs=1e-12
    )


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"`min_n_trials` must be an int >= 2, got 1"):
        EMMREvaluator(min_n_trials=1)
    with pytest.raises(ValueError, match=r"`delta` must be a number in \(0, 1\), got 0"):
        EMMREvaluator(delta=0)


def test_optunas_public_margin_name_gives_the_no_estimate_value():
    import sys

    from tftune.terminator.improvement.emmr import MARGIN_FOR_NUMARICAL_STABILITY

    assert MARGIN_FOR_NUMARICAL_STABILITY == 0.1
    assert sys.float_info.max * MARGIN_FOR_NUMARICAL_STABILITY == NO_ESTIMATE
    assert EMMREvaluator().evaluate([], StudyDirection.MAXIMIZE) == NO_ESTIMATE
