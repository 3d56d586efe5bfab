"""The learner's progress in SQLite: lesson state, edited code per side, and a history of runs.

Why SQLite and these settings: two ``fwlearn`` sessions (two SSH logins) may be open at once.
WAL mode lets one write while the other reads; ``busy_timeout`` makes a writer wait for the
other's short transaction instead of failing; every change is one ``BEGIN IMMEDIATE`` transaction
so a read-modify-write (the lesson state) never interleaves with the other process. Nothing is
cached, so what one session saves the other sees. A ``Store`` keeps one connection for its
lifetime (opened with the file, reopened after ``close()``), shared by the threads that use it
under a lock. Stdlib only: the CLI's ``fwlearn progress`` uses it without importing textual.

In the app (``start_writer``) writes go through ``fwlearn.store_writer``: queued to one thread,
so the UI never waits on another session's lock, and retried until they land. Reads first wait
for the queued writes (so the app reads what it wrote), except while the database is locked.

A ``kill -9`` at any moment loses nothing that was committed: WAL with ``synchronous = NORMAL``
may lose the last transactions on a power cut, but a crashed process leaves them in the OS cache
and the next open replays the WAL. A bad file is moved aside (``fwlearn.store_schema``) and
``Store.notice`` says so for the app to show and ``fwlearn progress`` to print.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fwlearn import store_edits, store_history
from fwlearn.store_edits import SavedEdit
from fwlearn.store_history import RunRecord
from fwlearn.store_schema import (
    CORRUPT_INFIX,
    MIGRATIONS,
    SCHEMA_VERSION,
    StoreError,
    prepare,
)
from fwlearn.store_writer import WriteBehind
from fwlearn.store_writer import failsafe as _failsafe

DB_NAME = "progress.sqlite3"
STATES = ("not started", "in progress", "done")
# The CLI may wait for the other session's transaction; the app's writer retries instead.
CLI_BUSY_TIMEOUT = 10.0
APP_BUSY_TIMEOUT = 0.2

log = logging.getLogger("fwlearn.store")
log.addHandler(logging.NullHandler())  # callers show Store.notice; no stray stderr in the TUI


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


class Store:
    """Progress database at ``path``; every method is one short transaction."""

    def __init__(self, path: Path | str, *, busy_timeout: float = CLI_BUSY_TIMEOUT) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.on_error: Callable[[str], None] | None = None  # see store_writer.failsafe
        self._lock = threading.RLock()  # one connection, used by one thread at a time
        self._writer: WriteBehind | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db: sqlite3.Connection | None
        self._db, self.notice = prepare(self.path, self._connect)
        if self.notice:  # a bad database had to be moved aside
            log.warning("%s", self.notice)

    @classmethod
    def default(cls, *, busy_timeout: float = CLI_BUSY_TIMEOUT) -> Store:
        """The store under ``data_home()`` (``$FWLEARN_HOME`` or the platform's data dir)."""
        from fwlearn.paths import data_home

        return cls(data_home() / DB_NAME, busy_timeout=busy_timeout)

    def start_writer(self, busy_timeout: float = APP_BUSY_TIMEOUT) -> None:
        """Queue writes to a background thread from now on (the app); see the module doc.

        The busy timeout drops to ``busy_timeout``: the writer retries a locked database
        itself, and a read on the UI thread must never wait long for the lock."""
        with self._lock:
            self.busy_timeout = busy_timeout
            if self._db is not None:  # else _connect sets it
                self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if self._writer is None:
            self._writer = WriteBehind(self._report, describe=self._failure)

    @property
    def pending_writes(self) -> int:
        """Writes queued for the writer thread and not applied yet (0 without a writer): what
        a closing app still has to save, and what a test waits on instead of a timer."""
        writer = self._writer
        return writer.pending if writer is not None else 0

    def close(self, timeout: float = 3.0) -> bool:
        """Apply queued writes (for at most ``timeout`` s), stop the writer, close the
        connection; the next call opens a new one. Returns whether every write landed."""
        writer, self._writer = self._writer, None
        written = writer.close(timeout) if writer is not None else True
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
        return written

    def __del__(self) -> None:
        # sqlite3 connections sit in a reference cycle (their statement cache) and would stay
        # open, holding the WAL, until a garbage collection: close with the store instead.
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def _report(self, message: str) -> None:
        if self.on_error is not None:
            self.on_error(message)

    def _failure(self, exc: BaseException) -> str:
        return f"progress could not be read or saved ({exc}); {self.path}"

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.row_factory = sqlite3.Row
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """The store's one connection, for this thread alone while the block runs."""
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            yield self._db

    @contextmanager
    def _tx(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: the write lock is taken up front, so a
        read-then-write cannot be overtaken by the other process between the two."""
        with self._connection() as db:
            db.execute(f"BEGIN {mode}")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._connection() as db:
            return db.execute(sql, args).fetchall()

    # -- lessons --------------------------------------------------------------------------------

    @_failsafe(lambda lesson_id, *_: LessonProgress(lesson_id))
    def lesson(self, lesson_id: str) -> LessonProgress:
        rows = self._read("SELECT * FROM lessons WHERE lesson_id = ?", (lesson_id,))
        return _progress(rows[0]) if rows else LessonProgress(lesson_id)

    @_failsafe(lambda *_: {})
    def all_lessons(self) -> dict[str, LessonProgress]:
        return {row["lesson_id"]: _progress(row) for row in self._read("SELECT * FROM lessons")}

    @_failsafe(lambda *_, **__: None, write=True)
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

    @_failsafe(lambda record, *_: LessonProgress(record.lesson_id), write=True)
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
            store_history.insert(db, record)  # and thins older runs' series
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

    @_failsafe(lambda *_: None, write=True)
    def set_not_passing(self, lesson_id: str) -> None:
        """The code that passed the check is gone (reset to an original known to fail): the
        lesson is no longer done until a run passes again."""
        with self._tx() as db:
            db.execute(
                "UPDATE lessons SET check_passed = 0, done = NULL WHERE lesson_id = ?",
                (lesson_id,),
            )

    @_failsafe(lambda *_: None, write=True)
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
    def runs(
        self, lesson_id: str | None = None, limit: int = 1000, *, side: str | None = None
    ) -> list[RunRecord]:
        """Recorded runs newest first (all lessons, one, or one side of one: store_history)."""
        with self._connection() as db:
            return store_history.read(db, lesson_id, side, limit)

    # -- edits ----------------------------------------------------------------------------------

    @_failsafe(lambda *_: None)
    def edit(self, lesson_id: str, side: str) -> str | None:
        """The learner's saved code for one side, or None when it was never edited."""
        saved = self.saved_edit(lesson_id, side)
        return saved.source if saved is not None else None

    @_failsafe(lambda *_: None)
    def saved_edit(self, lesson_id: str, side: str) -> SavedEdit | None:
        """The saved code with the shipped file's version it started from (store_edits)."""
        with self._connection() as db:
            return store_edits.read(db, lesson_id, side)

    @_failsafe(lambda *_, **__: None, write=True)
    def save_edit(
        self, lesson_id: str, side: str, source: str, based_on: str | None = None
    ) -> None:
        """``based_on``: the ``source_hash`` of the shipped file, kept from the first save."""
        with self._tx() as db:
            store_edits.write(db, lesson_id, side, source, based_on)

    @_failsafe(lambda *_: None, write=True)
    def rebase_edit(self, lesson_id: str, side: str, based_on: str | None) -> None:
        with self._tx() as db:
            store_edits.rebase(db, lesson_id, side, based_on)

    @_failsafe(lambda *_: None, write=True)
    def drop_edit(self, lesson_id: str, side: str) -> None:
        """Reset one side to the lesson's original code."""
        with self._tx() as db:
            store_edits.drop(db, lesson_id, side)

    # -- reset ----------------------------------------------------------------------------------

    @_failsafe(lambda *_: None, write=True)
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
        the three reads agree; a read transaction, so it works while another session writes)."""
        with self._tx("DEFERRED") as db:
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

    @_failsafe(lambda *_: None, write=True)
    def restore(self, snapshot: LessonSnapshot) -> None:
        """Put a lesson back exactly as ``snapshot`` saw it (whatever happened in between)."""
        with self._tx() as db:
            for table in ("lessons", "edits", "runs"):
                db.execute(f"DELETE FROM {table} WHERE lesson_id = ?", (snapshot.lesson_id,))
            lesson_rows: tuple[tuple[Any, ...], ...] = (snapshot.lesson,) if snapshot.lesson else ()
            parts = (("lessons", lesson_rows), ("edits", snapshot.edits), ("runs", snapshot.runs))
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


__all__ = [
    "CORRUPT_INFIX",
    "DB_NAME",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "LessonProgress",
    "LessonSnapshot",
    "RunRecord",
    "SavedEdit",
    "Store",
    "StoreError",
]
