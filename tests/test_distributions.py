"""Distributions: construction rules, JSON round trips, internal/external values, membership."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tftune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)

SETTINGS = settings(max_examples=60, deadline=None)

# --- strategies ------------------------------------------------------------------------------
finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=1e-6, max_value=1e3, allow_nan=False, allow_infinity=False)
steps = st.floats(min_value=1e-3, max_value=1e2, allow_nan=False, allow_infinity=False)


@st.composite
def float_dists(draw, kind: str | None = None):
    kind = kind or draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "plain":
        low = draw(finite)
        high = low + draw(st.floats(min_value=0, max_value=1e3))
        return FloatDistribution(low, high)
    if kind == "log":
        low = draw(positive)
        high = low * draw(st.floats(min_value=1, max_value=1e4))
        return FloatDistribution(low, high, log=True)
    low, step = draw(finite), draw(steps)
    n = draw(st.integers(min_value=0, max_value=50))
    extra = draw(st.floats(min_value=0, max_value=0.999))
    return FloatDistribution(low, low + (n + extra) * step, step=step)


@st.composite
def int_dists(draw, kind: str | None = None):
    kind = kind or draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.integers(min_value=1, max_value=10**6))
        return IntDistribution(low, low + draw(st.integers(0, 10**6)), log=True)
    low = draw(st.integers(min_value=-(10**6), max_value=10**6))
    step = 1 if kind == "plain" else draw(st.integers(min_value=1, max_value=1000))
    return IntDistribution(low, low + draw(st.integers(0, 10**5)), step=step)


choice_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
categorical_dists = st.lists(choice_values, min_size=1, max_size=8).map(CategoricalDistribution)
any_dist = st.one_of(float_dists(), int_dists(), categorical_dists)


def _same(a, b) -> bool:
    """Same value and same type (True, 1 and 1.0 differ; nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def _grid_points(d):
    n = int(round((d.high - d.low) / d.step))
    return [min(d.high, d.low + k * d.step) for k in range(n + 1)]  # as samplers clamp


# --- JSON round trip -------------------------------------------------------------------------
@SETTINGS
@given(any_dist)
def test_json_round_trip_gives_an_equal_distribution(distribution):
    text = distribution_to_json(distribution)
    again = json_to_distribution(text)
    assert type(again) is type(distribution)
    assert again == distribution
    assert hash(again) == hash(distribution)
    assert distribution_to_json(again) == text  # a second round trip changes nothing


@SETTINGS
@given(any_dist, any_dist)
def test_equal_distributions_hash_equal(a, b):
    if a == b:
        assert hash(a) == hash(b)


def test_json_form_is_optuna_compatible():
    import json

    assert json.loads(distribution_to_json(FloatDistribution(0.5, 2.0, log=True))) == {
        "name": "FloatDistribution",
        "attributes": {"low": 0.5, "high": 2.0, "log": True, "step": None},
    }
    assert json.loads(distribution_to_json(IntDistribution(0, 10, step=2))) == {
        "name": "IntDistribution",
        "attributes": {"low": 0, "high": 10, "log": False, "step": 2},
    }
    assert json.loads(distribution_to_json(CategoricalDistribution(("a", None, 1.5)))) == {
        "name": "CategoricalDistribution",
        "attributes": {"choices": ["a", None, 1.5]},
    }


@pytest.mark.parametrize(
    "text", ['{"name": "NormalDistribution", "attributes": {}}', "[1, 2]", '{"attributes": {}}']
)
def test_json_to_distribution_rejects_unknown_names(text):
    with pytest.raises(ValueError, match="Unknown distribution in stored JSON"):
        json_to_distribution(text)


# --- values inside: internal/external round trip, contains -----------------------------------
@SETTINGS
@given(st.data())
def test_float_values_inside_round_trip_and_are_contained(data):
    d = data.draw(float_dists())
    if d.step is None:
        value = data.draw(st.floats(min_value=d.low, max_value=d.high))
    else:
        value = data.draw(st.sampled_from(_grid_points(d)))
    internal = d.to_internal_repr(value)
    assert isinstance(internal, float)
    assert d.contains(internal)
    external = d.to_external_repr(internal)
    assert type(external) is float and external == value
    assert d.contains(d.low) and d.contains(d.high)


@SETTINGS
@given(st.data())
def test_int_values_inside_round_trip_and_are_contained(data):
    d = data.draw(int_dists())
    k = data.draw(st.integers(min_value=0, max_value=(d.high - d.low) // d.step))
    value = d.low + k * d.step
    internal = d.to_internal_repr(value)
    assert isinstance(internal, float) and internal == value
    assert d.contains(internal)
    external = d.to_external_repr(internal)
    assert type(external) is int and external == value
    assert d.contains(d.low) and d.contains(d.high)


@SETTINGS
@given(st.data())
def test_categorical_values_round_trip_through_their_index(data):
    d = data.draw(categorical_dists)
    index = data.draw(st.integers(min_value=0, max_value=len(d.choices) - 1))
    choice = d.choices[index]
    internal = d.to_internal_repr(choice)
    assert d.contains(internal)
    # the first choice equal to it (with its type) is the one it maps to
    first = next(i for i, c in enumerate(d.choices) if _same(c, choice))
    assert internal == float(first)
    assert _same(d.to_external_repr(internal), choice)


# --- values outside --------------------------------------------------------------------------
OUTSIDE_ALWAYS = [math.nan, math.inf, -math.inf]


@SETTINGS
@given(float_dists(), st.floats(min_value=1e-3, max_value=1e3))
def test_float_contains_is_false_outside(d, delta):
    span = max(abs(d.low), abs(d.high), 1.0)
    assert not d.contains(d.low - delta * span)
    assert not d.contains(d.high + delta * span)
    for value in OUTSIDE_ALWAYS:
        assert not d.contains(value)
    if d.step is not None and d.high > d.low:
        assert not d.contains(d.low + d.step / 2)  # between two grid points


@SETTINGS
@given(int_dists())
def test_int_contains_is_false_outside(d):
    assert not d.contains(float(d.low - 1))
    assert not d.contains(float(d.high + 1))
    assert not d.contains(d.low + 0.5)  # not an integer
    if d.step > 1 and d.high > d.low:
        assert not d.contains(float(d.low + 1))  # off the step grid
    for value in OUTSIDE_ALWAYS:
        assert not d.contains(value)


@SETTINGS
@given(categorical_dists)
def test_categorical_contains_is_false_outside(d):
    n = len(d.choices)
    for value in [-1.0, float(n), 0.5, n - 0.5, *OUTSIDE_ALWAYS]:
        assert not d.contains(value)


def test_external_values_of_the_wrong_type_are_rejected():
    with pytest.raises(ValueError, match=r"takes a number \(or a numeric string\), got 'a'"):
        FloatDistribution(0, 1).to_internal_repr("a")
    with pytest.raises(TypeError, match=r"takes a number \(or a numeric string\), got None"):
        IntDistribution(0, 1).to_internal_repr(None)
    with pytest.raises(ValueError, match=r"cannot take NaN, got nan"):
        FloatDistribution(0, 1).to_internal_repr(float("nan"))
    # As in Optuna, numeric strings and bools are cast with float().
    assert FloatDistribution(0, 1).to_internal_repr("0.5") == 0.5
    assert IntDistribution(0, 1).to_internal_repr(True) == 1.0
    with pytest.raises(ValueError, match=r"'c' is not one of the choices \['a', 'b'\]"):
        CategoricalDistribution(["a", "b"]).to_internal_repr("c")


# --- single ----------------------------------------------------------------------------------
@SETTINGS
@given(any_dist)
def test_single_means_exactly_one_value(d):
    if isinstance(d, CategoricalDistribution):
        assert d.single() == (len(d.choices) == 1)
    elif isinstance(d, FloatDistribution) and d.step is None:
        assert d.single() == (d.low == d.high)
    else:  # stepped: one grid point left after snapping
        assert d.single() == (d.low == d.high)


@pytest.mark.parametrize(
    "distribution, single",
    [
        (FloatDistribution(1.0, 1.0), True),
        (FloatDistribution(1.0, 1.5), False),
        (FloatDistribution(2.0, 2.0, log=True), True),
        (FloatDistribution(0.0, 0.29, step=0.3), True),
        (FloatDistribution(0.0, 0.3, step=0.3), False),
        (FloatDistribution(0.1, 0.3, step=0.2), False),  # 0.3 - 0.1 < 0.2 in binary floating point
        (IntDistribution(5, 5), True),
        (IntDistribution(5, 7, step=3), True),
        (IntDistribution(5, 8, step=3), False),
        (CategoricalDistribution([None]), True),
        (CategoricalDistribution([None, None]), False),
    ],
)
def test_single_examples(distribution, single):
    assert distribution.single() is single


# --- step snapping ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "distribution, high",
    [
        (FloatDistribution(0, 1, step=0.3), 0.9),
        (FloatDistribution(0.1, 1.0, step=0.2), 0.9),
        (FloatDistribution(-1, 1, step=0.5), 1.0),
        (FloatDistribution(0, 1, step=0.1), 1.0),
        (FloatDistribution(0, 0.3, step=0.1), 0.3),  # 0.3 / 0.1 is 2.9999999999999996 in binary
        (IntDistribution(0, 10, step=3), 9),
        (IntDistribution(-5, 5, step=4), 3),
        (IntDistribution(1, 100, step=1), 100),
    ],
)
def test_step_snaps_high_down_to_the_grid(distribution, high):
    assert distribution.high == high
    assert type(distribution.high) is type(high)


@SETTINGS
@given(float_dists("step"))
def test_float_snapped_high_is_the_last_grid_point(d):
    assert d.low <= d.high
    assert d.contains(d.high)
    assert not d.contains(d.high + d.step)
    again = FloatDistribution(d.low, d.high, step=d.step)
    assert again.high == d.high  # snapping is idempotent


@SETTINGS
@given(int_dists("step"))
def test_int_snapped_high_is_the_last_grid_point(d):
    assert (d.high - d.low) % d.step == 0
    assert IntDistribution(d.low, d.high + d.step - 1, step=d.step).high == d.high


def test_snapping_survives_far_apart_magnitudes():
    d = FloatDistribution(1e-20, 1.5, step=1.0)
    assert d.high == 1.0
    assert json_to_distribution(distribution_to_json(d)) == d
    big = FloatDistribution(0.0, 1e30, step=1e-3)  # 1e33 grid points: no decimal overflow
    assert big.high == 1e30


# --- construction errors: each names the parameter and shows the value -------------------------
@pytest.mark.parametrize("cls", [FloatDistribution, IntDistribution])
def test_low_greater_than_high(cls):
    with pytest.raises(
        ValueError, match=r"`low` must be <= `high`, got low=3(\.0)? and high=2(\.0)?"
    ):
        cls(3, 2)


@pytest.mark.parametrize("cls", [FloatDistribution, IntDistribution])
@pytest.mark.parametrize("low", [0, -1])
def test_log_needs_a_positive_low(cls, low):
    with pytest.raises(
        ValueError, match=rf"`low` must be > 0 when log=True, got low={low}(\.0)?\b"
    ):
        cls(low, 10, log=True)


def test_float_step_cannot_be_combined_with_log():
    with pytest.raises(
        ValueError, match=r"`step` cannot be combined with log=True, got step=0\.5"
    ):
        FloatDistribution(1, 10, log=True, step=0.5)


def test_int_step_other_than_one_cannot_be_combined_with_log():
    with pytest.raises(ValueError, match=r"`step` must be 1 when log=True, got step=2"):
        IntDistribution(1, 10, log=True, step=2)
    assert IntDistribution(1, 10, log=True, step=1).log is True


@pytest.mark.parametrize("cls", [FloatDistribution, IntDistribution])
@pytest.mark.parametrize("step", [0, -1])
def test_step_must_be_positive(cls, step):
    with pytest.raises(ValueError, match=rf"`step` must be > 0, got step={step}(\.0)?\b"):
        cls(0, 10, step=step)


def test_int_step_must_be_an_integer():
    with pytest.raises(ValueError, match=r"`step` must be an integer, got 0\.5"):
        IntDistribution(0, 10, step=0.5)


@pytest.mark.parametrize("cls", [FloatDistribution, IntDistribution])
@pytest.mark.parametrize(
    "kwargs, name, shown",
    [
        (dict(low=math.nan, high=1), "low", "nan"),
        (dict(low=-math.inf, high=1), "low", "-inf"),
        (dict(low=0, high=math.inf), "high", "inf"),
        (dict(low=0, high=math.nan), "high", "nan"),
    ],
)
def test_bounds_must_be_finite(cls, kwargs, name, shown):
    with pytest.raises(ValueError, match=rf"`{name}` must be finite, got {shown}\."):
        cls(**kwargs)


def test_float_step_must_be_finite():
    with pytest.raises(ValueError, match=r"`step` must be finite, got inf"):
        FloatDistribution(0, 1, step=math.inf)


@pytest.mark.parametrize(
    "kwargs, name, shown",
    [
        (dict(low="0", high=1), "low", "'0' \\(str\\)"),
        (dict(low=0, high=None), "high", "None \\(NoneType\\)"),
        (dict(low=True, high=2), "low", "True \\(bool\\)"),
    ],
)
@pytest.mark.parametrize("cls", [FloatDistribution, IntDistribution])
def test_bounds_must_be_numbers(cls, kwargs, name, shown):
    with pytest.raises(TypeError, match=rf"`{name}` must be a number, got {shown}"):
        cls(**kwargs)


def test_int_bounds_must_be_integers():
    with pytest.raises(ValueError, match=r"`high` must be an integer, got 2\.5"):
        IntDistribution(0, 2.5)
    assert IntDistribution(0.0, 2.0) == IntDistribution(0, 2)


def test_empty_choices():
    for empty in ([], ()):
        with pytest.raises(
            ValueError, match=r"`choices` must contain at least one element, got (\[\]|\(\))"
        ):
            CategoricalDistribution(empty)


class _Opaque:
    def __repr__(self) -> str:
        return "<opaque>"


@pytest.mark.parametrize(
    "bad, shown, type_name",
    [
        ([1, 2], r"\[1, 2\]", "list"),
        ({"a": 1}, r"\{'a': 1\}", "dict"),
        (_Opaque(), "<opaque>", "_Opaque"),
    ],
)
def test_unsupported_choice_types_warn_and_are_used(bad, shown, type_name):
    with pytest.warns(
        UserWarning,
        match=(
            r"`choices` should hold only None, bool, int, float and str.*"
            rf"got {shown} of type {type_name}\. It is used as given"
        ),
    ):
        distribution = CategoricalDistribution(["ok", bad])
    assert distribution.choices == ("ok", bad)
    assert distribution.to_internal_repr(bad) == 1.0
    assert hash(distribution) == hash(distribution)


def test_a_choice_json_cannot_hold_is_refused_when_stored():
    from tftune.distributions import distribution_to_json, json_to_distribution

    with pytest.warns(UserWarning):
        listed = CategoricalDistribution([[1, 2], {"a": 1}])
    assert json_to_distribution(distribution_to_json(listed)) == listed
    with pytest.warns(UserWarning):
        opaque = CategoricalDistribution([_Opaque()])
    with pytest.raises(
        TypeError,
        match=r"CategoricalDistribution\(choices=\[<opaque>\]\) cannot be "
        r"stored: its choices must be None, bool, int, float, str or other JSON",
    ):
        distribution_to_json(opaque)


@pytest.mark.parametrize("bad, shown", [("abc", "'abc'"), ({"a": 1}, r"\{'a': 1\}"), (3, "3")])
def test_choices_must_be_a_list_or_tuple(bad, shown):
    with pytest.raises(TypeError, match=rf"`choices` must be a list or tuple, got {shown}"):
        CategoricalDistribution(bad)


# --- categorical equality --------------------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [
        ([True], [1]),
        ([1], [1.0]),
        ([True], [1.0]),
        ([False], [0]),
        ([0], [0.0]),
        ([None], [0]),
        (["1"], [1]),
        ([1, 2], [2, 1]),
        ([1, 2], [1, 2, 3]),
    ],
)
def test_categorical_equality_keeps_types_apart(a, b):
    assert CategoricalDistribution(a) != CategoricalDistribution(b)
    assert CategoricalDistribution(b) != CategoricalDistribution(a)


def test_categorical_equality():
    assert CategoricalDistribution([True, 1, 1.0, None, "x"]) == CategoricalDistribution(
        (True, 1, 1.0, None, "x")
    )
    assert CategoricalDistribution([math.nan]) == CategoricalDistribution([math.nan])
    assert hash(CategoricalDistribution([math.nan])) == hash(CategoricalDistribution([math.nan]))
    assert CategoricalDistribution([1]) != IntDistribution(1, 1)


def test_categorical_index_of_true_1_and_1_0_are_distinct():
    d = CategoricalDistribution([True, 1, 1.0])
    assert [d.to_internal_repr(v) for v in (True, 1, 1.0)] == [0.0, 1.0, 2.0]
    assert [type(d.to_external_repr(i)) for i in (0.0, 1.0, 2.0)] == [bool, int, float]
    with pytest.raises(ValueError, match=r"False is not one of the choices"):
        d.to_internal_repr(False)


def test_check_distribution_compatibility_allows_a_new_range_not_a_new_kind():
    check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(0, 2))
    with pytest.raises(ValueError, match=r"another kind of distribution"):
        check_distribution_compatibility(FloatDistribution(0, 1), IntDistribution(0, 1))
    with pytest.raises(ValueError, match=r"Cannot change `log`"):
        check_distribution_compatibility(IntDistribution(1, 9), IntDistribution(1, 9, log=True))
    with pytest.raises(ValueError, match=r"does not support changing choices"):
        check_distribution_compatibility(
            CategoricalDistribution([1, 2]), CategoricalDistribution([1, 3])
        )


@SETTINGS
@given(st.lists(choice_values, min_size=1, max_size=6))
def test_categorical_equality_is_reflexive_and_survives_json(choices):
    a, b = CategoricalDistribution(choices), CategoricalDistribution(list(choices))
    assert a == b and hash(a) == hash(b)
    again = json_to_distribution(distribution_to_json(a))
    assert all(_same(x, y) for x, y in zip(again.choices, a.choices, strict=True))


@pytest.mark.parametrize(
    "a, b",
    [
        (FloatDistribution(-0.0, 1.0), FloatDistribution(0.0, 1.0)),
        (FloatDistribution(-1.0, -0.0), FloatDistribution(-1.0, 0.0)),
        (CategoricalDistribution([-0.0, "a"]), CategoricalDistribution([0.0, "a"])),
    ],
)
def test_negative_zero_equals_and_hashes_like_zero(a, b):
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
