"""Property-based tests of the public API on every storage: suggest arguments, objective
returns, and ask/tell/enqueue sequences over two studies sharing one storage.

Each property holds for every generated input: the call either works (and what it stored reads
back the same from a fresh load) or raises a clear ``TypeError``/``ValueError``; nothing is left
RUNNING and no study is damaged. Example counts are bounded to keep the suite fast.
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tftune
from tftune.storages import InMemoryStorage
from tftune.trial import TrialState

SETTINGS = settings(
    max_examples=40,
    derandomize=os.environ.get("CI") == "true",  # CI reruns the same examples; locally new ones
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_names = itertools.count()

finite = st.floats(allow_nan=False, allow_infinity=False)
bound = st.one_of(
    st.integers(min_value=-(2**60), max_value=2**60),
    finite,
    st.sampled_from([math.inf, -math.inf, math.nan, 10**400, -(10**400), 2**53, 2**53 + 1]),
    st.builds(np.int64, st.integers(min_value=-(2**40), max_value=2**40)),
    st.builds(np.float32, st.floats(width=32, allow_nan=False, allow_infinity=False)),
)


def fresh_study(storage, directions=("minimize",)):
    return tftune.create_study(
        storage=storage, study_name=f"prop-{next(_names)}", directions=list(directions)
    )


def reloaded(study):
    """The study's trials as a fresh load from its storage reads them."""
    if isinstance(study.storage, InMemoryStorage):
        return study.trials
    from tftune.storages import RDBStorage

    other = RDBStorage(study.storage.url, heartbeat_interval=None)
    try:
        return tftune.load_study(study.study_name, other).trials
    finally:
        other.close()


@SETTINGS
@given(
    kind=st.sampled_from(["float", "int"]),
    low=bound,
    high=bound,
    log=st.one_of(st.booleans(), st.sampled_from(["yes", 1, None])),
    step=st.one_of(st.none(), bound),
)
def test_suggest_returns_a_value_in_range_that_reads_back_or_names_the_parameter(
    storage, kind, low, high, log, step
):
    study = fresh_study(storage)
    trial = study.ask()
    suggest = trial.suggest_float if kind == "float" else trial.suggest_int
    try:
        value = suggest("x", low, high, step=step, log=log)
    except (TypeError, ValueError) as error:
        assert str(error).startswith("Parameter 'x': "), error
        return
    finally:
        study.tell(trial, 0.0)
    assert isinstance(value, float if kind == "float" else int)
    assert not isinstance(value, bool)
    assert math.isfinite(value)
    assert float(low) <= value <= float(high)
    assert reloaded(study)[0].params == {"x": value}


returns = st.one_of(
    finite,
    st.integers(min_value=-(2**60), max_value=2**60),
    st.sampled_from([math.nan, math.inf, None, True, False, "1.0", 10**400, {1.0}, {"a": 1}]),
    st.builds(np.float32, st.floats(width=32, allow_nan=False, allow_infinity=False)),
    st.builds(lambda v: np.array(v), finite),
    st.lists(finite, min_size=0, max_size=3),
)


def acceptable(value: object) -> bool:
    """The rule for one objective's return: a real number other than NaN (infinities count, as
    in Optuna; not a bool), alone, as a 0-d array or as a one-element list."""
    if isinstance(value, (bool, np.bool_, str, set, dict)) or value is None:
        return False
    if isinstance(value, list):
        if len(value) != 1:
            return False
        value = value[0]
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
    return not math.isnan(number)


@SETTINGS
@given(value=returns)
def test_an_objective_return_completes_its_trial_or_fails_it_and_the_study_goes_on(storage, value):
    study = fresh_study(storage)
    study.optimize(lambda trial: value, n_trials=2)
    trials = reloaded(study)
    assert [t.state.is_finished() for t in trials] == [True, True]
    for trial in trials:
        if trial.state == TrialState.COMPLETE:
            assert len(trial.values) == 1 and not math.isnan(trial.values[0])
        else:
            assert trial.state == TrialState.FAIL and trial.system_attrs["fail_reason"]
    accepted = acceptable(value)
    assert (trials[0].state == TrialState.COMPLETE) == accepted


operation = st.tuples(
    st.sampled_from(["ask", "tell", "tell_wrong_study", "tell_wrong_count", "enqueue"]),
    st.integers(min_value=0, max_value=5),
    finite,
)


@SETTINGS
@given(operations=st.lists(operation, min_size=1, max_size=12), two_objectives=st.booleans())
def test_ask_tell_enqueue_sequences_over_two_studies_keep_each_study_consistent(
    storage, operations, two_objectives
):
    directions = ("minimize", "maximize") if two_objectives else ("minimize",)
    studies = [fresh_study(storage, directions), fresh_study(storage, directions)]
    asked = {0: [], 1: []}
    for index, (op, pick, number) in enumerate(operations):
        home = index % 2
        study = studies[home]
        if op == "ask":
            asked[home].append(study.ask())
        elif op == "enqueue":
            study.enqueue_trial({"x": number})
        elif asked[home]:
            trial = asked[home][pick % len(asked[home])]
            values = [number] * len(directions)
            if op == "tell_wrong_study":
                with pytest.raises(ValueError, match="`trial` must be a trial of study"):
                    studies[1 - home].tell(trial, values)
            elif op == "tell_wrong_count":
                with pytest.raises(ValueError, match=r"tell\(state=COMPLETE\) needs one finite"):
                    study.tell(trial, [*values, number], state=TrialState.COMPLETE)
            else:
                study.tell(trial, values)
                asked[home].remove(trial)
    for study, own in zip(studies, asked.values(), strict=True):
        trials = reloaded(study)
        running = {t.number for t in trials if t.state == TrialState.RUNNING}
        assert running == {t.number for t in own}  # exactly the trials not told yet
        for trial in trials:
            if trial.state == TrialState.COMPLETE:
                assert len(trial.values) == len(directions)
        study.best_trials  # noqa: B018 - must not raise on a consistent study
        if len(directions) == 1 and any(t.state == TrialState.COMPLETE for t in trials):
            assert study.best_trial.state == TrialState.COMPLETE
