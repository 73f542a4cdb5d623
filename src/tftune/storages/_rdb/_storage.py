"""RDBStorage: studies in SQLite (the embedded default) or PostgreSQL (shared by machines).

Every statement runs inside ``_run``, the one place that opens a transaction, retries transient
lock conflicts, commits or rolls back, and turns driver errors into tftune's StorageError.
Finished trials never change, so they are cached in this process and read from the database once.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import datetime
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Container, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tftune import __version__
from tftune._experimental import warn_experimental_argument
from tftune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    distribution_to_json,
    json_to_distribution,
)
from tftune.exceptions import (
    DuplicatedStudyError,
    StorageError,
    StudyNotFoundError,
    UpdateFinishedTrialError,
)
from tftune.storages._base import FAIL_REASON_KEY, BaseStorage, StudySummary
from tftune.storages._cache import StudyTrials
from tftune.storages._heartbeat import HeartbeatThread
from tftune.storages._batch_writer import BatchWriter
from tftune.storages._rdb import _engine, _migrations
from tftune.storages._rdb._batch import JoinedTransactions
from tftune.storages._rdb._compiled import CompiledStatements, RawTransaction, Statement
from tftune.storages._rdb import _schema as s
from tftune._direction import StudyDirection
from tftune.trial._frozen import FrozenTrial
from tftune.trial._state import TrialState

T = TypeVar("T")
_RUNNING, _WAITING = int(TrialState.RUNNING), int(TrialState.WAITING)
_OPEN_STATES = (_RUNNING, _WAITING)
_MAX_RETRIES = 50
_CHUNK = 500

# The statements of a trial's hot path, compiled once per engine (see _compiled.py).
_t, _bp = s.trials, sa.bindparam
_is_open = sa.or_(_t.c.state == _RUNNING, _t.c.state == _WAITING)
_CLAIM_WAITING = (
    sa.select(_t.c.trial_id, _t.c.number)
    .where(_t.c.study_id == _bp("sid"), _t.c.state == _WAITING)
    # ``number + 0``: ordering by the bare column makes SQLite walk the study's (study_id,
    # number) index past every trial, O(trials); this way it takes the few waiting ones from
    # the (study_id, state) index and sorts them
    .order_by(_t.c.number + 0)
    .limit(1)
    .with_for_update(skip_locked=True)
)
_START_CLAIMED = (
    sa.update(_t)
    .where(_t.c.trial_id == _bp("tid"))
    .values(state=_RUNNING, datetime_start=_bp("now"), heartbeat=_bp("now"))
)
_TAKE_NUMBERS = (
    sa.update(s.studies)
    .where(s.studies.c.study_id == _bp("sid"))
    .values(next_trial_number=s.studies.c.next_trial_number + _bp("count"))
    .returning(s.studies.c.next_trial_number)
)
_INSERT_TRIAL = (
    sa.insert(_t)
    .values(
        study_id=_bp("sid"),
        number=_bp("num"),
        state=_RUNNING,
        datetime_start=_bp("now"),
        heartbeat=_bp("now"),
    )
    .returning(_t.c.trial_id)
)
_TOUCH_OPEN = (
    sa.update(_t).where(_t.c.trial_id == _bp("tid"), _is_open).values(heartbeat=_bp("now"))
)
_TOUCH_RUNNING = (
    sa.update(_t)
    .where(_t.c.trial_id == _bp("tid"), _t.c.state == _RUNNING)
    .values(heartbeat=_bp("now"))
)
_INSERT_PARAM = sa.insert(s.trial_params).values(
    trial_id=_bp("tid"), name=_bp("name"), value=_bp("value"), distribution_json=_bp("dist")
)
_FINISH = (
    sa.update(_t)
    .where(_t.c.trial_id == _bp("tid"), _is_open)
    .values(state=_bp("state"), datetime_complete=_bp("now"))
)
_RESTART = (
    sa.update(_t)
    .where(_t.c.trial_id == _bp("tid"), _is_open)
    .values(state=_RUNNING, datetime_start=_bp("now"), heartbeat=_bp("now"))
)
_INSERT_VALUE = sa.insert(s.trial_values).values(
    trial_id=_bp("tid"), objective=_bp("objective"), value=_bp("value"), kind=_bp("kind")
)
_TRIAL_STATE = sa.select(_t.c.number, _t.c.state).where(_t.c.trial_id == _bp("tid"))

#: The system attribute listing what was left out of a trial whose rows are damaged.
LOAD_ERRORS_KEY = "load_errors"
_logger = logging.getLogger(__name__)
_warned: set[tuple[str, int]] = set()  # (url, trial id) of each damaged trial warned about


class RDBStorage(BaseStorage, BatchWriter):
    """Studies in a SQL database, safe for many processes on one SQLite file or one PostgreSQL.

    Args:
        url: ``sqlite:///path.db`` or ``postgresql://user@host:port/db``.
        heartbeat_interval: seconds between heartbeats of this process's running trials
            (``None`` turns heartbeats off; a crashed trial then stays RUNNING).
        grace_period: seconds without a heartbeat before a running trial is failed
            (default: three heartbeat intervals).
        failed_trial_callback: called as ``callback(study, trial)`` for each trial failed for a
            stale heartbeat, e.g. :class:`RetryFailedTrialCallback` to run it again.
        busy_timeout: seconds SQLite waits for a lock before it retries.
        engine_kwargs: extra arguments for ``sqlalchemy.create_engine``.
        skip_table_creation: open an existing database without creating tables.
        skip_compatibility_check: open a database whose schema version differs from this
            tftune's (at your own risk: reads and writes may fail).

    PostgreSQL timeouts, so that a server that is down, frozen or unreachable ends in a
    :class:`~tftune.exceptions.StorageError` that names the setting to raise, never in a call
    that blocks forever. Defaults, each replaced by the same key in the URL query (which wins,
    e.g. ``postgresql://u@host/db?connect_timeout=30&statement_timeout=300``) or in
    ``engine_kwargs={"connect_args": {...}}``:

    * ``connect_timeout=10``: seconds to open a connection;
    * ``statement_timeout=60``: seconds (tftune's own parameter, 0 for none) a statement may run
      on the server (sent as ``options=-c statement_timeout``) and, plus 2 s, that the client
      waits for any answer on an open connection (psycopg 3.2+, found at run time); a timeout set
      in ``options`` is kept and used for that bound too;
    * ``keepalives=1``, ``keepalives_idle=30``, ``keepalives_interval=10``,
      ``keepalives_count=3`` and ``tcp_user_timeout=30000`` (ms): the kernel drops a connection
      to a peer that is gone (a dead machine, a network partition).

    A timeout is not retried; other lost connections (a server restart) are, on a new one.

    Damaged rows (written by something other than tftune, or by hand) never make a whole study
    unreadable. A trial's damaged field is left out of its FrozenTrial: a param whose
    distribution JSON or value is unusable, an attribute whose JSON is not valid (or nested too
    deeply), an intermediate value whose value or kind is not one tftune writes, a time that is
    not a number; its values are left out entirely (``values`` is ``None``) when one of them is
    damaged or the objectives are not 0..n-1; an unknown state is read as FAIL and a number
    that is not an integer as -1. Each problem is listed, naming the field, in the trial's
    system attr ``"load_errors"`` and logged as a warning once per trial (per URL and process).
    Damage to a study's own rows (its directions, start time or a study attr) raises a
    StorageError naming the study and the field.
    """

    def __init__(
        self,
        url: str,
        *,
        heartbeat_interval: float | None = 30.0,
        grace_period: float | None = None,
        failed_trial_callback: Callable[..., None] | None = None,
        busy_timeout: float = 60.0,
        engine_kwargs: dict[str, Any] | None = None,
        skip_table_creation: bool = False,
        skip_compatibility_check: bool = False,
    ) -> None:
        if heartbeat_interval is not None and not heartbeat_interval > 0:
            raise ValueError(
                f"`heartbeat_interval` must be > 0 or None, got {heartbeat_interval!r}."
            )
        if grace_period is not None and not grace_period > 0:
            raise ValueError(f"`grace_period` must be > 0 or None, got {grace_period!r}.")
        if heartbeat_interval not in (None, 30.0):  # Optuna's experimental argument, when set
            warn_experimental_argument("heartbeat_interval")
        self.url = _engine.normalise_url(url)
        self._options: dict[str, Any] = dict(  # how to reopen this storage (see __setstate__)
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            failed_trial_callback=failed_trial_callback,
            busy_timeout=busy_timeout,
            engine_kwargs=engine_kwargs,
        )
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period or (
            3 * heartbeat_interval if heartbeat_interval else None
        )
        self.failed_trial_callback = failed_trial_callback
        self._engine = _engine.create_engine(
            self.url, busy_timeout=busy_timeout, engine_kwargs=engine_kwargs
        )
        self._dialect = self._engine.dialect.name
        self._compiled = CompiledStatements(self._engine.dialect)
        self._dbapi = self._engine.dialect.loaded_dbapi
        self._upsert_trial_attr = self._upsert_statement(
            s.trial_attrs, ("trial_id", "is_system", "key")
        )
        self._upsert_intermediate = self._upsert_statement(
            s.trial_intermediate_values, ("trial_id", "step")
        )
        self._finished: dict[int, FrozenTrial] = {}
        self._directions: dict[int, list[StudyDirection]] = {}
        self._finished_lock = threading.Lock()
        self._study_trials: dict[int, StudyTrials] = {}  # see _refreshed
        self._study_trials_lock = threading.Lock()
        self._versions: dict[int, Any] = {}  # open trial id -> (state, heartbeat) when loaded
        self._joined = JoinedTransactions()  # see apply_writes
        # An in-memory SQLite database lives on one shared connection (StaticPool): threads
        # take turns on it, or one's BEGIN lands inside another's transaction.
        self._one_connection: contextlib.AbstractContextManager[Any] = (
            threading.RLock()
            if isinstance(self._engine.pool, sa.pool.StaticPool)
            else contextlib.nullcontext()
        )
        self._heartbeat = HeartbeatThread(self) if heartbeat_interval else None
        if not skip_table_creation:
            self._run(self._create_schema, write=True)
        version = self._run(_migrations.read_version)
        if version is None:
            revision = self._run(_migrations.optuna_revision)
            if revision is not None:
                raise StorageError(
                    _migrations.optuna_database_error(_engine.safe_url(self.url), revision)
                )
            raise StorageError(
                f"The database at {_engine.safe_url(self.url)} holds no tftune schema."
            )
        if not skip_compatibility_check:
            _migrations.check_version(version, _engine.safe_url(self.url))

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for custom queries; tftune's tables are ``tftune_*``)."""
        return self._engine

    def __getstate__(self) -> dict[str, Any]:
        """Pickled as its URL and options: the copy opens its own engine (and caches)."""
        return {"url": _portable_url(self.url), "options": self._options}

    def __setstate__(self, state: dict[str, Any]) -> None:
        type(self).__init__(self, state["url"], **state["options"], skip_table_creation=True)

    # --- the one transaction helper --------------------------------------------------------
    def _run(self, work: Callable[[sa.Connection], T], *, write: bool = False) -> T:
        """Run ``work(conn)`` in one transaction; retry lock conflicts; map driver errors."""
        with self._one_connection:
            return self._run_unshared(work, write=write)

    def _run_unshared(self, work: Callable[[sa.Connection], T], *, write: bool) -> T:
        for attempt in range(_MAX_RETRIES):
            try:
                with self._engine.connect() as conn:
                    if write:
                        conn = conn.execution_options(**{_engine.WRITE_OPTION: True})
                    with conn.begin():
                        return work(conn)
            except sa.exc.DBAPIError as error:
                retry = _engine.is_retryable(error) or error.connection_invalidated
                if retry and attempt < _MAX_RETRIES - 1 and not _engine.timeout_setting(error):
                    time.sleep(min(0.001 * 2**attempt, 0.5))
                    continue
                if isinstance(error, sa.exc.IntegrityError):
                    raise
                raise _engine.connection_error(self.url, error) from error
            except sa.exc.TimeoutError as error:  # every pooled connection in use, for too long
                raise _engine.connection_error(self.url, error) from error
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_raw(self, work: Callable[[RawTransaction], T]) -> T:
        """Run ``work`` in one write transaction on a pooled DBAPI connection (the hot path).

        Lock conflicts and connections found dead are retried; a failure during COMMIT is not
        (the transaction may have committed), it is raised.
        """
        joined = self._joined.current()
        if joined is not None:  # inside apply_writes: part of its transaction
            return work(joined)
        with self._one_connection:
            return self._run_raw_unshared(work)

    def _run_raw_unshared(self, work: Callable[[RawTransaction], T]) -> T:
        for attempt in range(_MAX_RETRIES):
            try:  # the pool does not wrap the driver's errors here (Engine.connect does)
                raw = self._engine.raw_connection()
            except (sa.exc.DBAPIError, sa.exc.TimeoutError, self._dbapi.Error) as error:
                raise _engine.connection_error(self.url, error) from error
            committing = False
            try:
                cursor = raw.cursor()
                try:
                    if self._dialect == "sqlite":
                        cursor.execute("BEGIN IMMEDIATE")
                    result = work(RawTransaction(cursor, self._compiled))
                    committing = True
                    raw.commit()
                    return result
                except BaseException:
                    if not committing:
                        _quietly(raw.rollback, self._dbapi.Error)
                    raise
                finally:
                    _quietly(cursor.close, self._dbapi.Error)
            except self._dbapi.Error as error:
                disconnected = self._engine.dialect.is_disconnect(
                    error, raw.dbapi_connection, None
                )
                if disconnected:
                    raw.invalidate()  # a server restart: drop the dead connection, take a new one
                retry = not committing and (disconnected or _engine.is_retryable(error))
                if retry and attempt < _MAX_RETRIES - 1 and not _engine.timeout_setting(error):
                    time.sleep(min(0.001 * 2**attempt, 0.5))
                    continue
                raise _engine.connection_error(self.url, error) from error
            finally:
                raw.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _create_schema(self, conn: sa.Connection) -> None:
        if self._dialect == "postgresql":  # serialise concurrent first opens of one database
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(8207342301)"))
        if _migrations.read_version(conn) is not None:
            return
        revision = _migrations.optuna_revision(conn)
        if revision is not None:  # not mixed with tftune's tables: refused in __init__
            return
        s.metadata.create_all(conn)
        conn.execute(
            sa.insert(s.schema_info).values(
                id=1, version=s.SCHEMA_VERSION, library_version=__version__
            )
        )

    def close(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.stop()
        self._engine.dispose()

    # --- schema versions (Optuna's RDBStorage methods, over tftune's numbered versions) -------
    def get_current_version(self) -> str:
        """The schema version the database holds (a string, as Optuna's revision ids are)."""
        return str(self._run(_migrations.read_version))

    def get_head_version(self) -> str:
        """The schema version this tftune writes."""
        return str(s.SCHEMA_VERSION)

    def get_all_versions(self) -> list[str]:
        """Every schema version tftune has had, newest first."""
        return [str(version) for version in range(s.SCHEMA_VERSION, 0, -1)]

    def upgrade(self) -> None:
        """Migrate the database to :meth:`get_head_version` (nothing to do when it is there;
        a storage opened with ``skip_compatibility_check`` may hold an older schema)."""
        self._run(lambda conn: _migrations.upgrade(conn, __version__), write=True)

    def _upsert(
        self, conn: sa.Connection, table: sa.Table, keys: Sequence[str], row: dict[str, Any]
    ) -> None:
        insert = (
            (postgresql if self._dialect == "postgresql" else sqlite).insert(table).values(**row)
        )
        update = {k: v for k, v in row.items() if k not in keys}
        conn.execute(insert.on_conflict_do_update(index_elements=list(keys), set_=update))

    def _upsert_statement(self, table: sa.Table, keys: Sequence[str]) -> Statement:
        """``INSERT ... ON CONFLICT (keys) DO UPDATE`` with a bind parameter per column."""
        insert: postgresql.Insert | sqlite.Insert = (
            postgresql if self._dialect == "postgresql" else sqlite
        ).insert(table)
        insert = insert.values({c.name: sa.bindparam(c.name) for c in table.columns})
        return insert.on_conflict_do_update(
            index_elements=list(keys),
            set_={c.name: insert.excluded[c.name] for c in table.columns if c.name not in keys},
        )

    # --- studies ---------------------------------------------------------------------------
    def create_new_study(self, directions: Sequence[StudyDirection], study_name: str) -> int:
        row = dict(
            study_name=study_name,
            directions=json.dumps([d.name for d in directions]),
            next_trial_number=0,
            datetime_start=time.time(),
        )

        def work(conn: sa.Connection) -> int:
            key = conn.execute(sa.insert(s.studies).values(**row)).inserted_primary_key
            assert key is not None  # one row was inserted, so SQLAlchemy has its key
            study_id: int = key[0]
            return study_id

        try:
            return self._run(work, write=True)
        except sa.exc.IntegrityError:
            raise DuplicatedStudyError(
                f"A study named {study_name!r} already exists in this storage."
            ) from None

    def delete_study(self, study_id: int) -> None:
        def work(conn: sa.Connection) -> None:
            if (
                conn.execute(sa.delete(s.studies).where(s.studies.c.study_id == study_id)).rowcount
                == 0
            ):
                raise StudyNotFoundError(f"No study with id {study_id} in this storage.")

        self._run(work, write=True)
        with self._finished_lock:
            self._finished.clear()  # trial ids of the deleted study are gone for good
        with self._study_trials_lock:
            self._study_trials.pop(study_id, None)

    def get_study_id_from_name(self, study_name: str) -> int:
        query = sa.select(s.studies.c.study_id).where(s.studies.c.study_name == study_name)
        study_id: int | None = self._run(lambda conn: conn.execute(query).scalar_one_or_none())
        if study_id is None:
            raise StudyNotFoundError(f"No study named {study_name!r} in this storage.")
        return study_id

    def _study_row(self, conn: sa.Connection, study_id: int) -> sa.Row[*tuple[Any, ...]]:
        row = conn.execute(
            sa.select(s.studies).where(s.studies.c.study_id == study_id)
        ).one_or_none()
        if row is None:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage.")
        return row

    def get_study_name_from_id(self, study_id: int) -> str:
        name: str = self._run(lambda conn: self._study_row(conn, study_id).study_name)
        return name

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        directions = self._directions.get(study_id)  # a study's directions never change
        if directions is None:
            row = self._run(lambda conn: self._study_row(conn, study_id))
            directions = self._directions[study_id] = _study_directions(row)
        return list(directions)

    def set_study_attr(self, study_id: int, key: str, value: Any, *, system: bool = False) -> None:
        row = dict(study_id=study_id, is_system=system, key=key, value_json=json.dumps(value))

        def work(conn: sa.Connection) -> None:
            self._study_row(conn, study_id)
            self._upsert(conn, s.study_attrs, ("study_id", "is_system", "key"), row)

        self._run(work, write=True)

    def get_study_attrs(self, study_id: int, *, system: bool = False) -> dict[str, Any]:
        def work(conn: sa.Connection) -> dict[str, Any]:
            row = self._study_row(conn, study_id)
            query = sa.select(s.study_attrs.c.key, s.study_attrs.c.value_json).where(
                s.study_attrs.c.study_id == study_id, s.study_attrs.c.is_system == system
            )
            return {key: _study_attr(row, key, value) for key, value in conn.execute(query)}

        return self._run(work)

    def get_all_studies(self) -> list[StudySummary]:
        t, v = s.trials, s.trial_values

        def work(conn: sa.Connection) -> list[StudySummary]:
            counts = {
                (row.study_id, row.state): row.n
                for row in conn.execute(
                    sa.select(t.c.study_id, t.c.state, sa.func.count().label("n")).group_by(
                        t.c.study_id, t.c.state
                    )
                )
            }
            summaries = []
            for row in conn.execute(sa.select(s.studies).order_by(s.studies.c.study_id)):
                directions = _study_directions(row)
                n_trials = sum(n for (sid, _), n in counts.items() if sid == row.study_id)
                n_complete = counts.get((row.study_id, int(TrialState.COMPLETE)), 0)
                best = None
                if len(directions) == 1 and n_complete:
                    maximize = directions[0] == StudyDirection.MAXIMIZE
                    best_id = conn.execute(self._best_query(row.study_id, maximize)).scalar()
                    best = _summary_values(
                        conn.execute(
                            sa.select(v.c.value, v.c.kind)
                            .where(v.c.trial_id == best_id)
                            .order_by(v.c.objective)
                        )
                    )
                summaries.append(
                    StudySummary(
                        row.study_id,
                        row.study_name,
                        directions,
                        n_trials,
                        n_complete,
                        best,
                        _study_start(row),
                    )
                )
            return summaries

        return self._run(work)

    # --- trials: writes --------------------------------------------------------------------
    def _take_numbers(
        self, conn: sa.Connection | RawTransaction, study_id: int, count: int
    ) -> int:
        """Reserve ``count`` consecutive trial numbers; return the first (row-locked, atomic)."""
        row = conn.execute(_TAKE_NUMBERS, dict(sid=study_id, count=count)).fetchone()
        end: int | None = None if row is None else row[0]
        if end is None:
            raise StudyNotFoundError(f"No study with id {study_id} in this storage.")
        return end - count

    def create_new_trial(self, study_id: int, *, create: bool = True) -> FrozenTrial | None:
        def work(tx: RawTransaction) -> tuple[int, int, bool, float] | None:
            now = time.time()
            row = tx.execute(_CLAIM_WAITING, dict(sid=study_id)).fetchone()
            if row is not None:
                tx.execute(_START_CLAIMED, dict(tid=row[0], now=now))
                return row[0], row[1], True, now
            if not create:
                return None
            number = self._take_numbers(tx, study_id, 1)
            trial_id = tx.execute(
                _INSERT_TRIAL, dict(sid=study_id, num=number, now=now)
            ).fetchone()[0]
            return trial_id, number, False, now

        created = self._run_raw(work)
        if created is None:
            return None
        trial_id, number, claimed, started = created
        if self._heartbeat is not None:
            self._heartbeat.add(trial_id)
        if claimed:
            return self.get_trial(trial_id)
        return FrozenTrial(
            number=number,
            state=TrialState.RUNNING,
            datetime_start=_datetime(started),
            trial_id=trial_id,
        )

    def enqueue_trials(
        self, study_id: int, templates: Sequence[FrozenTrial], *, once_key: str | None = None
    ) -> bool:
        def work(conn: sa.Connection) -> bool:
            if once_key is not None:  # claim the key atomically: exactly one caller wins
                insert = (postgresql if self._dialect == "postgresql" else sqlite).insert(
                    s.study_attrs
                )
                claimed = conn.execute(
                    insert.values(
                        study_id=study_id,
                        is_system=True,
                        key=once_key,
                        value_json="true",
                    )
                    .on_conflict_do_nothing()
                    .returning(s.study_attrs.c.key)
                ).first()
                if claimed is None:
                    return False
            if not templates:
                return True
            first = self._take_numbers(conn, study_id, len(templates))
            for start in range(0, len(templates), _CHUNK):
                chunk = templates[start : start + _CHUNK]
                ids = (
                    conn.execute(
                        sa.insert(s.trials).returning(
                            s.trials.c.trial_id, sort_by_parameter_order=True
                        ),
                        [
                            dict(study_id=study_id, number=first + start + i, state=_WAITING)
                            for i in range(len(chunk))
                        ],
                    )
                    .scalars()
                    .all()
                )
                attrs = [
                    dict(
                        trial_id=trial_id, is_system=system, key=key, value_json=json.dumps(value)
                    )
                    for trial_id, template in zip(ids, chunk, strict=True)
                    for system, mapping in (
                        (False, template.user_attrs),
                        (True, template.system_attrs),
                    )
                    for key, value in mapping.items()
                ]
                if attrs:
                    conn.execute(sa.insert(s.trial_attrs), attrs)
            return True

        return self._run(work, write=True)

    def add_trials(self, study_id: int, trials: Sequence[FrozenTrial]) -> list[int]:
        def work(conn: sa.Connection) -> list[int]:
            if not trials:
                return []
            first = self._take_numbers(conn, study_id, len(trials))
            ids: list[int] = []
            for offset, trial in enumerate(trials):
                running = trial.state == TrialState.RUNNING
                row = dict(
                    study_id=study_id,
                    number=first + offset,
                    state=int(trial.state),
                    datetime_start=_epoch(trial.datetime_start),
                    datetime_complete=_epoch(trial.datetime_complete),
                    heartbeat=time.time() if running else None,
                )
                ids.append(
                    conn.execute(sa.insert(s.trials).returning(s.trials.c.trial_id), row)
                    .scalars()
                    .one()
                )
            self._insert_trial_rows(conn, list(zip(ids, trials, strict=True)))
            return ids

        return self._run(work, write=True)

    def _insert_trial_rows(
        self, conn: sa.Connection, pairs: list[tuple[int, FrozenTrial]]
    ) -> None:
        """The params, values, intermediate values and attributes of newly inserted trials."""
        params = [
            dict(
                trial_id=tid,
                name=name,
                value=trial.distributions[name].to_internal_repr(value),
                distribution_json=distribution_to_json(trial.distributions[name]),
            )
            for tid, trial in pairs
            for name, value in trial.params.items()
        ]
        values = [
            dict(trial_id=tid, objective=i, value=enc[0], kind=enc[1])
            for tid, trial in pairs
            for i, enc in enumerate(s.encode_float(float(v)) for v in trial.values or [])
        ]
        steps = [
            dict(trial_id=tid, step=step, value=enc[0], kind=enc[1])
            for tid, trial in pairs
            for step, enc in (
                (step, s.encode_float(float(v))) for step, v in trial.intermediate_values.items()
            )
        ]
        attrs = [
            dict(trial_id=tid, is_system=system, key=key, value_json=json.dumps(value))
            for tid, trial in pairs
            for system, mapping in ((False, trial.user_attrs), (True, trial.system_attrs))
            for key, value in mapping.items()
        ]
        for table, rows in (
            (s.trial_params, params),
            (s.trial_values, values),
            (s.trial_intermediate_values, steps),
            (s.trial_attrs, attrs),
        ):
            if rows:
                conn.execute(sa.insert(table), rows)

    def _touch(
        self, tx: RawTransaction, trial_id: int, statement: Statement = _TOUCH_OPEN
    ) -> None:
        """Refresh the trial's heartbeat; raise if it is finished (or, for reports, not
        running)."""
        if tx.execute(statement, dict(tid=trial_id, now=time.time())).rowcount == 0:
            self._raise_not_open(tx, trial_id)

    def _raise_not_open(self, tx: RawTransaction, trial_id: int) -> None:
        row = tx.execute(_TRIAL_STATE, dict(tid=trial_id)).fetchone()
        if row is None:
            raise KeyError(f"No trial with id {trial_id} in this storage.")
        raise UpdateFinishedTrialError(
            f"Trial #{row[0]} is {TrialState(row[1]).name}; only a running trial can be changed."
        )

    def set_trial_param(
        self, trial_id: int, name: str, internal_value: float, distribution: BaseDistribution
    ) -> None:
        row = dict(
            tid=trial_id, name=name, value=internal_value, dist=distribution_to_json(distribution)
        )

        def work(tx: RawTransaction) -> None:
            self._touch(tx, trial_id)
            tx.execute(_INSERT_PARAM, row)

        self._run_raw(work)

    def set_trial_state_values(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        *,
        system_attrs: dict[str, Any] | None = None,
    ) -> None:
        def work(tx: RawTransaction) -> None:
            now = time.time()
            if state == TrialState.RUNNING:
                result = tx.execute(_RESTART, dict(tid=trial_id, now=now))
            else:
                result = tx.execute(_FINISH, dict(tid=trial_id, state=int(state), now=now))
            if result.rowcount == 0:
                self._raise_not_open(tx, trial_id)
            if values is not None:
                tx.execute_many(
                    _INSERT_VALUE,
                    [
                        dict(tid=trial_id, objective=i, value=enc[0], kind=enc[1])
                        for i, enc in enumerate(s.encode_float(float(v)) for v in values)
                    ],
                )
            if system_attrs:
                tx.execute_many(
                    self._upsert_trial_attr,
                    [
                        dict(
                            trial_id=trial_id,
                            is_system=True,
                            key=key,
                            value_json=json.dumps(value),
                        )
                        for key, value in system_attrs.items()
                    ],
                )

        self._run_raw(work)
        if state.is_finished() and self._heartbeat is not None:
            self._heartbeat.discard(trial_id)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        encoded, kind = s.encode_float(value)

        def work(tx: RawTransaction) -> None:
            self._touch(tx, trial_id, _TOUCH_RUNNING)
            tx.execute(
                self._upsert_intermediate,
                dict(trial_id=trial_id, step=step, value=encoded, kind=kind),
            )

        self._run_raw(work)

    def set_trial_attr(self, trial_id: int, key: str, value: Any, *, system: bool = False) -> None:
        row = dict(trial_id=trial_id, is_system=system, key=key, value_json=json.dumps(value))

        def work(tx: RawTransaction) -> None:
            self._touch(tx, trial_id)
            tx.execute(self._upsert_trial_attr, row)

        self._run_raw(work)

    def apply_writes(self, writes: Sequence[tuple[str, tuple[Any, ...], dict[str, Any]]]) -> None:
        """Run a batch of trial writes (``(method, args, kwargs)`` of ``set_trial_param``,
        ``set_trial_attr``, ``set_trial_intermediate_value``, ``set_trial_state_values``) in
        order, in one transaction (one commit; see ``_batch.py``): all of them or none.

        Raises ValueError for any other method. When a write raises (a trial finished
        meanwhile), the batch is rolled back and its error raised (the caller may store the
        trials one by one: ``storages._remote.apply_trials_writes``)."""
        from tftune.storages._remote import TRIAL_WRITES

        for method, _, _ in writes:
            if method not in TRIAL_WRITES:
                raise ValueError(f"{method!r} is not a trial write; a batch holds only those.")
        if not writes:
            return

        def work(tx: RawTransaction) -> None:
            with self._joined.joined(tx):
                for method, args, kwargs in writes:
                    getattr(self, method)(*args, **kwargs)

        self._run_raw(work)

    # --- trials: reads ---------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._finished.get(trial_id)
        if cached is not None:
            return cached.copy()
        trials = self._run(
            lambda conn: self._load(
                conn, sa.select(s.trials).where(s.trials.c.trial_id == trial_id)
            )
        )
        if not trials:
            raise KeyError(f"No trial with id {trial_id} in this storage.")
        return trials[0]

    def get_all_trials(
        self, study_id: int, *, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The trials, from this object's cache of the study refreshed by one query for what
        changed (see ``_refreshed``). With ``deepcopy=False`` the cached trials themselves are
        returned: read-only for the caller; with ``deepcopy=True`` deep copies (nested attribute
        values included), as the other storages give."""
        with self._study_trials_lock:
            trials = self._refreshed(study_id).select(states)
        return copy.deepcopy(trials) if deepcopy else trials

    def get_finished_trials(self, study_id: int, *, start: int = 0) -> list[FrozenTrial]:
        with self._study_trials_lock:
            return self._refreshed(study_id).finished_since(start)

    def get_n_trials(self, study_id: int, states: Container[TrialState] | None = None) -> int:
        with self._study_trials_lock:
            return self._refreshed(study_id).count(states)

    def _refreshed(self, study_id: int) -> StudyTrials:
        """This object's cache of the study's trials, brought up to date (hold the lock).

        One query finds what changed since the last refresh: trials newer than the newest one
        seen (trial ids grow, and a study's trials are created under its row lock, so in id
        order), trials open now (RUNNING or WAITING) and those open when last seen. Only the
        new ones, the newly finished ones and the open ones whose ``(state, heartbeat)`` moved
        are loaded: every write to an open trial refreshes its heartbeat (``_touch``,
        ``_RESTART``, ``_START_CLAIMED``) or changes its state. Finished trials never change and
        are never read again. Other processes' trials thus show up at the next read.
        """
        cache = self._study_trials.get(study_id)
        if cache is None:
            cache = StudyTrials(self.get_study_directions(study_id))
        known = {trial_id: self._versions.get(trial_id) for trial_id in cache.open}
        by_id = list(known) if len(known) <= _CHUNK else []

        def work(cursor: Any) -> tuple[list[FrozenTrial], dict[int, Any]]:
            versions = self._changed(cursor, study_id, cache, by_id)
            load = [i for i, version in versions.items() if known.get(i) != version]
            load += [i for i in known if i not in versions]  # finished (not listed by id)
            loaded = []
            for start in range(0, len(load), _CHUNK):
                loaded += self._load_raw(cursor, load[start : start + _CHUNK])
            return loaded, versions

        loaded, versions = self._read_raw(work)
        for trial in sorted(loaded, key=lambda trial: trial.number):
            cache.put(trial)
            if trial.state.is_finished():
                self._versions.pop(trial.trial_id, None)
            else:
                self._versions[trial.trial_id] = versions.get(trial.trial_id)
        self._study_trials[study_id] = cache
        return cache

    def _changed(
        self, cursor: Any, study_id: int, cache: StudyTrials, by_id: list[int]
    ) -> dict[int, tuple[int, float | None]]:
        """``(state, heartbeat)`` of the trials that may have changed since ``cache`` was
        refreshed: newer ones, open ones, and those of ``by_id``; StudyNotFoundError if the
        study is gone (deleted by this or another process)."""
        mark = "?" if self._dialect == "sqlite" else "%s"
        cursor.execute(f"SELECT 1 FROM {s.studies.name} WHERE study_id = {mark}", (study_id,))
        if cursor.fetchone() is None:
            self._study_trials.pop(study_id, None)
            raise StudyNotFoundError(f"No study with id {study_id} in this storage.")
        # One UNION ALL branch per index: newer trials by the primary key (``+study_id`` keeps
        # SQLite from scanning the study's whole (study_id, state) index instead, O(trials)),
        # open ones by (study_id, state), and the listed ones by id. Duplicates collapse below.
        select = f"SELECT trial_id, state, heartbeat FROM {s.trials.name} WHERE "
        sql = (
            f"{select}trial_id > {mark} AND +study_id = {mark} UNION ALL "
            f"{select}study_id = {mark} AND state IN ({mark}, {mark})"
        )
        args: list[Any] = [cache.last_id, study_id, study_id, _RUNNING, _WAITING]
        if by_id:
            sql += f" UNION ALL {select}trial_id IN ({', '.join([mark] * len(by_id))})"
            args += by_id
        cursor.execute(sql, tuple(args))
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}

    def _load_raw(self, cursor: Any, ids: list[int]) -> list[FrozenTrial]:
        """``_load`` on the DBAPI cursor for the trials ``ids`` (the cache's hot path): the same
        FrozenTrials, from the same columns and the same row decoders, without SQLAlchemy's
        per-statement cost."""
        mark = "?" if self._dialect == "sqlite" else "%s"
        where = f" WHERE trial_id IN ({', '.join([mark] * len(ids))})"

        def rows(row: type[Any], table: sa.Table) -> list[Any]:
            cursor.execute(f"SELECT {', '.join(row._fields)} FROM {table.name}{where}", tuple(ids))
            return [row._make(values) for values in cursor.fetchall()]

        problems: dict[int, list[str]] = {}
        by_id = {r.trial_id: _trial_from_row(r, problems) for r in rows(_TrialRow, s.trials)}
        for r in rows(_ParamRow, s.trial_params):
            _add_param(by_id[r.trial_id], r, problems[r.trial_id])
        values: dict[int, dict[Any, tuple[Any, Any]]] = {}
        for r in rows(_ValueRow, s.trial_values):
            values.setdefault(r.trial_id, {})[r.objective] = (r.value, r.kind)
        for trial_id, by_objective in values.items():
            by_id[trial_id].values = _decode_values(by_objective, problems[trial_id])
        steps = rows(_IntermediateRow, s.trial_intermediate_values)
        for r in sorted(steps, key=lambda row: _sortable_step(row.step)):
            _add_intermediate(by_id[r.trial_id], r, problems[r.trial_id])
        for r in rows(_AttrRow, s.trial_attrs):
            _add_attr(by_id[r.trial_id], r, problems[r.trial_id])
        _record_problems(self.url, by_id, problems)
        trials = list(by_id.values())
        finished = [trial for trial in trials if trial.state.is_finished()]
        if finished:
            with self._finished_lock:
                for trial in finished:
                    self._finished[trial.trial_id] = trial.copy()
        return trials

    def _read_raw(self, work: Callable[[Any], T]) -> T:
        """Run ``work(cursor)`` in one read-only transaction on a pooled DBAPI connection;
        retry lock conflicts and dead connections."""
        with self._one_connection:
            return self._read_raw_unshared(work)

    def _read_raw_unshared(self, work: Callable[[Any], T]) -> T:
        for attempt in range(_MAX_RETRIES):
            try:
                raw = self._engine.raw_connection()
            except sa.exc.DBAPIError as error:
                raise _engine.connection_error(self.url, error) from error
            try:
                cursor = raw.cursor()
                try:
                    if self._dialect == "sqlite":
                        cursor.execute("BEGIN")  # one snapshot for the statements
                    return work(cursor)
                finally:
                    _quietly(cursor.close, self._dbapi.Error)
                    _quietly(raw.rollback, self._dbapi.Error)
            except self._dbapi.Error as error:
                disconnected = self._engine.dialect.is_disconnect(
                    error, raw.dbapi_connection, None
                )
                if disconnected:
                    raw.invalidate()
                retry = disconnected or _engine.is_retryable(error)
                if retry and attempt < _MAX_RETRIES - 1:
                    time.sleep(min(0.001 * 2**attempt, 0.5))
                    continue
                raise _engine.connection_error(self.url, error) from error
            finally:
                raw.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _best_query(self, study_id: int, maximize: bool) -> sa.Select[*tuple[Any, ...]]:
        """The id of the best complete trial: the direction's infinity, then finite values, then
        the other infinity; ties go to the earliest trial."""
        t, v = s.trials, s.trial_values
        best_inf = 1 if maximize else 2  # the kinds of encode_float: 1 is +inf, 2 is -inf
        rank = sa.case((v.c.kind == best_inf, 0), (v.c.kind == 0, 1), else_=2)
        return (
            sa.select(t.c.trial_id)
            .join(v, v.c.trial_id == t.c.trial_id)
            .where(
                t.c.study_id == study_id, t.c.state == int(TrialState.COMPLETE), v.c.objective == 0
            )
            .order_by(rank, v.c.value.desc() if maximize else v.c.value.asc(), t.c.number)
            .limit(1)
        )

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) != 1:
            raise RuntimeError("get_best_trial is for single-objective studies; use best_trials.")
        with self._study_trials_lock:  # kept up to date as trials finish, in _best_query's order
            best = self._refreshed(study_id).best
        if best is None:
            raise ValueError("No trial is complete yet, so there is no best trial.")
        return best.copy()

    def get_trial_id_from_number(self, study_id: int, number: int) -> int:
        query = sa.select(s.trials.c.trial_id).where(
            s.trials.c.study_id == study_id, s.trials.c.number == number
        )
        trial_id: int | None = self._run(lambda conn: conn.execute(query).scalar_one_or_none())
        if trial_id is None:
            raise KeyError(f"Study {study_id} has no trial number {number}.")
        return trial_id

    def _load(self, conn: sa.Connection, query: sa.Select[*tuple[Any, ...]]) -> list[FrozenTrial]:
        """Build FrozenTrials for the trial rows ``query`` selects, with all their children."""
        rows = conn.execute(query).all()
        if not rows:
            return []
        problems: dict[int, list[str]] = {}  # per trial id: what was left out, and why
        by_id = {r.trial_id: _trial_from_row(r, problems) for r in rows}
        ids = list(by_id)
        for r in conn.execute(sa.select(s.trial_params).where(s.trial_params.c.trial_id.in_(ids))):
            _add_param(by_id[r.trial_id], r, problems[r.trial_id])
        values: dict[int, dict[Any, tuple[Any, Any]]] = {}
        for r in conn.execute(sa.select(s.trial_values).where(s.trial_values.c.trial_id.in_(ids))):
            values.setdefault(r.trial_id, {})[r.objective] = (r.value, r.kind)
        for trial_id, by_objective in values.items():
            by_id[trial_id].values = _decode_values(by_objective, problems[trial_id])
        iv = s.trial_intermediate_values
        for r in conn.execute(sa.select(iv).where(iv.c.trial_id.in_(ids)).order_by(iv.c.step)):
            _add_intermediate(by_id[r.trial_id], r, problems[r.trial_id])
        for r in conn.execute(sa.select(s.trial_attrs).where(s.trial_attrs.c.trial_id.in_(ids))):
            _add_attr(by_id[r.trial_id], r, problems[r.trial_id])
        _record_problems(self.url, by_id, problems)
        trials = [by_id[r.trial_id] for r in rows]
        finished = [trial for trial in trials if trial.state.is_finished()]
        if finished:
            with self._finished_lock:
                for trial in finished:
                    self._finished[trial.trial_id] = trial.copy()
        return trials

    # --- heartbeats ------------------------------------------------------------------------
    def record_heartbeat(self, trial_ids: Sequence[int]) -> None:
        if not trial_ids:
            return
        t = s.trials
        query = (
            sa.update(t)
            .where(t.c.trial_id.in_(list(trial_ids)), t.c.state == _RUNNING)
            .values(heartbeat=time.time())
        )
        self._run(lambda conn: conn.execute(query), write=True)

    def fail_stale_trials(self, study_id: int) -> list[FrozenTrial]:
        if self.grace_period is None:
            return []
        t = s.trials
        alive = self._heartbeat.ids() if self._heartbeat is not None else set()

        def work(conn: sa.Connection) -> list[int]:
            deadline = time.time() - self.grace_period  # type: ignore[operator]
            stale = [
                trial_id
                for trial_id in conn.execute(
                    sa.select(t.c.trial_id)
                    .where(
                        t.c.study_id == study_id, t.c.state == _RUNNING, t.c.heartbeat < deadline
                    )
                    .with_for_update(skip_locked=True)
                ).scalars()
                if trial_id not in alive
            ]
            if not stale:
                return []
            conn.execute(
                sa.update(t)
                .where(t.c.trial_id.in_(stale), t.c.state == _RUNNING)
                .values(state=int(TrialState.FAIL), datetime_complete=time.time())
            )
            reason = json.dumps(
                f"The trial's heartbeat stopped for more than {self.grace_period:g} s "
                "(its worker process died or hung); it was marked FAIL."
            )
            conn.execute(
                sa.insert(s.trial_attrs),
                [
                    dict(trial_id=trial_id, is_system=True, key=FAIL_REASON_KEY, value_json=reason)
                    for trial_id in stale
                ],
            )
            return stale

        stale = self._run(work, write=True)
        return [self.get_trial(trial_id) for trial_id in stale]


def _portable_url(url: str) -> str:
    """``url`` with a relative SQLite path made absolute, so that a copy opened by a process
    with another working directory opens the same file."""
    parsed = sa.engine.make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
        or os.path.isabs(database)
    ):
        return url
    return parsed.set(database=os.path.abspath(database)).render_as_string(hide_password=False)


def _quietly(action: Callable[[], Any], errors: type[BaseException]) -> None:
    """Run a clean-up step whose failure must not hide the error being handled."""
    with contextlib.suppress(errors):
        action()


def _epoch(moment: datetime.datetime | None) -> float | None:
    """Seconds since the epoch of a (naive, local) datetime, as the time columns hold."""
    return None if moment is None else moment.timestamp()


def _datetime(epoch: float | None) -> datetime.datetime | None:
    return None if epoch is None else datetime.datetime.fromtimestamp(epoch)


# --- decoding rows (see the class docstring for what happens to a damaged one) --------------
_TrialRow = collections.namedtuple(
    "_TrialRow", "trial_id number state datetime_start datetime_complete"
)
_ParamRow = collections.namedtuple("_ParamRow", "trial_id name value distribution_json")
_ValueRow = collections.namedtuple("_ValueRow", "trial_id objective value kind")
_IntermediateRow = collections.namedtuple("_IntermediateRow", "trial_id step value kind")
_AttrRow = collections.namedtuple("_AttrRow", "trial_id is_system key value_json")


def _sortable_step(step: Any) -> tuple[int, Any]:
    """Sort key for raw intermediate rows: integer steps in order, damaged ones after them."""
    return (0, step) if isinstance(step, int) and not isinstance(step, bool) else (1, 0)


def _read_state(value: Any) -> TrialState:
    """A trial row's state; FAIL for a number that is no TrialState."""
    try:
        return TrialState(value)
    except ValueError:
        return TrialState.FAIL


def _read_datetime(field: str, epoch: Any, found: list[str]) -> datetime.datetime | None:
    """A time column as a datetime; ``None`` (and a problem in ``found``) when it is not one."""
    try:
        if epoch is not None and (isinstance(epoch, bool) or not isinstance(epoch, (int, float))):
            raise TypeError(epoch)
        return _datetime(epoch)
    except (TypeError, ValueError, OverflowError, OSError):
        found.append(f"{field} {s.shown(epoch)} is not a time (seconds since 1970); left out")
        return None


def _trial_from_row(r: Any, problems: dict[int, list[str]]) -> FrozenTrial:
    """The FrozenTrial of a ``tftune_trials`` row, without its children."""
    found = problems[r.trial_id] = []
    number = r.number
    if isinstance(number, bool) or not isinstance(number, int):
        found.append(f"number {s.shown(number)} is not an integer; read as -1")
        number = -1
    state = _read_state(r.state)
    if state == TrialState.FAIL and r.state != int(TrialState.FAIL):
        found.append(f"state {s.shown(r.state)} is not a trial state; read as FAIL")
    return FrozenTrial(
        number=number,
        state=state,
        datetime_start=_read_datetime("datetime_start", r.datetime_start, found),
        datetime_complete=_read_datetime("datetime_complete", r.datetime_complete, found),
        trial_id=r.trial_id,
    )


def _add_param(trial: FrozenTrial, r: Any, found: list[str]) -> None:
    """Add a ``tftune_trial_params`` row to ``trial``, unless it is damaged."""
    try:
        s.check_utf8(r.name, "the name")
        s.check_utf8(r.distribution_json, "distribution_json")
    except ValueError as error:
        found.append(f"param {s.shown(r.name)}: {error}; left out")
        return
    try:
        distribution = json_to_distribution(r.distribution_json)
    except (ValueError, TypeError, RecursionError) as error:
        found.append(f"param {s.shown(r.name)}: distribution_json is unusable ({error}); left out")
        return
    value = r.value
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"value {s.shown(value)} is not a number")
        if isinstance(distribution, CategoricalDistribution) and not distribution.contains(value):
            raise ValueError(f"value {s.shown(value)} is not the index of one of its choices")
        external = distribution.to_external_repr(value)
    except (ValueError, TypeError, OverflowError, IndexError) as error:
        found.append(f"param {s.shown(r.name)}: {error}; left out")
        return
    trial.params[r.name] = external
    trial.distributions[r.name] = distribution


def _decode_values(
    by_objective: dict[Any, tuple[Any, Any]], found: list[str]
) -> list[float] | None:
    """A trial's values from its ``(value, kind)`` per objective; ``None`` when one is damaged."""
    if set(by_objective) != set(range(len(by_objective))):
        objectives = ", ".join(s.shown(objective) for objective in by_objective)
        found.append(
            f"values: objectives {objectives} are not 0..{len(by_objective) - 1}; left out"
        )
        return None
    decoded = []
    for objective in range(len(by_objective)):
        try:
            decoded.append(s.decode_float(*by_objective[objective]))
        except ValueError as error:
            found.append(f"values: objective {objective}: {error}; all values left out")
            return None
    return decoded


def _add_intermediate(trial: FrozenTrial, r: Any, found: list[str]) -> None:
    """Add a ``tftune_trial_intermediate_values`` row to ``trial``, unless it is damaged."""
    try:
        if isinstance(r.step, bool) or not isinstance(r.step, int):
            raise ValueError("the step is not an integer")
        trial.intermediate_values[r.step] = s.decode_float(r.value, r.kind)
    except ValueError as error:
        found.append(f"intermediate value at step {s.shown(r.step)}: {error}; left out")


def _add_attr(trial: FrozenTrial, r: Any, found: list[str]) -> None:
    """Add a ``tftune_trial_attrs`` row to ``trial``, unless its value is damaged."""
    kind = "system attr" if r.is_system else "user attr"
    try:
        s.check_utf8(r.key, "the key")
        value = s.decode_json(r.value_json)
    except ValueError as error:
        found.append(f"{kind} {s.shown(r.key)}: {error}; left out")
        return
    (trial.system_attrs if r.is_system else trial.user_attrs)[r.key] = value


def _record_problems(
    url: str, by_id: dict[int, FrozenTrial], problems: dict[int, list[str]]
) -> None:
    """List each damaged trial's problems in its ``load_errors`` system attr; warn once each."""
    for trial_id, found in problems.items():
        if not found:
            continue
        trial = by_id[trial_id]
        trial.system_attrs[LOAD_ERRORS_KEY] = list(found)
        if (url, trial_id) not in _warned:
            _warned.add((url, trial_id))
            _logger.warning(
                "Trial #%d (id %d) has damaged rows in the database; loaded without them: %s",
                trial.number,
                trial_id,
                "; ".join(found),
            )


def _damaged_study(row: Any, field: str, error: Exception) -> StorageError:
    return StorageError(
        f"Study {row.study_name!r} (id {row.study_id}) is damaged in the database: "
        f"its {field} cannot be read ({error})."
    )


def _study_directions(row: Any) -> list[StudyDirection]:
    """A study row's directions; StorageError naming the study when they are damaged."""
    try:
        names = s.decode_json(row.directions)
        if not isinstance(names, list) or not names:
            raise ValueError(f"a list of direction names expected, got {s.shown(names)}")
        for name in names:
            if not isinstance(name, str) or name not in StudyDirection.__members__:
                raise ValueError(f"{s.shown(name)} is not 'MINIMIZE' or 'MAXIMIZE'")
    except ValueError as error:
        raise _damaged_study(row, "directions", error) from None
    return [StudyDirection[name] for name in names]


def _study_attr(row: Any, key: str, text: Any) -> Any:
    """A study attr's value; StorageError naming the study and the key when it is damaged."""
    try:
        return s.decode_json(text)
    except ValueError as error:
        raise _damaged_study(row, f"attr {s.shown(key)}", error) from None


def _study_start(row: Any) -> datetime.datetime | None:
    """A study row's start time; StorageError naming the study when it is damaged."""
    found: list[str] = []
    start = _read_datetime("datetime_start", row.datetime_start, found)
    if found:
        raise _damaged_study(row, "datetime_start", ValueError(found[0]))
    return start


def _summary_values(rows: Any) -> list[float] | None:
    """The best trial's values for a study summary; ``None`` when one is damaged."""
    try:
        return [s.decode_float(r.value, r.kind) for r in rows]
    except ValueError:
        return None
