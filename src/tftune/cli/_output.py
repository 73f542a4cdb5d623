"""Writing ``--output`` files: never over the study's own database, never over a file unasked.

``tftune export --output tftune.db`` once replaced the database it was reading with CSV text.
The storage's SQLite file and its ``-wal``, ``-shm`` and ``-journal`` siblings are refused
always (``--force`` does not lift that); any other existing file needs ``--force``.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa

from tftune.cli._errors import CliError
from tftune.cli._storage import checked_url, resolve_storage_url

#: Files SQLite keeps next to a database ``x.db``: ``x.db-wal``, ``x.db-shm``, ``x.db-journal``.
SQLITE_SIBLING_SUFFIXES = ("", "-wal", "-shm", "-journal")


def sqlite_files(storage_flag: str | None) -> list[str]:
    """The database file of a SQLite ``--storage`` and its siblings; ``[]`` for other kinds."""
    parsed = sa.make_url(checked_url(resolve_storage_url(storage_flag)))
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return []
    if database.startswith("file:"):  # a SQLite URI filename: file:path?mode=ro
        database = database.removeprefix("file:").split("?", 1)[0]
        if not database or database == ":memory:":
            return []
    return [database + suffix for suffix in SQLITE_SIBLING_SUFFIXES]


def same_file(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` name one file: the same resolved path, or (hard links) inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist
        return False


def check_output(option: str, path: str, storage_flag: str | None, *, force: bool) -> None:
    """CliError when ``path`` is the storage's database (or a sibling of it), or when it exists
    and ``force`` is false. Nothing is written either way.
    """
    for protected in sqlite_files(storage_flag):
        if same_file(path, protected):
            raise CliError(
                f"{option} must not be the study's storage file or one of its -wal/-shm/-journal "
                f"files (writing there would destroy the database), got {path!r} "
                f"(which is {os.path.realpath(protected)!r})"
            )
    if not force and os.path.lexists(path):
        raise CliError(refusal(option, path))


def refusal(option: str, path: str) -> str:
    """The message for an existing ``--output`` file without ``--force``."""
    return f"{option} must not be an existing file unless --force is given, got {path!r}"


def write_output(option: str, path: str, text: str, *, force: bool) -> None:
    """Write ``text`` to ``path`` (created anew unless ``force``); CliError naming ``option``."""
    mode = "w" if force else "x"  # "x": a file created since check_output is not overwritten
    try:
        with Path(path).open(mode, encoding="utf-8", newline="") as file:
            file.write(text)
    except FileExistsError:
        raise CliError(refusal(option, path)) from None
    except OSError as error:
        raise CliError(f"{option} {path!r} cannot be written: {error.strerror or error}") from None
