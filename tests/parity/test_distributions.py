"""optuna.distributions: the classes, JSON round trips, internal values, legacy names."""

from __future__ import annotations

import math

import pytest

import tftune as optuna
from tftune import distributions as D


def test_json_round_trip_keeps_every_distribution():
    for d in (
        D.FloatDistribution(0.1, 1.0, log=True),
        D.FloatDistribution(0.0, 1.0, step=0.25),
        D.IntDistribution(1, 9, step=2),
        D.IntDistribution(1, 100, log=True),
        D.CategoricalDistribution([None, True, 1, 1.5, "a"]),
    ):
        assert D.json_to_distribution(D.distribution_to_json(d)) == d


def test_optuna_json_is_read():
    text = '{"name": "FloatDistribution", "attributes": {"low": 0.0, "high": 1.0, "log": false, "step": null}}'  # noqa: E501
    assert D.json_to_distribution(text) == D.FloatDistribution(0.0, 1.0)


@pytest.mark.parametrize(
    ("distribution", "external", "internal"),
    [
        (D.FloatDistribution(0, 10), "1.5", 1.5),
        (D.FloatDistribution(0, 10), True, 1.0),
        (D.IntDistribution(0, 10), "2", 2.0),
        (D.IntDistribution(0, 10), 3, 3.0),
        (D.CategoricalDistribution(["a", "b"]), "b", 1.0),
    ],
)
def test_to_internal_repr_casts_like_optuna(distribution, external, internal):
    assert distribution.to_internal_repr(external) == internal


@pytest.mark.parametrize("bad", ["abc", None, [1]])
def test_to_internal_repr_refuses_what_float_refuses(bad):
    with pytest.raises(ValueError, match="takes a number"):
        D.FloatDistribution(0, 1).to_internal_repr(bad)


def test_to_internal_repr_refuses_nan():
    for d in (D.FloatDistribution(0, 1), D.IntDistribution(0, 1)):
        with pytest.raises(ValueError, match="cannot take NaN"):
            d.to_internal_repr(math.nan)


def test_categorical_unknown_choice_is_a_value_error():
    with pytest.raises(ValueError, match="is not one of the choices"):
        D.CategoricalDistribution([1, 2]).to_internal_repr(3)


def test_to_external_repr():
    assert D.IntDistribution(0, 10).to_external_repr(3.0) == 3
    assert isinstance(D.IntDistribution(0, 10).to_external_repr(3.0), int)
    assert D.CategoricalDistribution(["a", "b"]).to_external_repr(1.0) == "b"


def test_single():
    assert D.FloatDistribution(1.0, 1.0).single()
    assert D.IntDistribution(3, 4, step=2).single()
    assert D.CategoricalDistribution(["only"]).single()
    assert not D.FloatDistribution(0.0, 1.0).single()


def test_invalid_arguments_raise_value_error():
    with pytest.raises(ValueError, match="low"):
        D.FloatDistribution(1.0, 0.0)
    with pytest.raises(ValueError, match="log=True"):
        D.FloatDistribution(0.0, 1.0, log=True)
    with pytest.raises(ValueError, match="step"):
        D.FloatDistribution(0.1, 1.0, log=True, step=0.1)
    with pytest.raises(ValueError, match="at least one"):
        D.CategoricalDistribution([])


def test_high_is_snapped_to_the_step_grid():
    assert D.FloatDistribution(0.0, 1.0, step=0.3).high == pytest.approx(0.9)
    with pytest.warns(UserWarning, match="not divisible"):
        assert D.IntDistribution(0, 10, step=3).high == 9


def test_check_distribution_compatibility_refuses_another_kind():
    with pytest.raises(ValueError, match="another kind of distribution"):
        D.check_distribution_compatibility(
            D.FloatDistribution(0, 1), D.CategoricalDistribution([0, 1])
        )
    D.check_distribution_compatibility(D.IntDistribution(0, 1), D.IntDistribution(0, 5))


def test_a_range_that_is_not_a_whole_number_of_steps_warns_and_shrinks():
    with pytest.warns(UserWarning, match=r"not divisible by `step`=3; `high` is replaced by 9"):
        assert D.IntDistribution(0, 10, step=3).high == 9
    with pytest.warns(UserWarning, match=r"`high` is replaced by 1.0"):
        assert D.FloatDistribution(0, 1.2, step=0.5).high == 1.0


@pytest.mark.parametrize(
    ("legacy", "modern", "shown"),
    [
        (lambda: D.UniformDistribution(0, 1), D.FloatDistribution(0, 1), "low=0.0, high=1.0"),
        (
            lambda: D.LogUniformDistribution(1e-3, 1),
            D.FloatDistribution(1e-3, 1, log=True),
            "low=0.001, high=1.0",
        ),
        (
            lambda: D.DiscreteUniformDistribution(0, 1, 0.25),
            D.FloatDistribution(0, 1, step=0.25),
            "q=0.25",
        ),
        (lambda: D.IntUniformDistribution(0, 10, 2), D.IntDistribution(0, 10, step=2), "step=2"),
        (
            lambda: D.IntLogUniformDistribution(1, 10),
            D.IntDistribution(1, 10, log=True),
            "low=1, high=10",
        ),
    ],
)
def test_legacy_distributions(legacy, modern, shown):
    with pytest.warns(FutureWarning, match="deprecated"):
        d = legacy()
    assert isinstance(d, type(modern))
    assert (d.low, d.high, d.log, d.step) == (modern.low, modern.high, modern.log, modern.step)
    assert shown in repr(d)
    with pytest.warns(FutureWarning):
        assert D.json_to_distribution(D.distribution_to_json(d)) == d


def test_legacy_distribution_in_a_study():
    study = optuna.create_study()
    with pytest.warns(FutureWarning):
        fixed = {"x": D.UniformDistribution(0, 1)}
    trial = study.ask(fixed_distributions=fixed)
    assert 0 <= trial.params["x"] <= 1
    assert D.DISTRIBUTION_CLASSES[0] is D.FloatDistribution
