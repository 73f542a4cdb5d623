"""The argument parser: commands, their options and help."""

from __future__ import annotations

import argparse

from tftune import __version__
from tftune.cli import _commands, _plots
from tftune.cli._export import FORMATS
from tftune.cli._storage import STORAGE_ENV_VAR
from tftune.storages import DEFAULT_STORAGE_URL

DESCRIPTION = "Inspect, export and manage tftune studies stored in SQLite or PostgreSQL."
FORCE_HELP = "overwrite an existing --output file (never the study's own database)"


def _non_negative_int(text: str) -> int:
    """An argparse type: an int >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an int >= 0, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    """An argparse type: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text!r}")
    return value


def storage_options() -> argparse.ArgumentParser:
    """The ``--storage`` option every command shares."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--storage",
        metavar="URL",
        help=f"database URL (default: ${STORAGE_ENV_VAR} if set, else {DEFAULT_STORAGE_URL})",
    )
    return parent


def add_importance_options(
    parser: argparse.ArgumentParser, *, evaluator_default: str | None
) -> None:
    """``--params``, ``--target-index``, ``--evaluator`` and ``--seed``."""
    parser.add_argument(
        "--params", nargs="+", metavar="NAME", help="only these parameters (default: all)"
    )
    parser.add_argument(
        "--target-index",
        type=int,
        metavar="N",
        help="the objective to use (required for studies with several objectives)",
    )
    parser.add_argument(
        "--evaluator",
        default=evaluator_default,
        metavar="{" + ",".join(_plots.EVALUATORS) + "}",
        help="importance evaluator (default: ped-anova; fanova and mdi need scikit-learn)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="random seed of the fanova and mdi forests"
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``tftune`` parser; each command sets ``run`` to its function."""
    parser = argparse.ArgumentParser(prog="tftune", description=DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"tftune {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    storage = storage_options()

    studies = commands.add_parser("studies", parents=[storage], help="list the studies")
    studies.set_defaults(run=_commands.run_studies)

    trials = commands.add_parser("trials", parents=[storage], help="list the trials of a study")
    trials.add_argument("study", metavar="STUDY", help="study name")
    trials.add_argument(
        "--state", metavar="{" + ",".join(_commands.STATES) + "}", help="only trials in this state"
    )
    trials.set_defaults(run=_commands.run_trials)

    best = commands.add_parser(
        "best",
        parents=[storage],
        help="the best trial (one objective) or the Pareto front (several objectives)",
    )
    best.add_argument("study", metavar="STUDY", help="study name")
    best.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    best.set_defaults(run=_commands.run_best)

    export = commands.add_parser(
        "export", parents=[storage], help="write every trial of a study as CSV or JSON"
    )
    export.add_argument("study", metavar="STUDY", help="study name")
    export.add_argument(
        "--format", required=True, metavar="{" + ",".join(FORMATS) + "}", help="output format"
    )
    export.add_argument(
        "--output", metavar="FILE", help="file to write (default: standard output)"
    )
    export.add_argument("--force", action="store_true", help=FORCE_HELP)
    export.set_defaults(run=_commands.run_export)

    plot = commands.add_parser(
        "plot", parents=[storage], help="plot a study to an HTML page that works offline"
    )
    plot.add_argument("study", metavar="STUDY", help="study name")
    plot.add_argument(
        "--kind",
        required=True,
        metavar="{" + ",".join(_commands.PLOTS) + "}",
        help="; ".join(f"{kind}: {what}" for kind, what in _plots.PLOTS.items()),
    )
    plot.add_argument("--output", required=True, metavar="FILE", help="HTML file to write")
    plot.add_argument("--force", action="store_true", help=FORCE_HELP)
    add_importance_options(plot, evaluator_default=None)
    plot.add_argument(
        "--reference-point",
        nargs="+",
        type=float,
        metavar="X",
        help="--kind hypervolume: one number per objective, worse than the trials",
    )
    plot.set_defaults(run=_commands.run_plot)

    importance = commands.add_parser(
        "importance",
        parents=[storage],
        help="how much each parameter mattered, most important first",
    )
    importance.add_argument("study", metavar="STUDY", help="study name")
    add_importance_options(importance, evaluator_default="ped-anova")
    importance.set_defaults(run=_commands.run_importance)

    delete = commands.add_parser(
        "delete", parents=[storage], help="delete a study and all its trials"
    )
    delete.add_argument("study", metavar="STUDY", help="study name")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(run=_commands.run_delete)

    dashboard = commands.add_parser(
        "dashboard",
        parents=[storage],
        help="serve optuna-dashboard over the storage (read-only, on 127.0.0.1, by default)",
    )
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    dashboard.add_argument(
        "--port", type=int, default=8080, help="TCP port (default: 8080; 0: any free port)"
    )
    dashboard.add_argument(
        "--allow-write",
        action="store_true",
        help="let the dashboard write to the storage (notes, attributes, deleting studies)",
    )
    dashboard.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other than a loopback address (there is no authentication)",
    )
    dashboard.add_argument(
        "--max-curves",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="past N trials' lines the study page leaves its intermediate-values plot out "
        "and says so (default: 500; 0: no limit)",
    )
    dashboard.add_argument(
        "--max-lines",
        type=_non_negative_int,
        default=None,
        metavar="N",
        help="the parallel coordinates plot draws at most N trials, the best and an even "
        "sample of the rest, the timeline the last N, and each says so (default: 1000; 0: "
        "no limit)",
    )
    dashboard.add_argument(
        "--webgl-above",
        type=_positive_int,
        default=None,
        metavar="N",
        help="past N trials the history, slice and rank plots are drawn with WebGL and the "
        "page says so (default: 1000; an N above the study's trial count keeps them SVG)",
    )
    dashboard.set_defaults(run=_commands.run_dashboard)

    storage_command = commands.add_parser("storage", help="manage the database itself")
    storage_actions = storage_command.add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    upgrade = storage_actions.add_parser(
        "upgrade",
        parents=[storage],
        help="migrate the database schema to this tftune's version (back it up first)",
    )
    upgrade.set_defaults(run=_commands.run_storage_upgrade)
    return parser
