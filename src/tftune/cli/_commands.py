"""The commands: each takes the parsed arguments and returns the exit code."""

from __future__ import annotations

import argparse
import sys

import tftune
from tftune.cli import _export, _output, _plots, _tables
from tftune.cli._text import printable
from tftune.cli._errors import CliError
from tftune.cli._storage import (
    checked_url,
    describe,
    engine_options,
    masked,
    no_such_study,
    open_study,
    opened_storage,
    require_existing_sqlite_file,
    resolve_storage_url,
)
from tftune.exceptions import StudyNotFoundError
from tftune.storages._rdb import _engine, _migrations
from tftune.trial import FrozenTrial, TrialState

STATES = ("complete", "pruned", "fail", "running", "waiting")


def parse_choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` lower-cased if it is one of ``choices``; CliError naming the option otherwise."""
    if value.lower() not in choices:
        allowed = ", ".join(repr(choice) for choice in choices)
        raise CliError(f"{option} must be one of {allowed}, got {value!r}")
    return value.lower()


def directions_text(directions: list[tftune.StudyDirection]) -> str:
    """``minimize`` or ``minimize, maximize``."""
    return ", ".join(direction.name.lower() for direction in directions)


# --- tftune studies ------------------------------------------------------------------------
def run_studies(args: argparse.Namespace) -> int:
    """A table of every study in the storage."""
    with opened_storage(args.storage) as storage:
        summaries = tftune.get_all_study_summaries(storage)
        where = describe(storage)
    if not summaries:
        print(f"No studies in {where}.")
        return 0
    columns = ["Name", "Direction(s)", "Trials", "Complete", "Best value(s)", "Started"]
    rows = [
        [
            summary.study_name,
            directions_text(summary.directions),
            str(summary.n_trials),
            str(summary.n_complete),
            _tables.format_values(summary.best_values),
            _tables.format_datetime(summary.datetime_start),
        ]
        for summary in summaries
    ]
    _tables.print_table(
        columns, rows, title=f"Studies in {where}", right_aligned={"Trials", "Complete"}
    )
    return 0


# --- tftune trials -------------------------------------------------------------------------
def run_trials(args: argparse.Namespace) -> int:
    """A table of a study's trials, optionally of one state only."""
    states = None
    if args.state is not None:
        states = (TrialState[parse_choice("--state", args.state, STATES).upper()],)
    with opened_storage(args.storage) as storage:
        study = open_study(storage, args.study)
        trials = study.get_trials(deepcopy=False, states=states)
    if not trials:
        which = f" {args.state.upper()}" if args.state else ""
        print(f"Study {args.study!r} has no{which} trials.")
        return 0
    title = f"Trials of study {args.study!r} ({directions_text(study.directions)})"
    _tables.print_trials_table(title, trials, len(study.directions))
    return 0


# --- tftune best ---------------------------------------------------------------------------
def best_trials(study: tftune.Study) -> list[FrozenTrial]:
    """The best trial of a single-objective study, or the Pareto front of a multi-objective one."""
    if len(study.directions) > 1:
        front = study.best_trials
    else:
        try:
            front = [study.best_trial]
        except ValueError:
            front = []
    if not front:
        raise CliError(
            f"study {study.study_name!r} has no COMPLETE trial yet, so it has no best trial"
        )
    return front


def run_best(args: argparse.Namespace) -> int:
    """The best trial (one objective) or the Pareto front (several), as a table or JSON."""
    with opened_storage(args.storage) as storage:
        study = open_study(storage, args.study)
        front = best_trials(study)
    n_objectives = len(study.directions)
    if args.json:
        print(_export.to_json(best_json(study, front)), end="")
        return 0
    directions = directions_text(study.directions)
    if n_objectives == 1:
        title = f"Best trial of study {args.study!r} ({directions})"
    else:
        title = f"Pareto front of study {args.study!r} ({directions}): {len(front)} trial(s)"
    _tables.print_trials_table(title, front, n_objectives)
    return 0


def best_json(study: tftune.Study, front: list[FrozenTrial]) -> dict[str, object]:
    """``{"study", "directions", "best_trial"}``, or ``"best_trials"`` for several objectives."""
    n_objectives = len(study.directions)
    data: dict[str, object] = {
        "study": study.study_name,
        "directions": [direction.name.lower() for direction in study.directions],
    }
    records = [_export.trial_record(trial, n_objectives) for trial in front]
    if n_objectives == 1:
        data["best_trial"] = records[0]
    else:
        data["best_trials"] = records
    return data


# --- tftune export -------------------------------------------------------------------------
def run_export(args: argparse.Namespace) -> int:
    """Every trial of a study as CSV or JSON, to standard output or ``--output``."""
    fmt = parse_choice("--format", args.format, _export.FORMATS)
    if args.output is not None:
        _output.check_output("--output", args.output, args.storage, force=args.force)
    with opened_storage(args.storage) as storage:
        study = open_study(storage, args.study)
        trials = study.get_trials(deepcopy=False)
    n_objectives = len(study.directions)
    text = (
        _export.trials_csv(trials, n_objectives)
        if fmt == "csv"
        else _export.trials_json(trials, n_objectives)
    )
    if args.output is None:
        # JSON escapes control characters itself (ensure_ascii); CSV on a terminal is escaped
        # here, and stays exact in a pipe or a redirected file.
        sys.stdout.write(printable(text, newlines=True) if sys.stdout.isatty() else text)
        return 0
    _output.write_output("--output", args.output, text, force=args.force)
    print(
        f"Wrote {len(trials)} trial(s) of study {args.study!r} to {args.output}.", file=sys.stderr
    )
    return 0


# --- tftune plot ---------------------------------------------------------------------------
PLOTS = tuple(_plots.PLOTS)


def run_plot(args: argparse.Namespace) -> int:
    """A plot of a study as a self-contained HTML page (plotly.js embedded: works offline)."""
    kind = parse_choice("--kind", args.kind, PLOTS)
    if args.evaluator is not None:
        parse_choice("--evaluator", args.evaluator, _plots.EVALUATORS)
    args.evaluator = (args.evaluator or "ped-anova").lower()
    _output.check_output("--output", args.output, args.storage, force=args.force)
    try:
        from tftune import visualization  # noqa: F401  (plotly is there)
    except ImportError as error:  # pragma: no cover - plotly is missing
        raise CliError(str(error)) from None
    with opened_storage(args.storage) as storage:
        study = open_study(storage, args.study)
        try:
            figure = _plots.make_figure(study, kind, args)
        except (ImportError, ValueError) as error:
            raise CliError(str(error)) from None
    html = figure.to_html(include_plotlyjs=True, full_html=True)
    _output.write_output("--output", args.output, html, force=args.force)
    print(f"Wrote the {kind} plot of study {args.study!r} to {args.output}.", file=sys.stderr)
    return 0


# --- tftune importance ---------------------------------------------------------------------
def run_importance(args: argparse.Namespace) -> int:
    """A table of parameter importances, most important first."""
    args.evaluator = parse_choice("--evaluator", args.evaluator, _plots.EVALUATORS)
    with opened_storage(args.storage) as storage:
        study = open_study(storage, args.study)
        try:
            importances = _plots.importances(study, args)
        except (ImportError, ValueError) as error:
            raise CliError(str(error)) from None
    which = f", objective {args.target_index}" if args.target_index is not None else ""
    title = f"Parameter importances of study {args.study!r} ({args.evaluator}{which})"
    rows = [[name, _tables.format_importance(value)] for name, value in importances.items()]
    print(printable(title))  # above the table: a narrow table would wrap it
    _tables.print_table(["Parameter", "Importance"], rows, right_aligned={"Importance"})
    return 0


# --- tftune delete -------------------------------------------------------------------------
def run_delete(args: argparse.Namespace) -> int:
    """Delete a study and its trials, after confirmation unless ``--yes``."""
    with opened_storage(args.storage) as storage:
        try:
            study_id = storage.get_study_id_from_name(args.study)
        except StudyNotFoundError:
            raise no_such_study(storage, args.study) from None
        n_trials = storage.get_n_trials(study_id)
        question = (
            f"Delete study {args.study!r} and its {n_trials} trial(s) from {describe(storage)}?"
        )
        if not args.yes and not confirmed(question, args.study):
            print(f"Not deleted: study {args.study!r} is unchanged.", file=sys.stderr)
            return 1
        tftune.delete_study(args.study, storage=storage)
    print(f"Deleted study {args.study!r} and its {n_trials} trial(s).")
    return 0


def confirmed(question: str, study_name: str) -> bool:
    """Ask on the terminal; CliError when standard input is not one (a script must pass --yes)."""
    if not sys.stdin.isatty():
        raise CliError(
            f"refusing to delete study {study_name!r} without confirmation: standard input is not "
            "a terminal; pass --yes to delete it"
        )
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


# --- tftune dashboard ----------------------------------------------------------------------
def run_dashboard(args: argparse.Namespace) -> int:
    """Serve optuna-dashboard over the storage until Ctrl+C."""
    given = resolve_storage_url(args.storage)
    url = checked_url(given)
    require_existing_sqlite_file(url, given)
    try:
        from tftune import dashboard

        dashboard.run_server(
            url,
            args.host,
            args.port,
            allow_write=args.allow_write,
            allow_remote=args.allow_remote,
            max_curves=args.max_curves,
            max_lines=args.max_lines,
            webgl_above=args.webgl_above,
        )
    except ImportError as error:
        raise CliError(str(error)) from None
    except ValueError as error:  # a host needing --allow-remote, a port out of range
        raise CliError(str(error)) from None
    except OSError as error:  # the port is taken, the address is not this machine's
        raise CliError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    return 0


# --- tftune storage upgrade ----------------------------------------------------------------
def run_storage_upgrade(args: argparse.Namespace) -> int:
    """Migrate the database schema to this tftune's version."""
    given = resolve_storage_url(args.storage)
    url = checked_url(given)
    require_existing_sqlite_file(url, given)
    try:
        before, after = _migrations.upgrade_database(url, engine_kwargs=engine_options(url))
    except ImportError as error:
        raise CliError(f"--storage {masked(given)!r} needs a database driver: {error}") from None
    where = _engine.safe_url(url)
    if before == after:
        print(f"The schema of {where} is already at version {after}; nothing to upgrade.")
    else:
        print(f"Upgraded the schema of {where} from version {before} to {after}.")
    return 0
