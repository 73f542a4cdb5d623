"""QMCSampler: Sobol points indexed by trial number fill the space evenly."""

from __future__ import annotations

import tftune
from tftune.samplers import QMCSampler


def _run(n_trials, seed=3, n_jobs=1):
    study = tftune.create_study(sampler=QMCSampler(seed=seed))
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1) + t.suggest_float("y", 0, 1),
        n_trials=n_trials,
        n_jobs=n_jobs,
    )
    return study


def test_sobol_points_are_stratified():
    # Trial 0 is random (the space is not known yet); trials 16..31 are one stratified block of
    # the sequence: exactly one point in each of the 4 x 4 cells of the unit square.
    study = _run(32)
    block = study.trials[16:32]
    cells = {(int(t.params["x"] * 4), int(t.params["y"] * 4)) for t in block}
    assert len(cells) == 16


def test_log_int_and_categorical_parameters_cover_their_range():
    study = tftune.create_study(sampler=QMCSampler(seed=0))
    study.optimize(
        lambda t: (
            t.suggest_int("units", 1, 1024, log=True)
            + len(t.suggest_categorical("act", ["relu", "tanh", "gelu"]))
        ),
        n_trials=64,
    )
    units = [t.params["units"] for t in study.trials[1:]]
    assert min(units) <= 2 and max(units) >= 512  # log scale: both ends are reached
    assert {t.params["act"] for t in study.trials[1:]} == {"relu", "tanh", "gelu"}


def test_the_same_seed_gives_the_same_sequence():
    first = [t.params for t in _run(10).trials[1:]]
    second = [t.params for t in _run(10).trials[1:]]
    assert first == second
    assert [t.params for t in _run(10, seed=4).trials[1:]] != first
