"""Rules for parameter names, checked before anything is written, so every storage agrees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_NAME_LENGTH = 512
"""The longest parameter name: the width of ``tftune_trial_params.name`` (and of attribute
keys) in ``storages/_rdb/_schema.py``. PostgreSQL enforces it; SQLite and memory would not."""


def check_name(name: Any, what: str = "A parameter name") -> None:
    """Raise unless ``name`` is a string every storage keeps as given: at most
    :data:`MAX_NAME_LENGTH` characters, no NUL (PostgreSQL cannot store ``'\\x00'``) and no
    lone surrogate (``'\\ud800'``: not UTF-8, so no database can store it)."""
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a string, got {name!r}.")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(
            f"{what} may have at most {MAX_NAME_LENGTH} characters (the storage's "
            f"limit), got one of {len(name)} characters: {name[:60]!r}..."
        )
    if "\x00" in name:
        raise ValueError(
            f"{what} cannot contain NUL characters ('\\x00'; PostgreSQL cannot store "
            f"them), got {name!r}."
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{what} must be valid Unicode text (no lone surrogates such as '\\ud800'; no "
            f"database can store them), got {name!r}."
        ) from None


def check_fixed_params(params: Mapping[str, Any]) -> None:
    """Check the names of ``enqueue_trial``'s parameters before the trial is queued.

    Values are checked when the objective suggests them, against their distribution."""
    for name in params:
        check_name(name)
