"""The SQL schema of RDBStorage (SQLAlchemy Core tables, all prefixed ``tftune_``).

Bump ``SCHEMA_VERSION`` and add a step to ``_migrations.MIGRATIONS`` with every change.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 1

metadata = MetaData()

schema_info = Table(
    "tftune_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("library_version", String(64), nullable=False),
)

studies = Table(
    "tftune_studies",
    metadata,
    Column("study_id", Integer, primary_key=True, autoincrement=True),
    Column("study_name", String(512), nullable=False, unique=True),
    Column("directions", Text, nullable=False),
    Column("next_trial_number", Integer, nullable=False),
    Column("datetime_start", Float, nullable=False),  # seconds since the epoch
    sqlite_autoincrement=True,  # ids are never reused: processes cache finished trials by id
)

study_attrs = Table(
    "tftune_study_attrs",
    metadata,
    Column(
        "study_id",
        Integer,
        ForeignKey("tftune_studies.study_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("is_system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

trials = Table(
    "tftune_trials",
    metadata,
    Column("trial_id", Integer, primary_key=True, autoincrement=True),
    Column(
        "study_id",
        Integer,
        ForeignKey("tftune_studies.study_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("number", Integer, nullable=False),
    Column("state", SmallInteger, nullable=False),
    Column("datetime_start", Float),  # seconds since the epoch, like every time column
    Column("datetime_complete", Float),
    Column("heartbeat", Float),
    UniqueConstraint("study_id", "number", name="tftune_trials_study_number"),
    Index("tftune_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

_trial_fk = ForeignKey("tftune_trials.trial_id", ondelete="CASCADE")

trial_params = Table(
    "tftune_trial_params",
    metadata,
    Column("trial_id", Integer, _trial_fk, primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("value", Float, nullable=False),
    Column("distribution_json", Text, nullable=False),
)

trial_values = Table(
    "tftune_trial_values",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tftune_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("objective", Integer, primary_key=True),
    Column("value", Float),
    Column("kind", SmallInteger, nullable=False),
)

trial_intermediate_values = Table(
    "tftune_trial_intermediate_values",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tftune_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("step", Integer, primary_key=True),
    Column("value", Float),
    Column("kind", SmallInteger, nullable=False),
)

trial_attrs = Table(
    "tftune_trial_attrs",
    metadata,
    Column(
        "trial_id",
        Integer,
        ForeignKey("tftune_trials.trial_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("is_system", Boolean, primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value_json", Text, nullable=False),
)

# Floats are stored as (value, kind): SQLite turns NaN into NULL, so non-finite values get a kind.
_FINITE, _POS_INF, _NEG_INF, _NAN = 0, 1, 2, 3


def encode_float(value: float) -> tuple[float | None, int]:
    """Split a float into a finite column value (or NULL) and its kind."""
    if math.isfinite(value):
        return value, _FINITE
    if math.isnan(value):
        return None, _NAN
    return None, _POS_INF if value > 0 else _NEG_INF


def decode_float(value: Any, kind: Any) -> float:
    """Inverse of :func:`encode_float`; ValueError for a pair tftune never writes (SQLite keeps
    whatever a column is given, e.g. text in a FLOAT column)."""
    if kind == _FINITE:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"value {shown(value)} is not a number")
        return float(value)
    if isinstance(kind, int) and kind in _NON_FINITE:
        return _NON_FINITE[kind]
    raise ValueError(f"value kind {shown(kind)} is not 0 (finite), 1 (+inf), 2 (-inf) or 3 (NaN)")


_NON_FINITE = {_POS_INF: math.inf, _NEG_INF: -math.inf, _NAN: math.nan}


_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def check_utf8(text: Any, what: str) -> None:
    """ValueError if ``text`` holds bytes that were not UTF-8 in the database (read as lone
    surrogates: see ``_engine.decode_sqlite_text``)."""
    if isinstance(text, str) and not text.isascii() and _ESCAPED_BYTE.search(text):
        raise ValueError(f"{what} is not valid UTF-8: {shown(text)}")


def decode_json(text: Any) -> Any:
    """``json.loads`` of a stored ``*_json`` column; ValueError (never RecursionError or
    TypeError) for text tftune never writes."""
    if not isinstance(text, str):
        raise ValueError(f"JSON text expected, got {shown(text)}")
    check_utf8(text, "the JSON text")
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError(f"JSON nested too deeply: {shown(text)}") from None
    except ValueError as error:
        raise ValueError(f"not valid JSON ({error}): {shown(text)}") from None


def shown(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters, for messages about stored rows."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
