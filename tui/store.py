"""The learner's progress in SQLite: lesson state, edited code per side, and a history of runs.

Why SQLite and these settings: two ``fwlearn`` sessions (two SSH logins) may be open at once.
WAL mode lets one write while the other reads; ``busy_timeout`` makes a writer wait for the
other's short transaction instead of failing; every change is one ``BEGIN IMMEDIATE`` transaction
so a read-modify-write (the lesson state) never interleaves with the other process. Each call
opens its own short transaction and nothing is cached, so what one session saves the other sees.
Stdlib only: the CLI's ``fwlearn progress`` uses it without importing textual.

A ``kill -9`` at any moment loses nothing that was committed: WAL with ``synchronous = NORMAL``
may lose the last transactions on a power cut, but a crashed process leaves them in the OS cache
and the next open replays the WAL. A file that is not a usable progress database (damaged,
truncated, not SQLite, someone else's tables, a newer fwlearn's schema) is never fatal: it is
moved aside to ``<name>.corrupt-<timestamp>`` (with its ``-wal``/``-shm``), a fresh database is
started, and ``Store.notice`` says so for the app to show and ``fwlearn progress`` to print.
The schema is versioned with ``PRAGMA user_version``: ``MIGRATIONS[n]`` takes version n to n+1.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

DB_NAME = "progress.sqlite3"
STATES = ("not started", "in progress", "done")
CORRUPT_INFIX = ".corrupt-"

log = logging.getLogger("fwlearn.store")
log.addHandler(logging.NullHandler())  # callers show Store.notice; no stray stderr in the TUI

# MIGRATIONS[n] takes a database from user_version n to n + 1, in one transaction; append a
# step for every schema change and never edit a released one. Version 0 is an empty file.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE IF NOT EXISTS lessons (
            lesson_id TEXT PRIMARY KEY,
            started REAL NOT NULL,
            updated REAL NOT NULL,
            keras_ok INTEGER NOT NULL DEFAULT 0,
            pytorch_ok INTEGER NOT NULL DEFAULT 0,
            check_passed INTEGER NOT NULL DEFAULT 0,
            done REAL,
            section TEXT,
            side TEXT
        )""",
        """CREATE TABLE IF NOT EXISTS edits (
            lesson_id TEXT NOT NULL,
            side TEXT NOT NULL,
            source TEXT NOT NULL,
            updated REAL NOT NULL,
            PRIMARY KEY (lesson_id, side)
        )""",
        """CREATE TABLE IF NOT EXISTS runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            lesson_id TEXT NOT NULL,
            side TEXT NOT NULL,
            started REAL NOT NULL,
            status TEXT NOT NULL,
            duration REAL NOT NULL,
            metrics TEXT NOT NULL DEFAULT '{}',
            check_passed INTEGER
        )""",
        "CREATE INDEX IF NOT EXISTS runs_by_lesson ON runs (lesson_id, started)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


Method = TypeVar("Method", bound=Callable[..., Any])


class StoreError(RuntimeError):
    """The progress database can be neither used nor moved aside (e.g. a read-only folder)."""


@dataclass(frozen=True)
class LessonProgress:
    """One lesson's row: which sides ran fine, whether the check passed, where the learner was."""

    lesson_id: str
    started: float = 0.0
    updated: float = 0.0
    keras_ok: bool = False
    pytorch_ok: bool = False
    check_passed: bool = False
    done: float | None = None
    section: str | None = None
    side: str | None = None

    @property
    def state(self) -> str:
        """``not started`` / ``in progress`` / ``done`` as the browser shows it."""
        if self.done:
            return "done"
        return "in progress" if self.started else "not started"


@dataclass(frozen=True)
class LessonSnapshot:
    """Everything ``reset(lesson_id)`` forgets, as it was: for the app's one-step undo."""

    lesson_id: str
    lesson: tuple[Any, ...] | None  # the lessons row (None: the lesson had none)
    edits: tuple[tuple[Any, ...], ...]
    runs: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class RunRecord:
    """One finished run in the history."""

    lesson_id: str
    side: str
    started: float
    status: str
    duration: float
    metrics: dict[str, Any] = field(default_factory=dict)
    check_passed: bool | None = None


def _failsafe(default: Callable[..., Any]) -> Callable[[Method], Method]:
    """In the app (``on_error`` set), a database that fails mid-session (disk full, a read-only
    folder, damage) must not take the app down: the failure is reported and ``default`` is
    returned, so the learner keeps working (unsaved edits stay in the editor). Without
    ``on_error`` (``fwlearn progress``) the error propagates to a clear message."""

    def decorate(method: Method) -> Method:
        @functools.wraps(method)
        def wrapper(self: Store, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.Error, OSError) as exc:
                if self.on_error is None:
                    raise
                self.on_error(f"progress could not be read or saved ({exc}); {self.path}")
                return default(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


class Store:
    """Progress database at ``path``; every method is one short transaction."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.notice: str | None = None  # set when a bad database had to be moved aside
        self.on_error: Callable[[str], None] | None = None  # see _failsafe
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Two sessions opening a damaged file at once must not both move files aside (the
        # slower one would move the other's fresh database): checking is done under a lock.
        with _file_lock(self.path.with_name(self.path.name + ".lock")):
            problem = self._problem()
            if problem is not None:
                self.notice = self._move_aside(problem)
                log.warning("%s", self.notice)
            self._migrate()

    @classmethod
    def default(cls) -> Store:
        """The store under ``data_home()`` (``$FWLEARN_HOME`` or the platform's data dir)."""
        from fwlearn.tui.paths import data_home

        return cls(data_home() / DB_NAME)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.row_factory = sqlite3.Row
        return db

    def _problem(self) -> str | None:
        """Why the file at ``path`` cannot be used as it is, or None (also for no file yet)."""
        if not self.path.exists():
            return None
        try:
            # A plain connection: switching to WAL here would write to a file about to be kept.
            db = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
            try:
                db.execute("PRAGMA busy_timeout = 10000")
                version = db.execute("PRAGMA user_version").fetchone()[0]
                check = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
                if check != ["ok"]:
                    return f"it is damaged ({check[0].splitlines()[-1]})"
                if version > SCHEMA_VERSION:
                    return (
                        f"it was written by a newer fwlearn (schema {version}; "
                        f"this one knows up to {SCHEMA_VERSION})"
                    )
                return _schema_problem(db, version)
            finally:
                db.close()
        except sqlite3.DatabaseError as exc:
            if not _is_corruption(exc):
                raise  # locked, busy, no permission: the file may be fine, never move it
            if "not a database" in str(exc):
                return "it is not an SQLite database"
            return f"it is damaged ({exc})"

    def _move_aside(self, reason: str) -> str:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}{CORRUPT_INFIX}{stamp}")
        counter = 1
        while target.exists():
            counter += 1
            target = self.path.with_name(f"{self.path.name}{CORRUPT_INFIX}{stamp}-{counter}")
        try:
            os.replace(self.path, target)
            # The WAL belongs to the old file: replayed onto a fresh one it would corrupt it.
            for suffix in ("-wal", "-shm"):
                sidecar = self.path.with_name(self.path.name + suffix)
                if sidecar.exists():
                    os.replace(sidecar, target.with_name(target.name + suffix))
        except OSError as exc:
            raise StoreError(
                f"the progress database {self.path} cannot be used ({reason}) and could not be "
                f"moved aside: {exc.strerror}. Move or delete it, then start fwlearn again."
            ) from exc
        return (
            f"Your progress database could not be used: {reason}. It was moved to {target} "
            "and a fresh one was started, so progress and saved edits start over."
        )

    def _migrate(self) -> None:
        """Bring the database to ``SCHEMA_VERSION`` in one transaction (a no-op when it is)."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                for step in MIGRATIONS[version:]:
                    for statement in step:
                        db.execute(statement)
                if version < SCHEMA_VERSION:
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken up front, so a
        read-then-write cannot be overtaken by the other process between the two."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        db = self._connect()
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    # -- lessons --------------------------------------------------------------------------------

    @_failsafe(lambda lesson_id, *_: LessonProgress(lesson_id))
    def lesson(self, lesson_id: str) -> LessonProgress:
        rows = self._read("SELECT * FROM lessons WHERE lesson_id = ?", (lesson_id,))
        return _progress(rows[0]) if rows else LessonProgress(lesson_id)

    @_failsafe(lambda *_: {})
    def all_lessons(self) -> dict[str, LessonProgress]:
        return {row["lesson_id"]: _progress(row) for row in self._read("SELECT * FROM lessons")}

    @_failsafe(lambda *_, **__: None)
    def touch(self, lesson_id: str, section: str | None = None, side: str | None = None) -> None:
        """Mark the lesson started and remember where the learner is (for "continue")."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO lessons (lesson_id, started, updated, section, side) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (lesson_id) DO UPDATE SET "
                "updated = excluded.updated, section = COALESCE(excluded.section, section), "
                "side = COALESCE(excluded.side, side)",
                (lesson_id, now, now, section, side),
            )

    @_failsafe(lambda *_: None)
    def last_lesson(self) -> str | None:
        """The lesson touched most recently: where "continue" goes."""
        rows = self._read("SELECT lesson_id FROM lessons ORDER BY updated DESC LIMIT 1")
        return rows[0]["lesson_id"] if rows else None

    @_failsafe(lambda record, *_: LessonProgress(record.lesson_id))
    def record_run(self, record: RunRecord) -> LessonProgress:
        """Add a run to the history and update the lesson; it is done once both sides ran ok
        and the exercise check passed (in any order, over any number of runs).

        "done" follows the checks: a run whose check failed (``check_passed=False``) clears
        ``check_passed`` and ``done``, so a lesson whose code no longer passes shows it; a run
        that decides nothing (``None``: the other side has not run, a cancelled run) keeps them.
        """
        now = time.time()
        ok_column = {"keras": "keras_ok", "pytorch": "pytorch_ok"}.get(record.side)
        with self._tx() as db:
            db.execute(
                "INSERT INTO runs (lesson_id, side, started, status, duration, metrics, "
                "check_passed) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    record.lesson_id,
                    record.side,
                    record.started,
                    record.status,
                    record.duration,
                    json.dumps(record.metrics),
                    None if record.check_passed is None else int(record.check_passed),
                ),
            )
            db.execute(
                "INSERT INTO lessons (lesson_id, started, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (lesson_id) DO UPDATE SET updated = excluded.updated",
                (record.lesson_id, now, now),
            )
            if ok_column and record.status == "ok":
                db.execute(
                    f"UPDATE lessons SET {ok_column} = 1 WHERE lesson_id = ?", (record.lesson_id,)
                )
            if record.check_passed:
                db.execute(
                    "UPDATE lessons SET check_passed = 1 WHERE lesson_id = ?", (record.lesson_id,)
                )
            elif record.check_passed is not None:
                db.execute(
                    "UPDATE lessons SET check_passed = 0, done = NULL WHERE lesson_id = ?",
                    (record.lesson_id,),
                )
            db.execute(
                "UPDATE lessons SET done = ? WHERE lesson_id = ? AND done IS NULL "
                "AND keras_ok AND pytorch_ok AND check_passed",
                (now, record.lesson_id),
            )
            row = db.execute(
                "SELECT * FROM lessons WHERE lesson_id = ?", (record.lesson_id,)
            ).fetchone()
        return _progress(row)

    @_failsafe(lambda *_: None)
    def set_not_passing(self, lesson_id: str) -> None:
        """The code that passed the check is gone (reset to an original known to fail): the
        lesson is no longer done until a run passes again."""
        with self._tx() as db:
            db.execute(
                "UPDATE lessons SET check_passed = 0, done = NULL WHERE lesson_id = ?",
                (lesson_id,),
            )

    @_failsafe(lambda *_: None)
    def restore_progress(self, progress: LessonProgress) -> None:
        """Write a lesson's row back as ``progress`` holds it (undo of a reset or a change)."""
        with self._tx() as db:
            if not progress.started:
                db.execute("DELETE FROM lessons WHERE lesson_id = ?", (progress.lesson_id,))
                return
            db.execute(
                "INSERT OR REPLACE INTO lessons (lesson_id, started, updated, keras_ok, "
                "pytorch_ok, check_passed, done, section, side) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    progress.lesson_id,
                    progress.started,
                    progress.updated,
                    int(progress.keras_ok),
                    int(progress.pytorch_ok),
                    int(progress.check_passed),
                    progress.done,
                    progress.section,
                    progress.side,
                ),
            )

    @_failsafe(lambda *_, **__: [])
    def runs(self, lesson_id: str | None = None, limit: int = 1000) -> list[RunRecord]:
        if lesson_id is None:
            rows = self._read("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))
        else:
            rows = self._read(
                "SELECT * FROM runs WHERE lesson_id = ? ORDER BY started DESC LIMIT ?",
                (lesson_id, limit),
            )
        return [
            RunRecord(
                row["lesson_id"],
                row["side"],
                row["started"],
                row["status"],
                row["duration"],
                json.loads(row["metrics"] or "{}"),
                None if row["check_passed"] is None else bool(row["check_passed"]),
            )
            for row in rows
        ]

    # -- edits ----------------------------------------------------------------------------------

    @_failsafe(lambda *_: None)
    def edit(self, lesson_id: str, side: str) -> str | None:
        """The learner's saved code for one side, or None when it was never edited."""
        rows = self._read(
            "SELECT source FROM edits WHERE lesson_id = ? AND side = ?", (lesson_id, side)
        )
        return rows[0]["source"] if rows else None

    @_failsafe(lambda *_: None)
    def save_edit(self, lesson_id: str, side: str, source: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO edits (lesson_id, side, source, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (lesson_id, side) DO UPDATE SET source = excluded.source, "
                "updated = excluded.updated",
                (lesson_id, side, source, time.time()),
            )

    @_failsafe(lambda *_: None)
    def drop_edit(self, lesson_id: str, side: str) -> None:
        """Reset one side to the lesson's original code."""
        with self._tx() as db:
            db.execute("DELETE FROM edits WHERE lesson_id = ? AND side = ?", (lesson_id, side))

    # -- reset ----------------------------------------------------------------------------------

    @_failsafe(lambda *_: None)
    def reset(self, lesson_id: str | None = None) -> None:
        """Forget everything (``None``) or one lesson: state, edits and its run history."""
        with self._tx() as db:
            for table in ("lessons", "edits", "runs"):
                if lesson_id is None:
                    db.execute(f"DELETE FROM {table}")
                else:
                    db.execute(f"DELETE FROM {table} WHERE lesson_id = ?", (lesson_id,))

    @_failsafe(lambda lesson_id, *_: LessonSnapshot(lesson_id, None, (), ()))
    def snapshot(self, lesson_id: str) -> LessonSnapshot:
        """One lesson's rows in every table, to hand back to ``restore`` (one transaction, so
        the three reads agree)."""
        with self._tx() as db:
            rows = {
                table: tuple(
                    tuple(row)
                    for row in db.execute(
                        f"SELECT * FROM {table} WHERE lesson_id = ?", (lesson_id,)
                    ).fetchall()
                )
                for table in ("lessons", "edits", "runs")
            }
        lesson = rows["lessons"][0] if rows["lessons"] else None
        return LessonSnapshot(lesson_id, lesson, rows["edits"], rows["runs"])

    @_failsafe(lambda *_: None)
    def restore(self, snapshot: LessonSnapshot) -> None:
        """Put a lesson back exactly as ``snapshot`` saw it (whatever happened in between)."""
        with self._tx() as db:
            for table in ("lessons", "edits", "runs"):
                db.execute(f"DELETE FROM {table} WHERE lesson_id = ?", (snapshot.lesson_id,))
            parts = (("lessons", (snapshot.lesson,) if snapshot.lesson else ()),)
            parts += (("edits", snapshot.edits), ("runs", snapshot.runs))
            for table, rows in parts:
                for row in rows:
                    marks = ", ".join("?" * len(row))
                    db.execute(f"INSERT INTO {table} VALUES ({marks})", row)


def _progress(row: sqlite3.Row) -> LessonProgress:
    return LessonProgress(
        lesson_id=row["lesson_id"],
        started=row["started"],
        updated=row["updated"],
        keras_ok=bool(row["keras_ok"]),
        pytorch_ok=bool(row["pytorch_ok"]),
        check_passed=bool(row["check_passed"]),
        done=row["done"],
        section=row["section"],
        side=row["side"],
    )


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB, not a lock, a full disk or a permission problem."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
    return type(exc) is sqlite3.DatabaseError  # Python 3.10: no error codes


def _columns_by_version(version: int) -> dict[str, set[str]]:
    """Every table and its columns at schema ``version``, built in memory from MIGRATIONS."""
    db = sqlite3.connect(":memory:")
    try:
        for step in MIGRATIONS[:version]:
            for statement in step:
                db.execute(statement)
        return _columns(db)
    finally:
        db.close()


def _columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: {row[1] for row in db.execute(f'PRAGMA table_info("{table}")')} for table in tables
    }


def _schema_problem(db: sqlite3.Connection, version: int) -> str | None:
    """Tables that do not belong to schema ``version`` (another program's file, a hand edit).

    Version 0 may hold some of version 1's tables (an old fwlearn stopped while creating them):
    those are fine, the first migration is idempotent.
    """
    expected = _columns_by_version(max(version, 1))
    found = _columns(db)
    unknown = sorted(set(found) - set(expected))
    if unknown:
        return f"it has tables fwlearn does not know ({', '.join(unknown)})"
    for table, columns in found.items():
        missing = sorted(expected[table] - columns)
        if missing:
            return f"its {table} table lacks columns ({', '.join(missing)})"
    absent = sorted(set(expected) - set(found))
    if version >= 1 and absent:
        return f"it lacks tables ({', '.join(absent)})"
    return None


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (POSIX); elsewhere, or if locking fails, none."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - held for the block, closed below
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock
