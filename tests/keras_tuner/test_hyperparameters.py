"""Contract of ``tftune.keras_tuner.HyperParameters``: KerasTuner 1.4.8's defaults, grids,
conditional scopes and errors (expected values written down from KerasTuner 1.4.8), and the
values a tftune study suggests through it."""

from __future__ import annotations

import math

import pytest

import tftune
import tftune.keras_tuner as kt
from tftune.keras_tuner._trial import trial_hyperparameters
from tftune.samplers import GridSampler, RandomSampler


# --- outside a search: every hyperparameter's default ------------------------------------------
def test_defaults_outside_a_search_are_keras_tuners() -> None:
    hp = kt.HyperParameters()
    assert hp.Int("units", 32, 512, step=32) == 32
    assert hp.Int("bs", 16, 256, step=2, sampling="log") == 16
    assert hp.Float("lr", 1e-4, 1e-2, sampling="log") == 1e-4
    assert hp.Choice("act", ["relu", "tanh"]) == "relu"
    assert hp.Choice("k", [3, 5], default=5) == 5
    assert hp.Boolean("dropout") is False
    assert hp.Fixed("f", 7) == 7
    assert hp.values == {
        "units": 32,
        "bs": 16,
        "lr": 1e-4,
        "act": "relu",
        "k": 5,
        "dropout": False,
        "f": 7,
    }
    assert [type(h).__name__ for h in hp.space] == [
        "Int",
        "Int",
        "Float",
        "Choice",
        "Choice",
        "Boolean",
        "Fixed",
    ]
    # Declaring a name again returns the value it has, whatever the new range.
    assert hp.Int("units", 1, 2) == 32
    assert hp.Int("a", 1, 5, default=9) == 9  # KerasTuner does not check the default either


def test_grids_match_keras_tuner() -> None:
    hp = kt.HyperParameters()
    hp.Int("units", 32, 512, step=32)
    hp.Int("bs", 16, 256, step=2, sampling="log")  # a multiplying grid
    hp.Float("d", 0.0, 0.5, step=0.1)
    hp.Float("u", 0.0, 1.0)
    units, bs, d, u = hp.space
    assert list(units.values)[:4] == [32, 64, 96, 128] and len(units.values) == 16
    assert list(bs.values) == [16, 32, 64, 128, 256]
    assert d.values == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])  # 0.5 // 0.1 == 4 grid steps
    assert u.values == pytest.approx([0.05 + 0.1 * i for i in range(10)])  # decile midpoints


def test_settings_as_keras_tuner_reads_them() -> None:
    hp = kt.HyperParameters()
    hp.Int("a", 1, 9, step=2)
    hp.Int("n", 1, 1000, sampling="LOG")
    hp.Choice("s", ["x", "y"])
    hp.Choice("k", [3, 5])
    a, n, s, k = hp.space
    assert a.get_config() == {
        "name": "a",
        "default": None,
        "conditions": [],
        "min_value": 1,
        "max_value": 9,
        "step": 2,
        "sampling": "linear",
    }
    assert (n.step, n.sampling) == (None, "log")  # no step: any integer, on a log scale
    assert (s.ordered, k.ordered) == (False, True)
    assert str(kt.Objective("val_loss", "min")) == 'Objective(name="val_loss", direction="min")'


# --- bad input: KerasTuner's exception types, messages naming the hyperparameter and value ------
@pytest.mark.parametrize(
    ("declare", "error", "match"),
    [
        (lambda hp: hp.Int("a", 5, 1), ValueError, r"Int\(name='a'\), min_value 5 is greater"),
        (lambda hp: hp.Float("a", 5, 1), ValueError, r"Float\(name='a'\), min_value 5.0 is gr"),
        (lambda hp: hp.Int("a", 1, 5, sampling="cubic"), ValueError, r"'a'.*sampling.*'cubic'"),
        (
            lambda hp: hp.Float("a", 0, 5, sampling="log"),
            ValueError,
            r"Float\(name='a'\), sampling='log' does not support negative values, "
            r"found min_value: 0.0",
        ),
        (
            lambda hp: hp.Int("a", 1, 64, step=1, sampling="log"),
            ValueError,
            r"Int\(name='a'\), expected step > 1 with sampling='log'. Received: step=1",
        ),
        (lambda hp: hp.Int("a", 1.5, 5), ValueError, r"'a'.*min_value must be an int.*1.5"),
        (lambda hp: hp.Int("a", 1, 5, step=0.5), ValueError, r"'a'.*step must be an int.*0.5"),
        (lambda hp: hp.Choice("c", []), ValueError, r"`values` must be provided.*'c'"),
        (lambda hp: hp.Choice("c", [1, "a"]), TypeError, r"only one type.*\[1, 'a'\].*'c'"),
        (
            lambda hp: hp.Choice("c", [1, 2], default=3),
            ValueError,
            r"default value should be one of the choices of 'c'.*default=3",
        ),
        (
            lambda hp: hp.Choice("c", ["a", "b"], ordered=True),
            ValueError,
            r"`ordered` must be `False` for non-numeric.*'c'",
        ),
        (lambda hp: hp.Choice("c", [None, None]), TypeError, r"only `int`, `float`.*None.*'c'"),
        (lambda hp: hp.Boolean("b", default="yes"), ValueError, r"Boolean 'b'.*default='yes'"),
        (lambda hp: hp.Fixed("f", [1]), ValueError, r"`Fixed` value of 'f'.*found \[1\]"),
    ],
)
def test_bad_declarations_raise_keras_tuners_errors(declare, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        declare(kt.HyperParameters())


def test_conditional_scopes() -> None:
    hp = kt.HyperParameters()
    with (
        pytest.raises(ValueError, match="`HyperParameter` named: nope not defined"),
        hp.conditional_scope("nope", ["a"]),
    ):
        pass
    hp.Choice("model", ["mlp", "cnn"])
    with hp.conditional_scope("model", ["mlp"]):
        assert hp.Int("units", 8, 64, step=8) == 8
    with hp.conditional_scope("model", ["cnn"]):
        assert hp.Int("filters", 8, 64, step=8) is None  # registered, but inactive
        with pytest.raises(ValueError, match="same name as its parent. Found: model"):
            hp.Int("model", 1, 2)
    assert hp.Int("depth", 1, 3, parent_name="model", parent_values="cnn") is None
    assert hp.values == {"model": "mlp", "units": 8}
    assert hp.get("units") == 8 and hp["units"] == 8
    with pytest.raises(ValueError, match="filters is currently inactive"):
        hp.get("filters")
    with pytest.raises(KeyError, match="zzz does not exist"):
        hp.get("zzz")
    assert ("units" in hp, "filters" in hp, "zzz" in hp) == (True, False, False)
    assert (hp.is_active("units"), hp.is_active("filters")) == (True, False)
    assert [h.name for h in hp.space] == ["model", "units", "filters", "depth"]


def test_name_scope_and_copy() -> None:
    hp = kt.HyperParameters()
    with hp.name_scope("block"):
        hp.Int("n", 1, 3)
    assert hp.values == {"block/n": 1}
    copied = hp.copy()
    copied.values["block/n"] = 3
    assert hp.get("block/n") == 1 and copied.get("block/n") == 3


# --- inside a search: tftune's sampler chooses -------------------------------------------------
def _declare(hp: kt.HyperParameters) -> None:
    hp.Int("units", 32, 128, step=32)
    hp.Int("bs", 16, 256, step=2, sampling="log")
    hp.Int("n", 1, 1000, sampling="log")
    hp.Float("lr", 1e-4, 1e-1, sampling="log")
    hp.Float("m", 0.1, 0.99, sampling="reverse_log")
    hp.Float("d", 0.0, 0.5, step=0.1)
    hp.Choice("act", ["relu", "tanh"])
    hp.Boolean("bn")
    hp.Fixed("f", 3)
    with hp.conditional_scope("act", ["tanh"]):
        hp.Float("only_tanh", 0.0, 1.0)


def test_trial_values_stay_in_keras_tuners_ranges() -> None:
    study = tftune.create_study(sampler=RandomSampler(seed=0))
    seen_bs, seen_tanh = set(), []
    for _ in range(60):
        trial = study.ask()
        hp = trial_hyperparameters(trial, None)
        _declare(hp)
        values = hp.values
        assert values["units"] in (32, 64, 96, 128)
        assert values["bs"] in (16, 32, 64, 128, 256)
        seen_bs.add(values["bs"])
        assert 1 <= values["n"] <= 1000 and isinstance(values["n"], int)
        assert 1e-4 <= values["lr"] <= 1e-1
        assert 0.1 <= values["m"] <= 0.99
        assert any(math.isclose(values["d"], v, abs_tol=1e-9) for v in (0, 0.1, 0.2, 0.3, 0.4))
        assert values["f"] == 3 and "f" not in trial.params  # fixed: recorded, not tuned
        assert ("only_tanh" in values) == (values["act"] == "tanh")
        seen_tanh.append(values["act"] == "tanh")
        study.tell(trial, 0.0)
    assert seen_bs == {16, 32, 64, 128, 256} and any(seen_tanh) and not all(seen_tanh)


def test_reverse_log_values_crowd_the_top_of_the_range() -> None:
    study = tftune.create_study(sampler=RandomSampler(seed=1))
    values = []
    for _ in range(200):
        trial = study.ask()
        values.append(
            trial_hyperparameters(trial, None).Float("m", 0.1, 1.0, sampling="reverse_log")
        )
        study.tell(trial, 0.0)
    assert sum(v > 0.9 for v in values) > sum(v < 0.2 for v in values) * 3


def test_pre_declared_hyperparameters() -> None:
    declared = kt.HyperParameters()
    declared.Fixed("lr", 1e-3)
    declared.Int("units", 8, 16, step=8)
    study = tftune.create_study(sampler=GridSampler({"units": [8, 16]}))
    seen = []
    for _ in range(2):
        trial = study.ask()
        hp = trial_hyperparameters(trial, declared, tune_new_entries=False)
        # the build's own ranges do not override the declared ones
        assert hp.Float("lr", 1e-5, 1e-1) == 1e-3
        seen.append(hp.Int("units", 1, 1000))
        assert hp.Choice("act", ["relu", "tanh"]) == "relu"  # not tuned: its default
        study.tell(trial, 0.0)
    assert sorted(seen) == [8, 16]
    trial = tftune.create_study().ask()
    hp = trial_hyperparameters(trial, declared, allow_new_entries=False)
    with pytest.raises(RuntimeError, match=r"`allow_new_entries` is `False`.*'act'"):
        hp.Choice("act", ["relu", "tanh"])
