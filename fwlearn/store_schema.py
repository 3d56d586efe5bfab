"""The progress database's file: its schema, its migrations, and what to do with a bad one.

Split from ``fwlearn.store`` so that module holds what the learner's data *means* (lessons,
edits, runs) and this one how the file is kept usable: a file that is not a usable progress
database (damaged, truncated, not SQLite, someone else's tables, a newer fwlearn's schema) is
never fatal; it is moved aside to ``<name>.corrupt-<timestamp>`` (with its ``-wal``/``-shm``)
and a fresh database is started. The schema is versioned with ``PRAGMA user_version``:
``MIGRATIONS[n]`` takes version n to n+1. Stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

CORRUPT_INFIX = ".corrupt-"

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
    # 2: each saved edit remembers the shipped file it started from (fwlearn.store_edits);
    # NULL for the edits already there: unknown, never reported as outdated.
    ("ALTER TABLE edits ADD COLUMN based_on TEXT",),
    # 3: the run history keeps what the app's History view shows (fwlearn.store_history): the
    # facts, a hash of the code that ran, the per-epoch chart series. Older runs: none of them.
    (
        "ALTER TABLE runs ADD COLUMN facts TEXT NOT NULL DEFAULT '{}'",
        "ALTER TABLE runs ADD COLUMN code_hash TEXT",
        "ALTER TABLE runs ADD COLUMN series TEXT NOT NULL DEFAULT '{}'",
        "CREATE INDEX IF NOT EXISTS runs_by_side ON runs (lesson_id, side, started)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The progress database can be neither used nor moved aside (e.g. a read-only folder)."""


def prepare(
    path: Path, connect: Callable[[], sqlite3.Connection]
) -> tuple[sqlite3.Connection, str | None]:
    """Make ``path`` a usable database at ``SCHEMA_VERSION``: the connection ``connect`` opened
    on it, and the notice to show when a bad file had to be moved aside (None when not).

    Two sessions opening a damaged file at once must not both move files aside (the slower one
    would move the other's fresh database): checking is done under a lock file.
    """
    notice = None
    with _file_lock(path.with_name(path.name + ".lock")):
        problem = _problem(path)
        if problem is not None:
            notice = _move_aside(path, problem)
        db = connect()
        try:
            _migrate(db)
        except BaseException:
            db.close()
            raise
    return db, notice


def _problem(path: Path) -> str | None:
    """Why the file at ``path`` cannot be used as it is, or None (also for no file yet)."""
    if not path.exists():
        return None
    try:
        # A plain connection: switching to WAL here would write to a file about to be kept.
        db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
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


def _move_aside(path: Path, reason: str) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}{CORRUPT_INFIX}{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}{CORRUPT_INFIX}{stamp}-{counter}")
    try:
        os.replace(path, target)
        # The WAL belongs to the old file: replayed onto a fresh one it would corrupt it.
        for suffix in ("-wal", "-shm"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                os.replace(sidecar, target.with_name(target.name + suffix))
    except OSError as exc:
        raise StoreError(
            f"the progress database {path} cannot be used ({reason}) and could not be "
            f"moved aside: {exc.strerror}. Move or delete it, then start fwlearn again."
        ) from exc
    return (
        f"Your progress database could not be used: {reason}. It was moved to {target} "
        "and a fresh one was started, so progress and saved edits start over."
    )


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the database to ``SCHEMA_VERSION`` in one transaction (a no-op when it is)."""
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


# SQLite's primary result codes (sqlite3 names them only from Python 3.11 on).
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26


def _is_corruption(exc: sqlite3.DatabaseError) -> bool:
    """SQLITE_CORRUPT / SQLITE_NOTADB, not a lock, a full disk or a permission problem."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
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
