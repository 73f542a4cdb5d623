"""Enqueued (fixed) values and parameter names: the objective sees what is stored and reloads,
and what a storage cannot hold is rejected before anything is written, alike on every storage.

Rules: a fixed value outside its range warns and is used, in the distribution's type (30.0 for
an int parameter is 30); one the distribution cannot hold exactly raises ValueError naming the
parameter: NaN or an infinity, a non-integral number or one beyond +-2**53 for an int
parameter, a non-number for a numeric one, a non-choice for a categorical one. Parameter names
(and attribute keys) have at most 512 characters and no NUL.
"""

from __future__ import annotations

import math
import warnings

import pytest

import tftune
from tftune.storages._rdb import _schema
from tftune.trial._names import MAX_NAME_LENGTH, check_fixed_params


def _run(storage_url, fixed, suggest):
    """Enqueue ``fixed``, suggest in one trial; return what the objective got, what the study
    holds and what a fresh load of the storage holds."""
    study = tftune.create_study(storage=storage_url, study_name="fixed")
    study.enqueue_trial(fixed)
    trial = study.ask()
    seen = suggest(trial)
    study.tell(trial, 0.0)
    held = study.trials[0].params
    reloaded = (
        held
        if storage_url is None
        else tftune.load_study(study_name="fixed", storage=storage_url).trials[0].params
    )
    return seen, held, reloaded


def _same(a, b):
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    "fixed, suggest, expected",
    [
        (3.0, lambda t: t.suggest_int("p", 0, 10), 3),
        (30.0, lambda t: t.suggest_int("p", 0, 10), 30),  # outside: warns, used as an int
        (-(2**53), lambda t: t.suggest_int("p", 0, 10), -(2**53)),
        (2, lambda t: t.suggest_float("p", 0, 10), 2.0),
        (20, lambda t: t.suggest_float("p", 0, 10), 20.0),  # outside: warns, used as a float
        (1.5, lambda t: t.suggest_float("p", 0, 10, step=0.5), 1.5),
        ("b", lambda t: t.suggest_categorical("p", ["a", "b"]), "b"),
    ],
)
def test_the_objective_sees_what_is_stored_and_reloads(storage_url, fixed, suggest, expected):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        seen, held, reloaded = _run(storage_url, {"p": fixed}, suggest)
    outside = [str(w.message) for w in record if "lies outside" in str(w.message)]
    assert len(outside) == (1 if fixed in (30.0, 20, -(2**53)) else 0)
    assert _same(seen, expected)
    assert _same(held["p"], expected) and _same(reloaded["p"], expected)


@pytest.mark.parametrize(
    "fixed, suggest, problem",
    [
        (2.5, lambda t: t.suggest_int("p", 0, 10), r"suggest_int takes an integer \(an integral"),
        (2**60 + 1, lambda t: t.suggest_int("p", 0, 10), r"an int parameter must lie within"),
        (2**53 + 1, lambda t: t.suggest_int("p", 0, 10), r"an int parameter must lie within"),
        (1e20, lambda t: t.suggest_int("p", 0, 10), r"an int parameter must lie within"),
        (math.nan, lambda t: t.suggest_float("p", 0, 1), r"a fixed number must be finite"),
        (math.inf, lambda t: t.suggest_float("p", 0, 1), r"a fixed number must be finite"),
        (-math.inf, lambda t: t.suggest_int("p", 0, 1), r"a fixed number must be finite"),
        (math.nan, lambda t: t.suggest_int("p", 0, 1), r"a fixed number must be finite"),
        (10**400, lambda t: t.suggest_float("p", 0, 1), r"it is too large for a float"),
        ("1", lambda t: t.suggest_float("p", 0, 1), r"it is not a number"),
        (True, lambda t: t.suggest_int("p", 0, 1), r"it is not a number"),
        ("c", lambda t: t.suggest_categorical("p", ["a", "b"]), r"it is not one of the choices"),
    ],
    ids=[
        "2.5",
        "2**60+1",
        "2**53+1",
        "1e20",
        "nan",
        "inf",
        "-inf int",
        "nan int",
        "10**400",
        "str",
        "bool",
        "not a choice",
    ],
)
def test_fixed_values_a_storage_cannot_hold_exactly_are_rejected_before_writing(
    storage_url, fixed, suggest, problem
):
    study = tftune.create_study(storage=storage_url)
    study.enqueue_trial({"p": fixed})
    trial = study.ask()
    with pytest.raises(
        ValueError,
        match=rf"Parameter 'p': the fixed value .* of trial #0 lies outside the suggested "
        rf"(Int|Float|Categorical)Distribution\(.*\) and cannot be used as given: {problem}",
    ):
        suggest(trial)
    assert trial.params == {}
    study.tell(trial, state=tftune.trial.TrialState.FAIL)
    assert study.trials[0].params == {}


# --- names -------------------------------------------------------------------------------------
def test_the_name_limit_is_the_schema_s():
    assert _schema.trial_params.c.name.type.length == MAX_NAME_LENGTH
    assert _schema.trial_attrs.c.key.type.length == MAX_NAME_LENGTH


def test_names_of_the_limit_work_on_every_storage(storage_url):
    study = tftune.create_study(storage=storage_url, study_name="names")
    trial = study.ask()
    name = "é" * MAX_NAME_LENGTH  # characters, not bytes
    value = trial.suggest_float(name, 0, 1)
    trial.set_user_attr(name, 1)
    study.tell(trial, 0.0)
    assert study.trials[0].params == {name: value}
    if storage_url is not None:
        reloaded = tftune.load_study(study_name="names", storage=storage_url).trials[0]
        assert reloaded.params == {name: value} and reloaded.user_attrs == {name: 1}


@pytest.mark.parametrize(
    "name, message",
    [
        (
            "x" * (MAX_NAME_LENGTH + 1),
            r"may have at most 512 characters \(the storage's limit\), "
            r"got one of 513 characters: 'xxxx",
        ),
        ("a\x00b", r"cannot contain NUL characters .*, got 'a\\x00b'"),
    ],
    ids=["513 characters", "NUL"],
)
def test_long_and_nul_names_are_rejected_before_writing(storage_url, name, message):
    study = tftune.create_study(storage=storage_url)
    trial = study.ask()
    with pytest.raises(ValueError, match=rf"A parameter name {message}"):
        trial.suggest_float(name, 0, 1)
    with pytest.raises(ValueError, match=rf"A parameter name {message}"):
        trial.suggest_categorical(name, ["a"])
    with pytest.raises(ValueError, match=rf"An attribute key {message}"):
        trial.set_user_attr(name, 1)
    with pytest.raises(ValueError, match=rf"A parameter name {message}"):
        check_fixed_params({"ok": 1, name: 1.0})  # for enqueue_trial, before it queues
    study.tell(trial, 0.0)
    assert study.trials[0].params == {} and study.trials[0].user_attrs == {}


def test_enqueue_trial_refuses_names_no_storage_keeps_before_queueing(storage):
    study = tftune.create_study(storage=storage)
    with pytest.raises(ValueError, match="at most 512 characters"):
        study.enqueue_trial({"x" * 513: 1.0})
    with pytest.raises(ValueError, match="cannot contain NUL"):
        study.enqueue_trial({"a\x00b": 1.0})
    assert study.trials == []
