"""The `tftune` command line, run in-process on real SQLite and PostgreSQL storages."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

import tftune
from tftune.cli import main
from tftune.storages import RDBStorage
from tftune.storages._rdb import _migrations
from tftune.trial import TrialState


@pytest.fixture(autouse=True)
def _plain_wide_console(monkeypatch):
    """Tables 250 columns wide and without colour, so rows never wrap; no storage from the env."""
    monkeypatch.setenv("COLUMNS", "250")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "TFTUNE_STORAGE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request) -> str:
    """A SQLite file and a PostgreSQL schema holding the studies ``demo`` and ``pareto``."""
    url = request.getfixturevalue(f"{request.param}_url")
    fill(url)
    return url


@pytest.fixture
def sqlite_demo_url(sqlite_url) -> str:
    """A SQLite file holding the studies ``demo`` and ``pareto`` (for tests the backend does not
    change)."""
    fill(sqlite_url)
    return sqlite_url


def fill(url: str) -> None:
    """Add the studies ``demo`` and ``pareto`` to the database at ``url``."""
    storage = RDBStorage(url, heartbeat_interval=None)
    try:
        add_demo_study(storage)
        add_pareto_study(storage)
    finally:
        storage.close()


def add_demo_study(storage: str | RDBStorage) -> None:
    """minimize: #0 0.5, #1 0.25 (best), #2 PRUNED at 0.8, #3 FAIL."""
    study = tftune.create_study("demo", storage=storage)
    for lr, layers, act in [
        (0.01, 2, "relu"),
        (0.001, 3, "tanh"),
        (0.1, 1, "relu"),
        (0.05, 4, "tanh"),
    ]:
        study.enqueue_trial({"lr": lr, "layers": layers, "act": act})
    outcomes = [
        (0.5, TrialState.COMPLETE),
        (0.25, TrialState.COMPLETE),
        (None, TrialState.PRUNED),
        (None, TrialState.FAIL),
    ]
    for value, state in outcomes:
        trial = study.ask()
        trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        trial.suggest_int("layers", 1, 4)
        trial.suggest_categorical("act", ["relu", "tanh"])
        trial.set_user_attr("epochs", trial.number + 1)
        trial.report(0.8, 0)
        if value is not None:
            trial.report(value, 1)
        study.tell(trial, value, state=None if state == TrialState.COMPLETE else state)


def add_pareto_study(storage: str | RDBStorage) -> None:
    """(minimize, maximize): #0 (1, 1) and #1 (2, 3) form the front; #2 (3, 2) is dominated."""
    study = tftune.create_study("pareto", storage=storage, directions=["minimize", "maximize"])
    for cost, gain in [(1, 1), (2, 3), (3, 2)]:
        study.enqueue_trial({"cost": cost})
        trial = study.ask()
        trial.suggest_int("cost", 1, 3)
        study.tell(trial, [cost, gain])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table_header(out: str) -> list[str]:
    line = next(line for line in out.splitlines() if line.startswith("┃"))
    return [cell.strip() for cell in line.strip("┃").split("┃")]


def table_rows(out: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("│").split("│")]
        for line in out.splitlines()
        if line.startswith("│")
    ]


def table_dicts(out: str) -> list[dict[str, str]]:
    header = table_header(out)
    return [dict(zip(header, row, strict=True)) for row in table_rows(out)]


# --- studies, trials, best ---------------------------------------------------------------
def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"tftune {tftune.__version__}"


def test_studies_lists_every_study_with_progress_and_best_value(capsys, url):
    code, out, err = run(capsys, "studies", "--storage", url)
    assert code == 0, err
    rows = {row["Name"]: row for row in table_dicts(out)}
    assert rows["demo"]["Direction(s)"] == "minimize"
    assert (rows["demo"]["Trials"], rows["demo"]["Complete"], rows["demo"]["Best value(s)"]) == (
        "4",
        "2",
        "0.25",
    )
    assert rows["pareto"]["Direction(s)"] == "minimize, maximize"
    assert (rows["pareto"]["Trials"], rows["pareto"]["Complete"]) == ("3", "3")
    assert rows["demo"]["Started"][:4].isdigit()


def test_studies_on_an_empty_database(capsys, sqlite_url):
    RDBStorage(sqlite_url, heartbeat_interval=None).close()
    code, out, _ = run(capsys, "studies", "--storage", sqlite_url)
    assert code == 0 and out.startswith("No studies in sqlite:///")


def test_trials_table_shows_numbers_states_values_and_params(capsys, sqlite_demo_url):
    code, out, err = run(capsys, "trials", "demo", "--storage", sqlite_demo_url)
    assert code == 0, err
    assert table_header(out) == ["Number", "State", "Value", "act", "layers", "lr", "Duration"]
    rows = table_dicts(out)
    assert [(r["Number"], r["State"], r["Value"]) for r in rows] == [
        ("0", "COMPLETE", "0.5"),
        ("1", "COMPLETE", "0.25"),
        ("2", "PRUNED", "0.8"),
        ("3", "FAIL", "-"),
    ]
    assert [(r["act"], r["layers"], r["lr"]) for r in rows][:2] == [
        ("relu", "2", "0.01"),
        ("tanh", "3", "0.001"),
    ]
    assert rows[0]["Duration"].endswith("s")


def test_tables_show_brackets_as_text_not_rich_markup(capsys, sqlite_url):
    study = tftune.create_study("[bold]odd", storage=sqlite_url)
    study.enqueue_trial({"[x]": "[red]label"})
    trial = study.ask()
    trial.suggest_categorical("[x]", ["[red]label", "plain"])
    study.tell(trial, 1.0)
    code, out, _ = run(capsys, "trials", "[bold]odd", "--storage", sqlite_url)
    assert code == 0 and "Trials of study '[bold]odd'" in out
    assert table_header(out)[3] == "[x]" and table_rows(out)[0][3] == "[red]label"


#: Stored text that would drive a terminal: colour (ESC), bell, a C1 CSI, and rich markup.
HOSTILE = "s\x1b[31m\x07\x9b[red]x[/red]"
#: How the CLI shows it: each control character as a Python-style escape, brackets as text.
SHOWN = "s\\x1b[31m\\x07\\x9b[red]x[/red]"
RAW_CONTROLS = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]


def add_hostile_study(url: str) -> None:
    """A study, parameter name, categorical value, user attribute and value all ``HOSTILE``."""
    study = tftune.create_study(HOSTILE, storage=url)
    study.enqueue_trial({HOSTILE: HOSTILE})
    trial = study.ask()
    trial.suggest_categorical(HOSTILE, [HOSTILE, "plain"])
    trial.set_user_attr(HOSTILE, HOSTILE)
    study.tell(trial, 1.0)


def assert_no_raw_controls(text: str) -> None:
    found = sorted({c for c in text if c in RAW_CONTROLS})
    assert not found, f"raw control characters {found!r} in {text!r}"


@pytest.mark.parametrize(
    "command",
    [["studies"], ["trials", HOSTILE], ["best", HOSTILE]],
    ids=["studies", "trials", "best"],
)
def test_tables_escape_control_characters_from_the_database(capsys, sqlite_url, command):
    add_hostile_study(sqlite_url)
    code, out, err = run(capsys, *command, "--storage", sqlite_url)
    assert code == 0, err
    assert_no_raw_controls(out + err)
    assert SHOWN in out  # the name in a cell, or the title (which shows it as a repr)
    if command[0] != "studies":
        assert table_header(out)[3] == SHOWN and table_rows(out)[0][3] == SHOWN


@pytest.mark.parametrize("command", [["best", HOSTILE, "--json"], ["export", HOSTILE]])
def test_json_on_standard_output_escapes_control_characters(capsys, sqlite_url, command):
    add_hostile_study(sqlite_url)
    if command[0] == "export":
        command = [*command, "--format", "json"]
    code, out, err = run(capsys, *command, "--storage", sqlite_url)
    assert code == 0, err
    assert_no_raw_controls(out)
    data = json.loads(out)
    record = data["best_trial"] if command[0] == "best" else data[0]
    assert record["params"] == {HOSTILE: HOSTILE} and record["user_attrs"] == {HOSTILE: HOSTILE}


def test_csv_is_escaped_on_a_terminal_and_exact_in_a_pipe(capsys, monkeypatch, sqlite_url):
    add_hostile_study(sqlite_url)
    argv = ["export", HOSTILE, "--format", "csv", "--storage", sqlite_url]
    code, piped, _ = run(capsys, *argv)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(piped)))
    assert rows[0][f"params_{HOSTILE}"] == HOSTILE and rows[0][f"user_attrs_{HOSTILE}"] == HOSTILE
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, shown, _ = run(capsys, *argv)
    assert code == 0
    assert_no_raw_controls(shown)
    assert f"params_{SHOWN}" in shown and f"user_attrs_{SHOWN}" in shown


def test_error_messages_escape_control_characters(capsys):
    from tftune.cli import fail

    assert fail(f"stored name {HOSTILE}\nsecond line") == 1
    err = capsys.readouterr().err
    assert err == f"tftune: error: stored name {SHOWN}\\x0asecond line\n"


def test_trials_state_filter(capsys, sqlite_url):
    add_demo_study(sqlite_url)
    code, out, _ = run(capsys, "trials", "demo", "--state", "pruned", "--storage", sqlite_url)
    assert code == 0
    assert [row[:2] for row in table_rows(out)] == [["2", "PRUNED"]]
    code, out, _ = run(capsys, "trials", "demo", "--state", "waiting", "--storage", sqlite_url)
    assert code == 0 and "no WAITING trials" in out


def test_best_single_objective_as_table_and_json(capsys, url):
    code, out, err = run(capsys, "best", "demo", "--storage", url)
    assert code == 0, err
    [row] = table_dicts(out)
    assert (row["Number"], row["Value"], row["act"], row["layers"], row["lr"]) == (
        "1",
        "0.25",
        "tanh",
        "3",
        "0.001",
    )

    code, out, _ = run(capsys, "best", "demo", "--json", "--storage", url)
    data = json.loads(out)
    assert code == 0 and data["study"] == "demo" and data["directions"] == ["minimize"]
    best = data["best_trial"]
    assert (best["number"], best["value"]) == (1, 0.25)
    assert best["params"] == {"lr": 0.001, "layers": 3, "act": "tanh"}
    assert best["intermediate_values"] == {"0": 0.8, "1": 0.25}


def test_best_multi_objective_is_the_pareto_front(capsys, sqlite_demo_url):
    code, out, _ = run(capsys, "best", "pareto", "--storage", sqlite_demo_url)
    assert code == 0 and "Pareto front" in out
    assert [row[:4] for row in table_rows(out)] == [
        ["0", "COMPLETE", "1", "1"],
        ["1", "COMPLETE", "2", "3"],
    ]

    code, out, _ = run(capsys, "best", "pareto", "--json", "--storage", sqlite_demo_url)
    front = json.loads(out)["best_trials"]
    assert [(t["number"], t["values"], t["params"]) for t in front] == [
        (0, [1, 1], {"cost": 1}),
        (1, [2, 3], {"cost": 2}),
    ]


def test_best_without_a_complete_trial_is_an_error(capsys, sqlite_url):
    tftune.create_study("empty", storage=sqlite_url)
    code, out, err = run(capsys, "best", "empty", "--storage", sqlite_url)
    assert code == 1 and out == ""
    assert err.startswith("tftune: error:") and "'empty'" in err and "no COMPLETE trial" in err


# --- export ------------------------------------------------------------------------------
def test_export_csv_parses_back_with_every_trial(capsys, url):
    code, out, err = run(capsys, "export", "demo", "--format", "csv", "--storage", url)
    assert code == 0, err
    reader = csv.DictReader(io.StringIO(out))
    assert reader.fieldnames == [
        "number",
        "state",
        "value",
        "datetime_start",
        "datetime_complete",
        "duration_s",
        "params_act",
        "params_layers",
        "params_lr",
        "user_attrs_epochs",
        "intermediate_values",
    ]
    rows = list(reader)
    assert [(r["number"], r["state"], r["value"]) for r in rows] == [
        ("0", "COMPLETE", "0.5"),
        ("1", "COMPLETE", "0.25"),
        ("2", "PRUNED", "0.8"),
        ("3", "FAIL", ""),
    ]
    assert (rows[1]["params_lr"], rows[1]["params_layers"], rows[1]["params_act"]) == (
        "0.001",
        "3",
        "tanh",
    )
    assert [r["user_attrs_epochs"] for r in rows] == ["1", "2", "3", "4"]
    assert json.loads(rows[0]["intermediate_values"]) == {"0": 0.8, "1": 0.5}
    assert (
        float(rows[0]["duration_s"]) >= 0
        and rows[0]["datetime_start"] < rows[0]["datetime_complete"]
    )


def test_export_json_parses_back(capsys, sqlite_demo_url):
    code, out, _ = run(capsys, "export", "demo", "--format", "JSON", "--storage", sqlite_demo_url)
    records = json.loads(out)
    assert code == 0 and [r["number"] for r in records] == [0, 1, 2, 3]
    assert records[1] | {
        "datetime_start": None,
        "datetime_complete": None,
        "duration_s": None,
    } == {
        "number": 1,
        "state": "COMPLETE",
        "value": 0.25,
        "datetime_start": None,
        "datetime_complete": None,
        "duration_s": None,
        "params": {"lr": 0.001, "layers": 3, "act": "tanh"},
        "user_attrs": {"epochs": 2},
        "intermediate_values": {"0": 0.8, "1": 0.25},
    }
    assert records[3]["state"] == "FAIL" and records[3]["value"] is None


def test_export_multi_objective_csv_has_a_column_per_objective(capsys, sqlite_url):
    add_pareto_study(sqlite_url)
    code, out, _ = run(capsys, "export", "pareto", "--format", "csv", "--storage", sqlite_url)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [(r["values_0"], r["values_1"], r["params_cost"]) for r in rows] == [
        ("1.0", "1.0", "1"),
        ("2.0", "3.0", "2"),
        ("3.0", "2.0", "3"),
    ]


def test_export_to_a_file(capsys, sqlite_url, tmp_path):
    add_demo_study(sqlite_url)
    target = tmp_path / "trials.json"
    code, out, err = run(
        capsys,
        "export",
        "demo",
        "--format",
        "json",
        "--output",
        str(target),
        "--storage",
        sqlite_url,
    )
    assert code == 0 and out == "" and "4 trial(s)" in err
    assert len(json.loads(target.read_text())) == 4


def study_count(sqlite_url: str) -> int:
    storage = RDBStorage(sqlite_url, heartbeat_interval=None, skip_table_creation=True)
    try:
        return len(tftune.get_all_study_summaries(storage))
    finally:
        storage.close()


OUTPUT_COMMANDS = [
    ["export", "demo", "--format", "csv"],
    ["export", "demo", "--format", "json"],
    ["plot", "demo", "--kind", "history"],
]


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
@pytest.mark.parametrize("force", [False, True])
def test_output_never_overwrites_the_storage_database(
    capsys, monkeypatch, sqlite_url, tmp_path, command, suffix, force
):
    add_demo_study(sqlite_url)
    database = tmp_path / "tftune.db"
    sibling = Path(f"{database}{suffix}")  # a -wal/-shm/-journal file is refused even if absent
    before = sibling.read_bytes() if sibling.exists() else None
    monkeypatch.chdir(tmp_path)  # the relative name and the default storage, as a user types it
    extra = ["--force"] if force else []
    code, out, err = run(capsys, *command, "--output", sibling.name, *extra)
    assert code == 1 and out == "", err
    assert err.startswith("tftune: error: --output must not be the study's storage file")
    assert repr(sibling.name) in err and os.path.realpath(database) in err and err.count("\n") == 1
    assert (sibling.read_bytes() if sibling.exists() else None) == before
    assert study_count(sqlite_url) == 1


def test_output_through_a_symlink_or_hard_link_to_the_storage_is_refused(
    capsys, sqlite_url, tmp_path
):
    add_demo_study(sqlite_url)
    database = tmp_path / "tftune.db"
    (tmp_path / "sub").mkdir()
    symlink = tmp_path / "link.db"
    symlink.symlink_to(database)
    hard_link = tmp_path / "hard.db"
    os.link(database, hard_link)
    before = database.read_bytes()
    for target in (symlink, hard_link, tmp_path / "sub" / ".." / "tftune.db"):
        code, _, err = run(
            capsys, "export", "demo", "--format", "csv", "--output", str(target), "--force",
            "--storage", sqlite_url,
        )  # fmt: skip
        assert code == 1 and "storage file" in err and repr(str(target)) in err, target
    assert database.read_bytes() == before and study_count(sqlite_url) == 1


@pytest.mark.parametrize("command", OUTPUT_COMMANDS)
def test_output_over_an_existing_file_needs_force(capsys, sqlite_url, tmp_path, command):
    add_demo_study(sqlite_url)
    target = tmp_path / "existing.out"
    target.write_text("keep me")
    code, out, err = run(capsys, *command, "--output", str(target), "--storage", sqlite_url)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert "--output must not be an existing file unless --force is given" in err
    assert repr(str(target)) in err and target.read_text() == "keep me"
    code, _, err = run(
        capsys, *command, "--output", str(target), "--force", "--storage", sqlite_url
    )
    assert code == 0, err
    assert target.read_text() != "keep me" and target.stat().st_size > 0


# --- delete ------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_delete_with_yes_removes_the_study(capsys, url):
    code, out, _ = run(capsys, "delete", "demo", "--yes", "--storage", url)
    assert code == 0 and "Deleted study 'demo'" in out and "4 trial(s)" in out
    assert tftune.get_all_study_names(url) == ["pareto"]


@pytest.mark.parametrize(("answer", "deleted"), [("yes", True), ("n", False)])
def test_delete_asks_on_a_terminal(capsys, monkeypatch, sqlite_url, answer, deleted):
    add_demo_study(sqlite_url)
    prompts = []
    monkeypatch.setattr(sys, "stdin", _Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: prompts.append(prompt) or answer)
    code, _, err = run(capsys, "delete", "demo", "--storage", sqlite_url)
    assert len(prompts) == 1 and "'demo'" in prompts[0] and "4 trial(s)" in prompts[0]
    assert code == (0 if deleted else 1)
    assert tftune.get_all_study_names(sqlite_url) == ([] if deleted else ["demo"])
    assert deleted or "unchanged" in err


def test_delete_refuses_without_a_terminal_or_yes(capsys, monkeypatch, sqlite_url):
    add_demo_study(sqlite_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))
    code, _, err = run(capsys, "delete", "demo", "--storage", sqlite_url)
    assert code == 1 and "--yes" in err and "'demo'" in err
    assert tftune.get_all_study_names(sqlite_url) == ["demo"]


# --- errors ------------------------------------------------------------------------------
def test_unknown_study_is_one_line_and_exit_code_1(capsys, url):
    for command in (["trials"], ["best"], ["export", "--format", "csv"], ["delete", "--yes"]):
        code, out, err = run(capsys, command[0], "nope", *command[1:], "--storage", url)
        assert code == 1 and out == "", command
        assert err.startswith("tftune: error: no study named 'nope'") and err.count("\n") == 1, (
            command
        )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["export", "demo", "--format", "xml"], ["--format", "'xml'", "'csv'"]),
        (["trials", "demo", "--state", "done"], ["--state", "'done'", "'complete'"]),
    ],
)
def test_bad_option_values_name_the_option_and_value(capsys, sqlite_url, argv, expected):
    add_demo_study(sqlite_url)
    code, _, err = run(capsys, *argv, "--storage", sqlite_url)
    assert code == 1 and err.startswith("tftune: error:") and all(text in err for text in expected)


def test_unsupported_url_scheme_hides_the_password(capsys):
    code, _, err = run(capsys, "studies", "--storage", "mysql://me:secret@db/tune")
    assert code == 1 and "'mysql'" in err and "secret" not in err and "Traceback" not in err
    code, _, err = run(capsys, "studies", "--storage", "")
    assert code == 1 and "--storage must be a database URL" in err and "got ''" in err


def test_unreachable_database(capsys):
    code, _, err = run(capsys, "studies", "--storage", "postgresql://postgres@127.0.0.1:1/test")
    assert code == 1 and err.startswith("tftune: error:") and "127.0.0.1:1" in err


def test_missing_sqlite_file_is_reported_not_created(capsys, tmp_path):
    missing = tmp_path / "typo.db"
    code, _, err = run(capsys, "studies", "--storage", f"sqlite:///{missing}")
    assert code == 1 and str(missing) in err and not missing.exists()


def test_usage_errors_keep_argparse_exit_code_2(capsys):
    assert main(["trials"]) == 2
    assert main(["frobnicate"]) == 2
    assert "usage:" in capsys.readouterr().err


def test_storage_comes_from_the_environment(capsys, monkeypatch, sqlite_url):
    add_demo_study(sqlite_url)
    monkeypatch.setenv("TFTUNE_STORAGE", sqlite_url)
    code, out, _ = run(capsys, "studies")
    assert code == 0 and [row[0] for row in table_rows(out)] == ["demo"]


# --- storage upgrade ---------------------------------------------------------------------
def set_schema_version(url: str, version: int) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE tftune_schema SET version = :v"), {"v": version})
    engine.dispose()


def test_storage_upgrade_migrates_an_old_schema(capsys, monkeypatch, url):
    def add_marker_table(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE tftune_upgrade_marker (id INTEGER)"))

    monkeypatch.setitem(_migrations.MIGRATIONS, 0, add_marker_table)
    set_schema_version(url, 0)
    code, _, err = run(capsys, "studies", "--storage", url)
    assert code == 1 and "tftune storage upgrade" in err

    code, out, err = run(capsys, "storage", "upgrade", "--storage", url)
    assert code == 0, err
    assert "from version 0 to 1" in out
    code, out, _ = run(capsys, "studies", "--storage", url)
    assert code == 0 and {row[0] for row in table_rows(out)} == {"demo", "pareto"}
    engine = sa.create_engine(url)
    assert sa.inspect(engine).has_table("tftune_upgrade_marker")
    engine.dispose()

    code, out, _ = run(capsys, "storage", "upgrade", "--storage", url)
    assert code == 0 and "already at version 1" in out


def test_storage_upgrade_refuses_a_newer_schema(capsys, sqlite_url):
    add_demo_study(sqlite_url)
    set_schema_version(sqlite_url, 99)
    code, _, err = run(capsys, "storage", "upgrade", "--storage", sqlite_url)
    assert code == 1 and "99" in err and "newer" in err


# --- the installed command ---------------------------------------------------------------
def test_console_script_runs_without_tensorflow(sqlite_url):
    add_demo_study(sqlite_url)
    script = Path(sys.executable).with_name("tftune")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "tftune"]
    env = {
        **os.environ,
        "COLUMNS": "250",
        "PYTHONPROFILEIMPORTTIME": "1",
    }  # stderr lists every import
    done = subprocess.run(
        [*command, "trials", "demo", "--storage", sqlite_url],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert [row[:3] for row in table_rows(done.stdout)][:2] == [
        ["0", "COMPLETE", "0.5"],
        ["1", "COMPLETE", "0.25"],
    ]
    assert "tftune.cli" in done.stderr
    assert "tensorflow" not in done.stderr and "keras" not in done.stderr
