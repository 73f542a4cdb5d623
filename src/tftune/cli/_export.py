"""Machine-readable trials: JSON records and CSV rows (stdlib only, no pandas).

A single-objective study's trials carry ``value``; a multi-objective one's ``values``
(``values_0``, ``values_1``... in CSV). Infinite and NaN floats become the strings ``"inf"``,
``"-inf"`` and ``"nan"`` in JSON, so the output is strict JSON.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
from collections.abc import Sequence
from typing import Any

from tftune.trial import FrozenTrial

FORMATS = ("csv", "json")


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as strings, datetimes as ISO text, at any depth."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def duration_seconds(trial: FrozenTrial) -> float | None:
    """The trial's duration in seconds, or ``None`` while it has not finished."""
    return None if trial.duration is None else trial.duration.total_seconds()


def value_fields(trial: FrozenTrial, n_objectives: int) -> dict[str, Any]:
    """``{"value": v}`` for one objective, ``{"values": [...]}`` for several."""
    if n_objectives == 1:
        return {"value": trial.values[0] if trial.values else None}
    return {"values": list(trial.values) if trial.values else None}


def trial_record(trial: FrozenTrial, n_objectives: int) -> dict[str, Any]:
    """Everything a user recorded about a trial, as a JSON-ready dict."""
    record = {
        "number": trial.number,
        "state": trial.state.name,
        **value_fields(trial, n_objectives),
        "datetime_start": trial.datetime_start,
        "datetime_complete": trial.datetime_complete,
        "duration_s": duration_seconds(trial),
        "params": dict(trial.params),
        "user_attrs": dict(trial.user_attrs),
        "intermediate_values": {
            str(step): v for step, v in sorted(trial.intermediate_values.items())
        },
    }
    safe: dict[str, Any] = json_safe(record)  # a dict stays a dict
    return safe


def to_json(data: Any) -> str:
    """Strict, indented JSON text ending with a newline."""
    # ensure_ascii: control characters in stored names print as \u001b, never raw, on a terminal
    return json.dumps(json_safe(data), indent=2, allow_nan=False, ensure_ascii=True) + "\n"


def trials_json(trials: Sequence[FrozenTrial], n_objectives: int) -> str:
    """A JSON list with one object per trial."""
    return to_json([trial_record(trial, n_objectives) for trial in trials])


def csv_columns(trials: Sequence[FrozenTrial], n_objectives: int) -> list[str]:
    """number, state, value(s), times, duration_s, params_*, user_attrs_*, intermediate_values."""
    values = ["value"] if n_objectives == 1 else [f"values_{i}" for i in range(n_objectives)]
    params = sorted({name for trial in trials for name in trial.params})
    attrs = sorted({name for trial in trials for name in trial.user_attrs})
    return [
        "number",
        "state",
        *values,
        "datetime_start",
        "datetime_complete",
        "duration_s",
        *(f"params_{name}" for name in params),
        *(f"user_attrs_{name}" for name in attrs),
        "intermediate_values",
    ]


def csv_cell(value: Any) -> str:
    """Text of one CSV cell: numbers and strings as Python prints them, other data as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return json.dumps(json_safe(value))
    return str(value)


def csv_row(trial: FrozenTrial, n_objectives: int) -> dict[str, str]:
    """One trial as a CSV row keyed by column name (absent params and attrs stay empty)."""
    values: Sequence[float | None] = trial.values or [None] * n_objectives
    row: dict[str, Any] = {"number": trial.number, "state": trial.state.name}
    if n_objectives == 1:
        row["value"] = values[0]
    else:
        row.update({f"values_{i}": v for i, v in enumerate(values)})
    row.update(
        datetime_start=trial.datetime_start.isoformat() if trial.datetime_start else None,
        datetime_complete=trial.datetime_complete.isoformat() if trial.datetime_complete else None,
        duration_s=duration_seconds(trial),
    )
    row.update({f"params_{name}": v for name, v in trial.params.items()})
    row.update({f"user_attrs_{name}": v for name, v in trial.user_attrs.items()})
    row["intermediate_values"] = (
        {str(step): v for step, v in sorted(trial.intermediate_values.items())}
        if trial.intermediate_values
        else None
    )
    return {column: csv_cell(value) for column, value in row.items()}


def trials_csv(trials: Sequence[FrozenTrial], n_objectives: int) -> str:
    """CSV text with a header and one row per trial."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=csv_columns(trials, n_objectives), restval="", lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(csv_row(trial, n_objectives) for trial in trials)
    return buffer.getvalue()
