"""Human-readable output: cell formatting and rich tables."""

from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Container, Sequence
from typing import TYPE_CHECKING, Any

from tftune.cli._text import printable
from tftune.trial import FrozenTrial

if TYPE_CHECKING:
    from rich.console import Console

#: Width of tables written to a pipe or file (a terminal uses its own width, as does $COLUMNS).
PIPE_WIDTH = 200
EMPTY = "-"


def format_number(value: float) -> str:
    """A float with up to 10 significant digits (``0.30000000000000004`` shows as ``0.3``)."""
    return format(value, ".10g")


def format_cell(value: Any) -> str:
    """Any parameter, value or attribute as table text."""
    if value is None:
        return EMPTY
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def format_importance(value: float) -> str:
    """An importance to four decimals: ``0.8123``."""
    return f"{value:.4f}"


def format_values(values: Sequence[float] | None) -> str:
    """One or several objective values, comma-separated."""
    if not values:
        return EMPTY
    return ", ".join(format_number(v) for v in values)


def format_datetime(moment: Any) -> str:
    """A start or completion time to the second."""
    if moment is None:
        return EMPTY
    if isinstance(moment, datetime.datetime):
        return moment.isoformat(sep=" ", timespec="seconds")
    return str(moment)


def format_duration(duration: datetime.timedelta | None) -> str:
    """``12.345s`` under a minute, ``1:02:03`` above."""
    if duration is None:
        return EMPTY
    seconds = duration.total_seconds()
    if seconds < 60:
        return f"{seconds:.3f}s"
    return str(datetime.timedelta(seconds=round(seconds)))


def value_headers(n_objectives: int) -> list[str]:
    """``Value`` for one objective, ``Value 0``, ``Value 1``... for several."""
    return ["Value"] if n_objectives == 1 else [f"Value {i}" for i in range(n_objectives)]


def param_names(trials: Sequence[FrozenTrial]) -> list[str]:
    """Every parameter name used by the trials, sorted."""
    return sorted({name for trial in trials for name in trial.params})


def trial_table_columns(n_objectives: int, params: Sequence[str]) -> list[str]:
    """The header of a trials table."""
    return ["Number", "State", *value_headers(n_objectives), *params, "Duration"]


def trial_table_row(trial: FrozenTrial, n_objectives: int, params: Sequence[str]) -> list[str]:
    """One trial as a row under ``trial_table_columns``."""
    values: Sequence[float | None] = trial.values or [None] * n_objectives
    return [
        str(trial.number),
        trial.state.name,
        *(format_cell(v) for v in values),
        *(format_cell(trial.params[name]) if name in trial.params else EMPTY for name in params),
        format_duration(trial.duration),
    ]


def print_trials_table(title: str, trials: Sequence[FrozenTrial], n_objectives: int) -> None:
    """A table of trials: number, state, value(s), one column per parameter, duration."""
    params = param_names(trials)
    columns = trial_table_columns(n_objectives, params)
    rows = [trial_table_row(trial, n_objectives, params) for trial in trials]
    print_table(
        columns,
        rows,
        title=title,
        right_aligned={"Number", "Duration", *value_headers(n_objectives)},
    )


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    right_aligned: Container[str] = (),
) -> None:
    """Print a rich table to standard output: text is never read as rich markup, and its
    control characters are escaped (``printable``), since names and values come from the database.
    """
    from rich.table import Table
    from rich.text import Text

    def text(cell: str) -> Text:
        return Text(printable(cell))

    table = Table(title=text(title) if title is not None else None, title_justify="left")
    for column in columns:
        table.add_column(
            text(column), justify="right" if column in right_aligned else "left", overflow="fold"
        )
    for row in rows:
        table.add_row(*(text(cell) for cell in row))
    make_console().print(table)


def make_console() -> Console:
    """A console on the current standard output; wide when it is not a terminal."""
    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH
    return Console(file=sys.stdout, width=width, highlight=False, soft_wrap=False)
