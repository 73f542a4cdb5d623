"""Study.optimize: budgets, failures, interrupts, callbacks, threads and progress."""

from __future__ import annotations

import logging
import math
import re
import sys
import time
import warnings

import pytest

import tftune
from tftune.trial import TrialState


def quadratic(trial):
    x = trial.suggest_float("x", -10, 10)
    return (x - 2) ** 2


def test_optimize_finds_the_best_trial(storage_url):
    study = tftune.create_study(storage=storage_url, sampler=tftune.samplers.RandomSampler(seed=1))
    study.optimize(quadratic, n_trials=40)
    values = [t.value for t in study.trials]
    assert len(values) == 40
    assert study.best_value == min(values)
    assert study.best_trial.number == values.index(min(values))
    assert study.best_params == {
        "x": pytest.approx(2 + math.copysign(math.sqrt(min(values)), study.best_params["x"] - 2))
    }


def test_maximize_picks_the_largest(storage_url):
    study = tftune.create_study(storage=storage_url, direction="maximize")
    study.optimize(quadratic, n_trials=10)
    assert study.best_value == max(t.value for t in study.trials)


@pytest.mark.parametrize(
    "returned, reason",
    [
        (None, "each value must be a float, got None"),
        ("0.5", "each value must be a float, got '0.5'"),
        (float("nan"), "NaN is not a valid objective value"),
        ((1.0, 2.0), r"returned 2 value\(s\) .* the study has 1 objective"),
    ],
)
def test_bad_return_values_fail_the_trial_and_the_study_goes_on(storage_url, returned, reason):
    study = tftune.create_study(storage=storage_url)
    calls = []

    def objective(trial):
        calls.append(trial.number)
        trial.suggest_int("n", 0, 3)
        return returned if trial.number == 0 else 1.0

    study.optimize(objective, n_trials=3)
    first, *rest = study.trials
    assert first.state == TrialState.FAIL and first.values is None
    assert re.search(reason, first.system_attrs["fail_reason"])
    assert [t.state for t in rest] == [TrialState.COMPLETE] * 2
    assert calls == [0, 1, 2]


def test_an_exception_fails_the_trial_with_its_traceback_and_propagates(storage_url):
    study = tftune.create_study(storage=storage_url)

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        raise RuntimeError("diverged at epoch 3")

    with pytest.raises(RuntimeError, match="diverged at epoch 3"):
        study.optimize(objective, n_trials=5)
    (trial,) = study.trials
    assert trial.state == TrialState.FAIL
    assert "Traceback" in trial.system_attrs["fail_reason"]
    assert "RuntimeError: diverged at epoch 3" in trial.system_attrs["fail_reason"]
    assert "x" in trial.params


def test_caught_exceptions_let_the_study_continue(storage_url):
    study = tftune.create_study(storage=storage_url)

    def objective(trial):
        if trial.number % 2 == 0:
            raise ValueError("odd config")
        return 1.0

    study.optimize(objective, n_trials=4, catch=(ValueError,))
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.COMPLETE] * 2


def test_keyboard_interrupt_closes_the_running_trial(storage_url):
    study = tftune.create_study(storage=storage_url)

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        if trial.number == 2:
            raise KeyboardInterrupt
        return 0.0

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    assert study.trials[2].system_attrs["fail_reason"] == "Interrupted by KeyboardInterrupt."
    study.optimize(lambda t: 1.0, n_trials=2)  # the storage is consistent: the study goes on
    assert len(study.trials) == 5


def test_trial_pruned_is_stored_with_its_last_report(storage_url):
    study = tftune.create_study(storage=storage_url)

    def objective(trial):
        for step in range(3):
            trial.report(0.1 * (step + 1), step)
        raise tftune.TrialPruned()

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    assert trial.state == TrialState.PRUNED
    assert trial.values == [pytest.approx(0.3)]
    assert trial.intermediate_values == {0: 0.1, 1: 0.2, 2: pytest.approx(0.3)}


def test_timeout_stops_starting_trials():
    study = tftune.create_study()
    start = time.monotonic()
    study.optimize(lambda t: time.sleep(0.05) or 0.0, timeout=0.3)
    elapsed = time.monotonic() - start
    assert 0.3 <= elapsed < 1.0
    assert 3 <= len(study.trials) <= 8


def test_callbacks_see_each_trial_and_can_stop_the_study(storage_url):
    study = tftune.create_study(storage=storage_url)
    seen = []

    def stop_after_three(study, trial):
        seen.append((trial.number, trial.state))
        if len(seen) == 3:
            study.stop()

    study.optimize(quadratic, n_trials=10, callbacks=[stop_after_three])
    assert seen == [(0, TrialState.COMPLETE), (1, TrialState.COMPLETE), (2, TrialState.COMPLETE)]
    study.optimize(quadratic, n_trials=2)  # stop() applies to the running call only
    assert len(study.trials) == 5


def test_threads_run_exactly_n_trials(storage_url):
    study = tftune.create_study(storage=storage_url)
    study.optimize(lambda t: time.sleep(0.01) or t.suggest_float("x", 0, 1), n_trials=12, n_jobs=3)
    trials = study.trials
    assert len(trials) == 12
    assert sorted(t.number for t in trials) == list(range(12))
    assert all(t.state == TrialState.COMPLETE for t in trials)


@pytest.fixture
def tftune_log(caplog):
    """caplog's records of the ``tftune`` logger (which does not propagate to the root)."""
    logger = logging.getLogger("tftune")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


@pytest.fixture
def frequent_thread_switches():
    """Let the interpreter switch threads every microsecond (5 ms by default) during the test."""
    default = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(default)


def test_threads_leave_the_process_wide_warning_filters_alone(
    tftune_log, frequent_thread_switches
):
    """Bad values are logged from the worker threads; the process's filters stay as they were.

    ``warnings.catch_warnings`` in a worker thread swaps the process-wide filter list, so
    threads racing through it used to leave an ``ignore`` filter behind for the whole process
    (and silenced the other threads while one finished a trial). A tiny switch interval makes
    the threads interleave inside the trial's finishing step.
    """
    study = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0))
    filters_seen_by_objectives = set()

    def objective(trial):
        filters_seen_by_objectives.add(tuple(warnings.filters))
        x = trial.suggest_float("x", 0, 1)
        return (None, float("nan"), x)[trial.number % 3]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filters_before = list(warnings.filters)
        study.optimize(objective, n_trials=300, n_jobs=8)
        filters_after = list(warnings.filters)
        warnings.warn("heard after optimize", UserWarning, stacklevel=1)
    assert filters_seen_by_objectives == {tuple(filters_before)}
    assert filters_after == filters_before
    assert [str(warning.message) for warning in caught] == ["heard after optimize"]
    failed = [t.number for t in study.trials if t.state == TrialState.FAIL]
    assert failed == [n for n in range(300) if n % 3 != 2]
    logged = [r.getMessage() for r in tftune_log.records if r.levelno == logging.WARNING]
    assert len(logged) == len(failed)
    assert sum("each value must be a float, got None" in m for m in logged) == 100
    assert sum("NaN is not a valid objective value" in m for m in logged) == 100


def test_an_exception_in_a_thread_reaches_the_caller():
    study = tftune.create_study()

    def objective(trial):
        if trial.number == 3:
            raise ZeroDivisionError("bad fold")
        time.sleep(0.01)
        return 0.0

    with pytest.raises(ZeroDivisionError, match="bad fold"):
        study.optimize(objective, n_trials=50, n_jobs=2)
    assert len(study.trials) < 50


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"n_trials": -1}, ValueError, r"`n_trials` must be a non-negative int or None, got -1"),
        ({"n_trials": 2.5}, ValueError, r"`n_trials` must be .* got 2.5"),
        (
            {"timeout": 0},
            ValueError,
            r"`timeout` must be a positive number of seconds or None, got 0",
        ),
        ({"n_jobs": 0}, ValueError, r"`n_jobs` must be a positive int or -1 .* got 0"),
        (
            {"catch": ["ValueError"]},
            TypeError,
            r"`catch` must hold exception classes, got 'ValueError'",
        ),
        ({"callbacks": [3]}, TypeError, r"`callbacks` must hold callables .* got 3"),
    ],
)
def test_bad_optimize_arguments(kwargs, error, message):
    study = tftune.create_study()
    with pytest.raises(error, match=message):
        study.optimize(quadratic, **kwargs)
    assert study.trials == []


def test_objective_must_be_callable():
    with pytest.raises(TypeError, match="`func` must be a callable taking a trial, got 3"):
        tftune.create_study().optimize(3, n_trials=1)


def test_progress_bar_shows_trials_and_best_value(capsys):
    study = tftune.create_study(study_name="progress-demo")
    study.optimize(quadratic, n_trials=5, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "5/5 [" in err and "it/s]" in err and "100%|██████████|" in err
    best = f"Best trial: {study.best_trial.number}. Best value: {study.best_value:.6g}: "
    assert best in err
    assert err.count("\n") == 1  # not a terminal: only the final line


def test_progress_bar_by_time_formats_the_budget(capsys):
    from tftune.study._progress import format_interval

    assert [format_interval(s) for s in (59, 60, 3600, 864000)] == [
        "00:59",
        "01:00",
        "1:00:00",
        "240:00:00",
    ]
    study = tftune.create_study()
    study.optimize(
        quadratic,
        timeout=3600,
        n_trials=None,
        show_progress_bar=True,
        callbacks=[lambda s, t: s.stop()],
    )
    assert "/1:00:00" in capsys.readouterr().err


def test_progress_bar_warns_when_it_cannot_be_shown(capsys):
    study = tftune.create_study()
    with pytest.warns(UserWarning, match="n_trials and timeout are None"):
        study.optimize(quadratic, show_progress_bar=True, callbacks=[lambda s, t: s.stop()])
    with pytest.warns(
        UserWarning, match="timeout-based progress bar is not supported with n_jobs"
    ):
        study.optimize(quadratic, timeout=0.2, n_jobs=2, show_progress_bar=True)
    assert "%|" not in capsys.readouterr().err


def test_log_line_per_trial(caplog):
    tftune.logging.set_verbosity(tftune.logging.INFO)
    tftune.logging.disable_default_handler()
    try:
        with caplog.at_level("INFO", logger="tftune"):
            tftune.create_study().optimize(quadratic, n_trials=2)
    finally:
        tftune.logging._configure()
    assert "Trial 1 finished with value" in caplog.text
    assert "Best is trial" in caplog.text
