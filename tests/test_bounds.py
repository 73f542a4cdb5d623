"""Bounds of suggest_float and suggest_int: what is accepted, and what each rejection says.

Int parameters are stored as floats (as in Optuna), so int bounds stay within +-2**53, where
every integer is exact; float ranges must have a finite width and a finite number of steps.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tftune
from tftune.distributions import (
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
    json_to_distribution,
)


@pytest.fixture
def trial():
    return tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=0)).ask()


# --- int bounds beyond exact float range ------------------------------------------------------
@pytest.mark.parametrize(
    "low, high, shown",
    [
        (2**53 + 1, 2**53 + 1, r"low=9007199254740993"),
        (0, 2**60 + 3, r"high=1152921504606846979"),
        (-(10**400), 10**400, r"low=-1000000000000000000\d+\."),
        (0, 10**5000, r"high=<an int of 16610 bits>"),  # too long for repr
        (0, 1e300, r"high=1000000000000000052504760255204420248704468581108159154915854"),
    ],
    ids=["2**53+1", "2**60+3", "10**400", "10**5000", "1e300"],
)
def test_int_bounds_beyond_2_53_are_rejected(trial, low, high, shown):
    with pytest.raises(
        ValueError,
        match=rf"Parameter 'x': `(low|high)` must lie within \+-2\*\*53 \(int parameters are "
        rf"stored as floats, .*\), got {shown}",
    ):
        trial.suggest_int("x", low, high)
    assert trial.params == {}


@pytest.mark.parametrize(
    "low, high, step",
    [(2**53, 2**53, 1), (-(2**53), -(2**53) + 8, 2), (2**53 - 3, 2**53, 1)],
)
def test_int_values_at_2_53_are_stored_exactly(storage_url, low, high, step):
    study = tftune.create_study(storage=storage_url, study_name="exact")
    trial = study.ask()
    value = trial.suggest_int("x", low, high, step=step)
    study.tell(trial, 0.0)
    assert low <= value <= high and (value - low) % step == 0
    assert study.trials[0].params == {"x": value}
    if storage_url is not None:
        reloaded = tftune.load_study(study_name="exact", storage=storage_url).trials[0]
        assert reloaded.params == {"x": value} and type(reloaded.params["x"]) is int


# --- huge float bounds: no bare OverflowError, no inf -----------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda t: t.suggest_float("x", 0, 10**400),
            r"Parameter 'x': `high` must be finite \(at most 1\.79\d+e\+308 in size\), "
            r"got 10000000000\d+\.",
        ),
        (
            lambda t: t.suggest_float("x", -(10**400), 1e308, log=True),
            r"Parameter 'x': `low` must be finite \(at most 1\.79\d+e\+308 in size\), got -1000",
        ),
        (
            lambda t: t.suggest_float("x", -1.7e308, 1.7e308),
            r"Parameter 'x': `high - low` must be finite \(at most 1\.79\d+e\+308\), "
            r"got low=-1\.7e\+308 and high=1\.7e\+308\.",
        ),
        (
            lambda t: t.suggest_float("x", 0, 1e308, step=1e-300),
            r"Parameter 'x': `step` must leave a finite number of grid points, "
            r"\(high - low\) / step, got step=1e-300 for low=0\.0 and high=1e\+308\.",
        ),
        (
            lambda t: t.suggest_int("x", 0, 10, step=10**400),
            None,  # a huge int step is fine: the range is just its low end
        ),
    ],
)
def test_huge_float_bounds_name_the_parameter(trial, call, message):
    if message is None:
        assert call(trial) == 0
        return
    with pytest.raises(ValueError, match=message):
        call(trial)
    assert trial.params == {}


def test_a_wide_but_finite_range_samples_finite_values(trial):
    value = trial.suggest_float("x", -8e307, 8e307)
    assert math.isfinite(value) and -8e307 <= value <= 8e307


# --- log must be a bool -----------------------------------------------------------------------
@pytest.mark.parametrize("log", ["yes", 1, None, np.bool_(True)])
@pytest.mark.parametrize("suggest", ["suggest_float", "suggest_int"])
def test_log_must_be_a_bool(trial, suggest, log):
    with pytest.raises(
        TypeError, match=rf"Parameter 'x': `log` must be a bool \(True or False\), got log={log!r}"
    ):
        getattr(trial, suggest)("x", 1, 10, log=log)


# --- NumPy numbers are numbers ----------------------------------------------------------------
def test_numpy_bounds_and_steps_are_accepted_as_python_numbers(storage_url):
    ints = IntDistribution(np.int64(3), np.int32(9), step=np.int64(2))
    assert ints == IntDistribution(3, 9, step=2)
    assert all(type(v) is int for v in (ints.low, ints.high, ints.step))
    floats = FloatDistribution(np.float32(0.5), np.float64(2), step=np.float32(0.25))
    assert floats == FloatDistribution(0.5, 2.0, step=0.25)
    assert all(type(v) is float for v in (floats.low, floats.high, floats.step))
    for d in (ints, floats, FloatDistribution(np.float32(1e-3), np.int8(1), log=True)):
        assert json_to_distribution(distribution_to_json(d)) == d
    study = tftune.create_study(storage=storage_url)
    trial = study.ask()
    assert trial.suggest_int("n", np.int64(3), np.uint8(9), step=np.int16(2)) in (3, 5, 7, 9)
    assert 0.5 <= trial.suggest_float("x", np.float32(0.5), np.float16(1.0)) <= 1.0
    study.tell(trial, 0.0)
    assert set(study.trials[0].params) == {"n", "x"}


@pytest.mark.parametrize(
    "bad, type_name",
    [(np.bool_(True), "bool"), (decimal.Decimal("1"), "Decimal"), ("1", "str"), (True, "bool")],
)
@pytest.mark.parametrize("suggest", ["suggest_float", "suggest_int"])
def test_bools_and_non_numbers_are_still_rejected(trial, suggest, bad, type_name):
    with pytest.raises(
        TypeError, match=rf"Parameter 'x': `low` must be a number, got .* \({type_name}_?\)"
    ):
        getattr(trial, suggest)("x", bad, 10)
    with pytest.raises(TypeError, match=r"Parameter 'x': `step` must be a number"):
        getattr(trial, suggest)("x", 0, 10, step=bad)


# --- a fuzz: every rejection is a named TypeError/ValueError, every value lies in range --------
bounds = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, -(10**400), 2**53, 2**53 + 1, -(2**53) - 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1.7e308, -1.7e308, 5e-324, 1e-300, 0.0, 1.0]),
)
steps = st.one_of(st.none(), bounds)


@settings(max_examples=50, deadline=None)
@given(
    kind=st.sampled_from(["float", "int"]), low=bounds, high=bounds, log=st.booleans(), step=steps
)
def test_fuzzed_bounds_either_name_the_parameter_or_sample_inside(kind, low, high, log, step):
    trial = tftune.create_study(sampler=tftune.samplers.RandomSampler(seed=1)).ask()
    kwargs = {"log": log} if step is None else {"log": log, "step": step}
    try:
        if kind == "float":
            value = trial.suggest_float("x", low, high, **kwargs)
        else:
            value = trial.suggest_int("x", low, high, **kwargs)
    except (TypeError, ValueError) as error:
        assert str(error).startswith("Parameter 'x': ")
        return
    d = trial.distributions["x"]
    assert math.isfinite(value) and d.low <= value <= d.high
    assert type(value) is (float if kind == "float" else int)
    assert d.contains(d.to_internal_repr(value))


def test_fixed_trial_errors_name_the_parameter_too():
    fixed = tftune.trial.FixedTrial({"x": 1})
    with pytest.raises(ValueError, match=r"Parameter 'x': `high` must lie within \+-2\*\*53"):
        fixed.suggest_int("x", 0, 2**60)
    with pytest.raises(TypeError, match=r"Parameter 'x': `log` must be a bool"):
        fixed.suggest_float("x", 0, 1, log="yes")
    assert fixed.suggest_int("x", np.int64(0), np.int64(3)) == 1
