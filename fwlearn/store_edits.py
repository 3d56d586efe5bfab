"""A learner's saved edits, and which version of the shipped file each one started from.

Why: a lesson pack changes (a fixed bug, a tightened check, a new step), and a learner who had
edited the old file kept seeing their copy with nothing to say the lesson's own code had moved
on. Each saved edit now keeps ``based_on``, a hash of the shipped file's text it was made from
(``source_hash``): when the app opens the lesson and the shipped file hashes differently, the
edit is *outdated* and the app says so and offers the new version beside it.

Rules, in the SQL below: the hash is written when the edit is first saved and kept through later
saves (the edit still started from that file) until the learner keeps their version against the
new one (``rebase``) or takes the new version (the edit is dropped). An edit saved before schema
2 has no hash (NULL): unknown, never reported as outdated; its next save records the shipped
file of that moment, so later changes are noticed. These are plain functions on a connection so
that ``Store`` wraps them in its transactions, failure handling and write-behind thread.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class SavedEdit:
    """One side's saved code and the shipped file's ``source_hash`` it started from (None: saved
    by an fwlearn that did not record it)."""

    source: str
    based_on: str | None
    updated: float

    def outdated(self, shipped: str) -> bool:
        """The shipped file is no longer the one this edit started from (unknown: False)."""
        return self.based_on is not None and self.based_on != source_hash(shipped)


def source_hash(text: str) -> str:
    """The version of a shipped file's text: SHA-256 of its UTF-8, hex (the lesson's ``source``
    as loaded, so a copy of the pack with the same text is the same version)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def read(db: sqlite3.Connection, lesson_id: str, side: str) -> SavedEdit | None:
    row = db.execute(
        "SELECT source, based_on, updated FROM edits WHERE lesson_id = ? AND side = ?",
        (lesson_id, side),
    ).fetchone()
    return None if row is None else SavedEdit(row[0], row[1], row[2])


def write(
    db: sqlite3.Connection, lesson_id: str, side: str, source: str, based_on: str | None
) -> None:
    """Save ``source``; ``based_on`` is recorded only where the edit has no version yet."""
    db.execute(
        "INSERT INTO edits (lesson_id, side, source, updated, based_on) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (lesson_id, side) DO UPDATE SET source = excluded.source, "
        "updated = excluded.updated, based_on = COALESCE(edits.based_on, excluded.based_on)",
        (lesson_id, side, source, time.time(), based_on),
    )


def rebase(db: sqlite3.Connection, lesson_id: str, side: str, based_on: str | None) -> None:
    """Say the edit is now based on ``based_on`` (kept against a new version, or undone)."""
    db.execute(
        "UPDATE edits SET based_on = ? WHERE lesson_id = ? AND side = ?",
        (based_on, lesson_id, side),
    )


def drop(db: sqlite3.Connection, lesson_id: str, side: str) -> None:
    db.execute("DELETE FROM edits WHERE lesson_id = ? AND side = ?", (lesson_id, side))
