"""Damaged rows in a real SQLite file made by tftune (crafted with plain SQL): the damaged field is
left out and listed in the trial's ``load_errors``, the rest of the study stays readable, damage
to the study's own row is a clear StorageError, and the CLI prints one line, never a traceback.
"""

from __future__ import annotations

import logging
import math
import sqlite3

import pytest

import tftune
from tftune.cli import main
from tftune.exceptions import StorageError
from tftune.storages import RDBStorage
from tftune.trial import TrialState

DEEP = "[" * 100_000  # json.loads raises RecursionError on it


def make_db(path) -> str:
    """A study ``s`` (minimize) of three complete trials #0..#2 (ids 1..3; #0 is the best), each
    with params x (float) and c (categorical), a user attr u, a system attr sys and two reports.
    """
    url = f"sqlite:///{path}"
    storage = RDBStorage(url, heartbeat_interval=None)
    study = tftune.create_study("s", storage=storage)
    for i in range(3):
        trial = study.ask()
        trial.suggest_float("x", 0, 1)
        trial.suggest_categorical("c", ["a", "b"])
        trial.set_user_attr("u", [i, {"k": i}])
        trial.set_system_attr("sys", i)
        trial.report(i + 0.25, 0)
        trial.report(i + 0.125, 1)
        study.tell(trial, i + 0.5)
    storage.close()
    return url


def snapshot(trial: tftune.trial.FrozenTrial) -> tuple[object, ...]:
    return (
        trial.number,
        trial.state,
        trial.values,
        trial.params,
        trial.distributions,
        trial.user_attrs,
        trial.system_attrs,
        trial.intermediate_values,
        trial.datetime_start,
        trial.datetime_complete,
    )


def damage(path, *statements: str) -> None:
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            assert connection.execute(statement).rowcount >= 1, statement
        connection.commit()
    finally:
        connection.close()


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


_P = "UPDATE tftune_trial_params SET {} WHERE trial_id = 2 AND name = '{}'"
_T = "UPDATE tftune_trials SET {} WHERE trial_id = 2"
_V = "UPDATE tftune_trial_values SET {} WHERE trial_id = 2"
_I = "UPDATE tftune_trial_intermediate_values SET {} WHERE trial_id = 2 AND step = 1"
_A = "UPDATE tftune_trial_attrs SET value_json = '{}' WHERE trial_id = 2 AND key = '{}'"

# (id, SQL, a phrase of the load error, a check of the damaged trial #1)
TRIAL_CASES = [
    (
        "distribution-not-json",
        _P.format("distribution_json = '{'", "x"),
        "param 'x': distribution_json is unusable (Expecting property name",
        lambda t: "x" not in t.params and "x" not in t.distributions and t.params["c"] in "ab",
    ),
    (
        "distribution-unknown",
        _P.format("""distribution_json = '{"name": "Nope"}'""", "x"),
        "Unknown distribution",
        lambda t: "x" not in t.params,
    ),
    (
        "distribution-no-attributes",
        _P.format("""distribution_json = '{"name": "FloatDistribution"}'""", "x"),
        "has no attributes",
        lambda t: "x" not in t.params,
    ),
    (
        "distribution-bad-attributes",
        _P.format(
            """distribution_json = '{"name": "FloatDistribution", "attributes": {"low": 5}}'""",
            "x",
        ),
        "param 'x': distribution_json is unusable (Stored JSON of a FloatDistribution",
        lambda t: "x" not in t.params,
    ),
    (
        "distribution-deep",
        _P.format(f"distribution_json = '{DEEP}'", "x"),
        "param 'x': distribution_json is unusable (maximum recursion depth",
        lambda t: "x" not in t.params,
    ),
    (
        "param-value-text",
        _P.format("value = 'abc'", "x"),
        "param 'x': value 'abc' is not a number",
        lambda t: "x" not in t.params and "x" not in t.distributions,
    ),
    (
        "categorical-index-out-of-range",
        _P.format("value = 7", "c"),
        "param 'c': value 7.0 is not the index of one of its choices",
        lambda t: "c" not in t.params and "x" in t.params,
    ),
    (
        "state-unknown-int",
        _T.format("state = 99"),
        "state 99 is not a trial state; read as FAIL",
        lambda t: t.state == TrialState.FAIL and t.values == [1.5],
    ),
    (
        "state-text",
        _T.format("state = 'done'"),
        "state 'done' is not a trial state",
        lambda t: t.state == TrialState.FAIL,
    ),
    (
        "number-text",
        _T.format("number = 'one'"),
        "number 'one' is not an integer; read as -1",
        lambda t: t.number == -1,
    ),
    (
        "datetime-text",
        _T.format("datetime_start = 'yesterday'"),
        "datetime_start 'yesterday' is not a time",
        lambda t: t.datetime_start is None and t.datetime_complete is not None,
    ),
    (
        "datetime-out-of-range",
        _T.format("datetime_complete = 1e300"),
        "datetime_complete 1e+300 is not a time",
        lambda t: t.datetime_complete is None and t.datetime_start is not None,
    ),
    (
        "value-kind-unknown",
        _V.format("kind = 7"),
        "values: objective 0: value kind 7 is not 0 (finite)",
        lambda t: t.values is None and t.state == TrialState.COMPLETE,
    ),
    (
        "value-null-but-finite",
        _V.format("value = NULL"),
        "values: objective 0: value None is not a number",
        lambda t: t.values is None,
    ),
    (
        "value-text",
        _V.format("value = 'abc'"),
        "value 'abc' is not a number",
        lambda t: t.values is None,
    ),
    (
        "value-objective-gap",
        _V.format("objective = 3"),
        "values: objectives 3 are not 0..0",
        lambda t: t.values is None,
    ),
    (
        "intermediate-null-but-finite",
        _I.format("value = NULL"),
        "intermediate value at step 1: value None is not a number",
        lambda t: t.intermediate_values == {0: 1.25},
    ),
    (
        "intermediate-kind-unknown",
        _I.format("kind = 9"),
        "intermediate value at step 1: value kind 9",
        lambda t: t.intermediate_values == {0: 1.25},
    ),
    (
        "intermediate-step-text",
        _I.format("step = 'one'"),
        "intermediate value at step 'one': the step is not an integer",
        lambda t: t.intermediate_values == {0: 1.25},
    ),
    (
        "user-attr-not-json",
        _A.format("{", "u"),
        "user attr 'u': not valid JSON",
        lambda t: t.user_attrs == {},
    ),
    (
        "user-attr-deep",
        _A.format(DEEP, "u"),
        "user attr 'u': JSON nested too deeply",
        lambda t: t.user_attrs == {},
    ),
    (
        "param-name-not-utf8",
        _P.format("name = CAST(X'78FF' AS TEXT)", "x"),
        "param 'x\\udcff': the name is not valid UTF-8",
        lambda t: t.params.keys() == {"c"},
    ),
    (
        "param-distribution-not-utf8",
        _P.format("distribution_json = CAST(X'7BFF' AS TEXT)", "x"),
        "param 'x': distribution_json is not valid UTF-8",
        lambda t: t.params.keys() == {"c"},
    ),
    (
        "user-attr-not-utf8",
        "UPDATE tftune_trial_attrs SET value_json = CAST(X'22FF22' AS TEXT) "
        "WHERE trial_id = 2 AND key = 'u'",
        "user attr 'u': the JSON text is not valid UTF-8",
        lambda t: t.user_attrs == {},
    ),
    (
        "attr-key-not-utf8",
        "UPDATE tftune_trial_attrs SET key = CAST(X'75FF' AS TEXT) "
        "WHERE trial_id = 2 AND key = 'u'",
        "user attr 'u\\udcff': the key is not valid UTF-8",
        lambda t: t.user_attrs == {},
    ),
    (
        "system-attr-not-json",
        _A.format('{"a":', "sys"),
        "system attr 'sys': not valid JSON",
        lambda t: "sys" not in t.system_attrs,
    ),
]


@pytest.mark.parametrize(
    ("statement", "phrase", "check"),
    [case[1:] for case in TRIAL_CASES],
    ids=[case[0] for case in TRIAL_CASES],
)
def test_a_damaged_trial_row_leaves_out_its_field_and_the_rest_readable(
    tmp_path, capsys, caplog, statement, phrase, check
):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    before = tftune.load_study("s", storage=url).trials
    damage(path, statement)

    with caplog.at_level(logging.WARNING, logger="tftune"):
        trials = tftune.load_study("s", storage=url).trials
    assert len(trials) == 3
    intact = [trial for trial in trials if trial.trial_id != 2]
    assert [snapshot(t) for t in intact] == [snapshot(before[0]), snapshot(before[2])]
    damaged = next(trial for trial in trials if trial.trial_id == 2)
    errors = damaged.system_attrs["load_errors"]
    assert len(errors) == 1 and phrase in errors[0], errors
    assert check(damaged)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "(id 2)" in warnings[0] and phrase in warnings[0], warnings
    assert warnings[0].startswith(f"Trial #{damaged.number} (id 2)")

    for argv in (["trials", "s"], ["best", "s"], ["studies"], ["export", "s", "--format", "json"]):
        code, out, err = cli(capsys, *argv, "--storage", url)
        assert code == 0, (argv, err)
        assert "Traceback" not in err
    code, out, _ = cli(capsys, "best", "s", "--storage", url, "--json")
    assert code == 0 and '"number": 0' in out  # the best trial is intact


@pytest.mark.parametrize(
    ("statement", "phrase"),
    [
        ("UPDATE tftune_studies SET directions = '[7]'", "its directions cannot be read (7 is"),
        ("UPDATE tftune_studies SET directions = '['", "its directions cannot be read (not valid"),
        ("UPDATE tftune_studies SET directions = '[\"UP\"]'", "('UP' is not 'MINIMIZE'"),
        ("UPDATE tftune_studies SET directions = '[]'", "a list of direction names expected"),
        (f"UPDATE tftune_studies SET directions = '{DEEP}'", "JSON nested too deeply"),
    ],
    ids=["int", "not-json", "unknown-name", "empty", "deep"],
)
def test_damaged_study_directions_are_a_clear_storage_error(tmp_path, capsys, statement, phrase):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, statement)
    with pytest.raises(StorageError, match=r"Study 's' \(id 1\) is damaged") as raised:
        tftune.load_study("s", storage=url)
    assert phrase in str(raised.value)
    for argv in (["trials", "s"], ["best", "s"], ["studies"]):
        code, out, err = cli(capsys, *argv, "--storage", url)
        assert code == 1
        assert err.count("\n") == 1 and err.startswith("tftune: error: Study 's' (id 1)"), err
        assert phrase in err


def test_a_damaged_study_attr_is_a_clear_storage_error_and_trials_stay_readable(tmp_path):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, "INSERT INTO tftune_study_attrs VALUES (1, 0, 'note', '{')")
    study = tftune.load_study("s", storage=url)
    assert len(study.trials) == 3
    with pytest.raises(StorageError, match=r"Study 's' \(id 1\) .* its attr 'note' cannot be"):
        _ = study.user_attrs
    assert study.system_attrs == {}


def test_a_damaged_study_start_time_is_a_clear_storage_error(tmp_path, capsys):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, "UPDATE tftune_studies SET datetime_start = 'monday'")
    assert len(tftune.load_study("s", storage=url).trials) == 3
    with pytest.raises(StorageError, match=r"its datetime_start cannot be read"):
        tftune.get_all_study_summaries(url)
    code, _, err = cli(capsys, "studies", "--storage", url)
    assert code == 1 and err.count("\n") == 1 and "datetime_start 'monday'" in err


def test_a_damaged_best_value_leaves_the_summary_without_best_values(tmp_path):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, "UPDATE tftune_trial_values SET value = NULL WHERE trial_id = 1")
    (summary,) = tftune.get_all_study_summaries(url)
    assert summary.n_trials == 3 and summary.best_values is None


def test_an_unknown_state_counts_as_fail_in_filters_and_counts(tmp_path):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, "UPDATE tftune_trials SET state = 99 WHERE trial_id = 2")
    study = tftune.load_study("s", storage=url)
    assert [t.number for t in study.get_trials(states=(TrialState.FAIL,))] == [1]
    assert [t.number for t in study.get_trials(states=(TrialState.COMPLETE,))] == [0, 2]
    assert study.storage.get_n_trials(study.study_id, states=(TrialState.FAIL,)) == 1


def test_a_damaged_trial_is_warned_about_once(tmp_path, caplog):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    damage(path, _A.format("{", "u"), _V.format("kind = 7"))
    storage = RDBStorage(url, heartbeat_interval=None)
    with caplog.at_level(logging.WARNING, logger="tftune"):
        for _ in range(3):
            study = tftune.load_study("s", storage=url)
            _ = study.trials
            study.storage.get_trial(2)
        storage.get_trial(2)
    storage.close()
    warnings = [r.getMessage() for r in caplog.records if "(id 2)" in r.getMessage()]
    assert len(warnings) == 1
    damaged = tftune.load_study("s", storage=url).trials[1]
    assert len(damaged.system_attrs["load_errors"]) == 2
    assert damaged.user_attrs == {} and damaged.values is None
    assert math.isclose(damaged.intermediate_values[0], 1.25)


@pytest.mark.parametrize(
    ("direction", "damaged"),
    [("minimize", "NULL"), ("maximize", "'abc'")],  # each sorts first in the SQL ranking
)
def test_a_best_trial_with_a_damaged_value_gives_way_to_the_best_readable_one(
    tmp_path, direction, damaged
):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    best_id = 1 if direction == "minimize" else 3
    damage(
        path,
        f"UPDATE tftune_studies SET directions = '[\"{direction.upper()}\"]'",
        f"UPDATE tftune_trial_values SET value = {damaged} WHERE trial_id = {best_id}",
    )
    study = tftune.load_study("s", storage=url)
    assert study.best_trial.number == 1
    assert study.best_value == 1.5


def test_a_study_name_that_is_not_utf8_leaves_the_listing_readable(tmp_path, capsys):
    path = tmp_path / "tftune.db"
    url = make_db(path)
    tftune.create_study("other", storage=url)
    damage(
        path, "UPDATE tftune_studies SET study_name = CAST(X'73FF' AS TEXT) WHERE study_name = 's'"
    )
    names = sorted(summary.study_name for summary in RDBStorage(url).get_all_studies())
    assert names == ["other", "s\udcff"]
    code, out, err = cli(capsys, "studies", "--storage", url)
    assert code == 0 and "Traceback" not in err
    assert "other" in out and "s\\udcff" in out  # escaped, as every stored name is
    assert tftune.load_study("other", storage=url).trials == []
