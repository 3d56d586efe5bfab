"""The progress store: state transitions, edits, reset, several processes writing at once, a bad
file moved aside instead of crashing, and ``kill -9`` at random moments losing nothing committed."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fwlearn.store import (
    CORRUPT_INFIX,
    DB_NAME,
    MIGRATIONS,
    SCHEMA_VERSION,
    RunRecord,
    Store,
)
from fwlearn.store_schema import _is_corruption


def test_lesson_is_done_only_after_both_sides_and_the_check(tmp_path: Path) -> None:
    store = Store(tmp_path / "p.db")
    assert store.lesson("a").state == "not started"
    store.touch("a", section="Train")
    assert store.lesson("a").state == "in progress"
    assert store.lesson("a").section == "Train"
    store.record_run(RunRecord("a", "keras", 1.0, "ok", 0.5, {"loss": 0.1}, False))
    store.record_run(RunRecord("a", "pytorch", 2.0, "failed", 0.5, {}, None))
    assert store.lesson("a").state == "in progress"
    progress = store.record_run(RunRecord("a", "pytorch", 3.0, "ok", 0.5, {}, True))
    assert progress.state == "done"
    assert [r.side for r in store.runs("a")] == ["pytorch", "pytorch", "keras"]
    assert store.runs("a")[-1].metrics == {"loss": 0.1}


def test_edits_survive_a_new_store_and_reset_removes_them(tmp_path: Path) -> None:
    Store(tmp_path / "p.db").save_edit("a", "keras", "print(1)\n")
    store = Store(tmp_path / "p.db")
    assert store.edit("a", "keras") == "print(1)\n"
    assert store.edit("a", "pytorch") is None
    store.drop_edit("a", "keras")
    assert store.edit("a", "keras") is None
    store.save_edit("a", "keras", "x")
    store.save_edit("b", "keras", "y")
    store.reset("a")
    assert store.edit("a", "keras") is None and store.edit("b", "keras") == "y"
    store.reset()
    assert store.edit("b", "keras") is None and store.all_lessons() == {}


WRITER = """
import sys
from fwlearn.store import RunRecord, Store
store = Store(sys.argv[1])
name = sys.argv[2]
for i in range(150):
    store.record_run(RunRecord("shared", name, float(i), "ok", 0.1, {"i": i}, None))
    store.save_edit("shared", name, f"{name} {i}")
    store.touch("shared", section=f"{name}{i}")
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    Store(db)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(db), side])
        for side in ("keras", "pytorch")
    ]
    assert all(p.wait(60) == 0 for p in procs)
    store = Store(db)
    runs = store.runs("shared")
    assert len(runs) == 300
    assert {r.side for r in runs} == {"keras", "pytorch"}
    assert store.edit("shared", "keras") == "keras 149"
    assert store.edit("shared", "pytorch") == "pytorch 149"
    progress = store.lesson("shared")
    assert progress.keras_ok and progress.pytorch_ok and not progress.done


# -- a file that cannot be used is moved aside, never fatal -------------------------------------


def _filled(path: Path) -> bytes:
    """A real progress database with some history, checkpointed into one file; its bytes."""
    store = Store(path)
    for i in range(200):
        store.record_run(RunRecord("a", "keras", float(i), "ok", 0.1, {"pad": "x" * 200}))
        store.save_edit("a", "keras", "y" * i)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path.read_bytes()


def _truncated_header(path: Path) -> str:
    path.write_bytes(_filled(path)[:50])
    return "damaged"


def _truncated_half(path: Path) -> str:
    data = _filled(path)
    path.write_bytes(data[: len(data) // 2])
    return "damaged"


def _damaged_page(path: Path) -> str:
    data = bytearray(_filled(path))
    middle = len(data) // 2
    data[middle : middle + 8192] = random.Random(1).randbytes(8192)
    path.write_bytes(bytes(data))
    return "damaged"


def _not_sqlite(path: Path) -> str:
    path.write_text("these are my notes, not a database\n" * 50)
    return "not an SQLite database"


def _foreign_tables(path: Path) -> str:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE photos (name TEXT)")
    db.commit()
    db.close()
    return "tables fwlearn does not know (photos)"


def _wrong_columns(path: Path) -> str:
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE lessons (lesson_id TEXT PRIMARY KEY, stars INTEGER)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    return "lessons table lacks columns"


def _newer_schema(path: Path) -> str:
    Store(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    return "newer fwlearn"


BAD_FILES = {
    "truncated_header": _truncated_header,
    "truncated_half": _truncated_half,
    "damaged_page": _damaged_page,
    "not_sqlite": _not_sqlite,
    "foreign_tables": _foreign_tables,
    "wrong_columns": _wrong_columns,
    "newer_schema": _newer_schema,
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_a_bad_database_is_moved_aside_and_a_fresh_one_started(tmp_path: Path, name: str) -> None:
    path = tmp_path / DB_NAME
    reason = BAD_FILES[name](path)
    for sidecar in ("-wal", "-shm"):  # Store's own opens may have left them; make it the bad file
        (tmp_path / (DB_NAME + sidecar)).unlink(missing_ok=True)
    original = path.read_bytes()
    store = Store(path)
    assert store.notice is not None and reason in store.notice, store.notice
    moved = _moved_aside(tmp_path)
    assert len(moved) == 1 and str(moved[0]) in store.notice
    assert moved[0].read_bytes() == original  # kept as it was, for whoever wants to rescue it
    assert "start over" in store.notice
    # The fresh database works and is a good one: opening it again says nothing.
    store.save_edit("a", "keras", "print(1)")
    assert store.all_lessons() == {} and store.edit("a", "keras") == "print(1)"
    again = Store(path)
    assert again.notice is None and again.edit("a", "keras") == "print(1)"
    assert _user_version(path) == SCHEMA_VERSION


def test_a_good_database_is_never_moved(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    _filled(path)
    store = Store(path)
    assert store.notice is None
    assert len(store.runs(limit=1000)) == 200
    assert _moved_aside(tmp_path) == []


def test_locks_and_permission_errors_are_not_corruption() -> None:
    """A busy database must be waited for or reported, never moved aside as if damaged."""
    assert not _is_corruption(sqlite3.OperationalError("database is locked"))
    assert _is_corruption(sqlite3.DatabaseError("file is not a database"))


def test_a_version_0_database_is_migrated_keeping_its_rows(tmp_path: Path) -> None:
    """An old fwlearn stopped halfway through creating tables: migrate, keep what is there."""
    path = tmp_path / DB_NAME
    db = sqlite3.connect(path)
    db.execute(MIGRATIONS[0][1])  # only the edits table
    db.execute("INSERT INTO edits VALUES ('a', 'keras', 'kept', 1.0)")
    db.commit()
    db.close()
    store = Store(path)
    assert store.notice is None
    assert store.edit("a", "keras") == "kept"
    store.record_run(RunRecord("a", "keras", 1.0, "ok", 0.1))
    assert _user_version(path) == SCHEMA_VERSION


def _moved_aside(folder: Path) -> list[Path]:
    """Database files moved aside (not their -wal/-shm)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(DB_NAME + CORRUPT_INFIX) and not p.name.endswith(("-wal", "-shm"))
    )


def _user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()


# -- several processes at once, and kill -9 -------------------------------------------------------

OPENER = """
import sys
from fwlearn.store import RunRecord, Store
store = Store(sys.argv[1])
print(store.notice or "", flush=True)
for i in range(40):
    store.record_run(RunRecord("shared", sys.argv[2], float(i), "ok", 0.1, {"i": i}, None))
"""


@pytest.mark.parametrize("start", ["missing", "corrupt"])
def test_several_processes_opening_at_once_agree(tmp_path: Path, start: str) -> None:
    """Four sessions start together on no file or a damaged one: one fresh database, which
    every one of them uses, and at most one file moved aside (never a fresh one)."""
    db = tmp_path / DB_NAME
    if start == "corrupt":
        db.write_text("garbage " * 100)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, str(db), f"p{n}"], stdout=subprocess.PIPE, text=True
        )
        for n in range(4)
    ]
    notices = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    moved = _moved_aside(tmp_path)
    if start == "corrupt":
        assert len([n for n in notices if n]) == 1, notices
        assert len(moved) == 1 and moved[0].read_text().startswith("garbage")
    else:
        assert notices == ["", "", "", ""] and moved == []
    runs = Store(db).runs("shared")
    assert len(runs) == 160 and {r.side for r in runs} == {"p0", "p1", "p2", "p3"}


TYPIST = """
import sys
from fwlearn.store import RunRecord, Store
store = Store(sys.argv[1])
text = store.edit("k", "keras") or "# start\\n" + "x" * 4000
n = 0
while True:
    n += 1
    text += "abc"[n % 3] if n % 40 else "\\n"  # a batch of keystrokes, as the app saves them
    store.save_edit("k", "keras", text)
    print("edit", len(text), flush=True)
    if n % 7 == 0:
        started = float(f"{sys.argv[2]}.{n:06d}")
        store.record_run(RunRecord("k", "keras", started, "ok", 0.1, {"n": n}))
        print("run", started, flush=True)
        store.touch("k", section=str(n))
"""


# Soak-like: eight subprocesses SIGKILLed mid-typing after 0.05-1 s each; 4.4 s on 2 cores at
# load 15 (`pytest tests/core/test_store.py -k kill_9 --durations=3`).
@pytest.mark.slow
def test_kill_9_at_any_moment_keeps_every_committed_write(tmp_path: Path) -> None:
    """A process using the store as the app does is SIGKILLed at random moments, eight times.
    Each time the database opens clean and holds everything it said it had committed (it
    prints after each commit returns), plus at most the one write that was in flight."""
    db = tmp_path / DB_NAME
    rng = random.Random(20240611)
    committed_runs: set[float] = set()
    last_edit = 0
    for round_ in range(1, 9):
        child = subprocess.Popen(
            [sys.executable, "-c", TYPIST, str(db), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(rng.uniform(0.05, 0.2) if round_ <= 2 else rng.uniform(0.3, 1.0))
        child.send_signal(signal.SIGKILL)
        out = child.communicate(timeout=30)[0]
        assert child.returncode == -signal.SIGKILL
        lines = [line.split() for line in out.splitlines() if line.endswith(tuple("0123456789"))]
        for kind, value in lines:
            if kind == "edit":
                last_edit = int(value)
            else:
                committed_runs.add(float(value))
        check = sqlite3.connect(db)
        try:
            assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            check.close()
        store = Store(db)
        assert store.notice is None
        saved = store.edit("k", "keras")
        if last_edit:
            assert saved is not None and len(saved) in (last_edit, last_edit + 1), round_
        stored = {r.started for r in store.runs("k", limit=100_000)}
        assert committed_runs <= stored
        assert len(stored - committed_runs) <= 1
        committed_runs = stored  # an in-flight write that made it counts from now on
        last_edit = len(saved) if saved else 0
    assert last_edit > 4000 and len(committed_runs) > 10  # the kills did land mid-typing
