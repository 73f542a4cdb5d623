"""Optuna's short JSON form of distributions, and log-scale floats refusing non-positive values."""

from __future__ import annotations

import pytest

from tftune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    json_to_distribution,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "int", "low": 1, "high": 9}', IntDistribution(1, 9)),
        ('{"type": "int", "low": 2, "high": 12, "log": true}', IntDistribution(2, 12, log=True)),
        ('{"type": "int", "low": 1, "high": 9, "step": 2}', IntDistribution(1, 9, step=2)),
        ('{"type": "float", "low": 1.0, "high": 2.0, "step": null}', FloatDistribution(1, 2)),
        (
            '{"type": "float", "low": 1.0, "high": 9.0, "step": 2.0}',
            FloatDistribution(1, 9, step=2),
        ),
        ('{"type": "categorical", "choices": ["a", 1]}', CategoricalDistribution(["a", 1])),
    ],
)
def test_the_short_form_reads_as_the_full_one(text, expected):
    assert json_to_distribution(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"type": "unknown", "low": 1.0, "high": 2.0}', "Unknown distribution type 'unknown'"),
        ('{"type": "int", "low": 123, "high": 100}', "low"),
        ('{"type": "categorical", "choices": []}', "choices"),
        ('{"type": "float", "low": 1.0, "high": 2.0, "q": 1}', "Stored JSON of a float"),
    ],
)
def test_a_bad_short_form_is_a_value_error(text, message):
    with pytest.raises(ValueError, match=message):
        json_to_distribution(text)


@pytest.mark.parametrize("value", [0.0, -1.0])
def test_a_log_scale_float_takes_only_positive_values(value):
    with pytest.raises(ValueError, match=r"log scale and takes only positive numbers, got"):
        FloatDistribution(2.0, 7.0, log=True).to_internal_repr(value)
    assert FloatDistribution(2.0, 7.0).to_internal_repr(value) == value
