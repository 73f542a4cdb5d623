"""What an objective may return in optimize: numbers, 0-d arrays, scalar tensors, sequences."""

from __future__ import annotations

import re

import numpy as np
import pytest

import tftune
from tftune.trial import TrialState


class _BrokenFloat:
    def __float__(self) -> float:
        raise RuntimeError("no float today")


class _DuckTensor:
    """A scalar tensor-like object: 0-d, converted through ``.numpy()`` only."""

    shape = ()

    def numpy(self) -> np.float64:
        return np.float64(0.75)


def _run(returned, directions=("minimize",)):
    study = tftune.create_study(directions=list(directions))
    study.optimize(lambda trial: returned if trial.number == 0 else [0.0] * len(directions), 2)
    return study.trials


@pytest.mark.parametrize(
    "returned, value",
    [
        (np.float32(1.5), 1.5),
        (np.array(1.5), 1.5),
        (np.array(2, dtype=np.int64), 2.0),
        (3, 3.0),
        ([0.5], 0.5),
        ((0.5,), 0.5),
        (np.array([0.25]), 0.25),
        (_DuckTensor(), 0.75),
        (float("inf"), float("inf")),
    ],
)
def test_numbers_0d_arrays_and_one_element_sequences_are_values(returned, value):
    first, second = _run(returned)
    assert first.state == TrialState.COMPLETE and first.values == [value]
    assert second.state == TrialState.COMPLETE


def test_a_1d_array_holds_one_value_per_objective():
    first, _ = _run(np.array([1.0, 2.0], dtype=np.float32), directions=("minimize", "maximize"))
    assert first.state == TrialState.COMPLETE and first.values == [1.0, 2.0]


@pytest.mark.parametrize(
    "returned, reason",
    [
        (True, r"each value must be a float, got True \(bool\): a bool is not a number"),
        (False, r"got False \(bool\): a bool is not a number"),
        (np.bool_(True), r"a bool is not a number"),
        ({1.0}, r"it must be a float or a sequence of floats .* got a set"),
        ({"loss": 1.0}, r"got a dict"),
        (10**400, r"which float\(\) refused: OverflowError: int too large to convert to float"),
        (_BrokenFloat(), r"which float\(\) refused: RuntimeError: no float today"),
        (np.array([[1.0]]), r"got a 2-d array"),
        ([[1.0]], r"each value must be a float, got \[1.0\] \(list\)"),
        (1 + 2j, r"which float\(\) refused: TypeError"),
        ([], r"returned 0 value\(s\)"),
    ],
    ids=[
        "True",
        "False",
        "np-bool",
        "set",
        "dict",
        "huge-int",
        "broken-float",
        "2d",
        "nested",
        "complex",
        "empty",
    ],
)
def test_other_values_fail_the_trial_with_the_reason_and_the_study_goes_on(returned, reason):
    first, second = _run(returned)
    assert first.state == TrialState.FAIL and first.values is None
    assert re.search(reason, first.system_attrs["fail_reason"])
    assert second.state == TrialState.COMPLETE


def test_a_huge_value_is_shown_cut_short_in_the_reason():
    first, _ = _run(10**400)
    assert len(first.system_attrs["fail_reason"]) < 300


def test_scalar_tensorflow_tensors_are_values():
    tf = pytest.importorskip("tensorflow")
    first, _ = _run(tf.constant(1.5))
    assert first.state == TrialState.COMPLETE and first.values == [1.5]
    first, _ = _run(tf.constant([1.0, 2.0]), directions=("minimize", "maximize"))
    assert first.state == TrialState.COMPLETE and first.values == [1.0, 2.0]
    first, _ = _run(tf.constant(True))
    assert first.state == TrialState.FAIL
    assert "a bool is not a number" in first.system_attrs["fail_reason"]
