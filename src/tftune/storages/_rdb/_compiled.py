"""The hot path: Core statements compiled once, run on the pooled DBAPI connection.

Building, compiling and executing a Core statement through SQLAlchemy costs several times what
SQLite takes to run it. The statements a trial runs on its way (create, suggest, report,
finish) are therefore module constants with named ``bindparam``s, compiled for the engine's
dialect on first use, and executed on the raw DBAPI cursor inside one explicit transaction.
Their columns hold only floats, ints, bools and strings, so no SQLAlchemy type processing is
skipped. Everything else goes through ordinary SQLAlchemy Core.
"""

from __future__ import annotations

from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler


class Statement(Protocol):
    """A Core INSERT, UPDATE or SELECT: what compiles to SQL text with bind parameters."""

    def compile(self, *, dialect: sa.Dialect | None = None) -> SQLCompiler: ...


class CompiledStatements:
    """A per-engine cache from statement to (SQL text, positional order, default values)."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self._dialect = dialect
        self._cache: dict[int, tuple[Statement, str, tuple[str, ...] | None, dict[str, Any]]] = {}

    def prepare(self, statement: Statement, params: dict[str, Any]) -> tuple[str, Any]:
        """The SQL text and the driver's parameters for ``statement`` with ``params``."""
        entry = self._cache.get(id(statement))
        if entry is None or entry[0] is not statement:
            compiled = statement.compile(dialect=self._dialect)
            positions = tuple(compiled.positiontup) if compiled.positiontup else None
            entry = self._cache[id(statement)] = (
                statement,
                str(compiled),
                positions,
                dict(compiled.params),
            )
        _, sql, positions, defaults = entry
        merged = {**defaults, **params} if defaults else params
        if positions is not None:
            return sql, tuple(merged[name] for name in positions)
        return sql, merged


class RawTransaction:
    """A DBAPI cursor inside one transaction, running compiled statements."""

    def __init__(self, cursor: Any, statements: CompiledStatements) -> None:
        self.cursor = cursor
        self._statements = statements

    def execute(self, statement: Statement, params: dict[str, Any]) -> Any:
        """Run ``statement``; return the cursor (for ``rowcount`` and ``fetchone``)."""
        sql, args = self._statements.prepare(statement, params)
        self.cursor.execute(sql, args)
        return self.cursor

    def execute_many(self, statement: Statement, rows: list[dict[str, Any]]) -> None:
        """Run ``statement`` once per parameter set."""
        if not rows:
            return
        prepared = [self._statements.prepare(statement, row) for row in rows]
        self.cursor.executemany(prepared[0][0], [args for _, args in prepared])
