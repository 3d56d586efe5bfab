"""The run history: what each run of a side was, kept so the app can list, overlay and compare.

Why: each run replaced the previous one on screen, so "what changed since my last edit?" could
not be answered in the app. A recorded run now keeps, besides its time, status and final
metrics, the facts it reported, a hash of the code it ran (``code_hash``: the History view says
"code changed" between two runs of a side) and its per-epoch chart series (``series``, named as
``fwlearn/series.py`` names them, ``loss@sgd`` for a labelled fit), thinned to
``MAX_STORED_POINTS`` points, so a previous run can be drawn beside the current one.

Bounded: the rows are small and stay (``fwlearn progress`` lists them), but only the last
``KEEP_SERIES`` runs of each lesson and side keep their series, and facts are capped
(``MAX_FACTS`` names, each value's JSON at most ``MAX_FACT_CHARS``). Plain functions on a
connection, as in ``store_edits``: ``Store`` wraps them in its transactions, failure handling
and write-behind thread. The columns came with schema 3 (``store_schema``); rows recorded before
have no facts, hash or series, and the History view says "unknown" for them.
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from fwlearn.series import Points

KEEP_SERIES = 20  # runs per lesson and side whose series are kept
MAX_FACTS = 100
MAX_FACT_CHARS = 200


@dataclass(frozen=True)
class RunRecord:
    """One finished run in the history (``id``: the store's row, None before it is stored)."""

    lesson_id: str
    side: str
    started: float
    status: str
    duration: float
    metrics: dict[str, Any] = field(default_factory=dict)
    check_passed: bool | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    code_hash: str | None = None
    series: dict[str, Points] = field(default_factory=dict)
    id: int | None = None


def insert(db: sqlite3.Connection, record: RunRecord) -> None:
    """Add ``record``; older runs of its lesson and side beyond ``KEEP_SERIES`` lose their
    series (the row stays)."""
    db.execute(
        "INSERT INTO runs (lesson_id, side, started, status, duration, metrics, check_passed, "
        "facts, code_hash, series) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.lesson_id,
            record.side,
            record.started,
            record.status,
            record.duration,
            _dumps(record.metrics),
            None if record.check_passed is None else int(record.check_passed),
            _dumps(bounded_facts(record.facts)),
            record.code_hash,
            _dumps({name: [list(p) for p in points] for name, points in record.series.items()}),
        ),
    )
    db.execute(
        "UPDATE runs SET series = '{}' WHERE lesson_id = ? AND side = ? AND series != '{}' "
        "AND id NOT IN (SELECT id FROM runs WHERE lesson_id = ? AND side = ? "
        "ORDER BY started DESC, id DESC LIMIT ?)",
        (record.lesson_id, record.side, record.lesson_id, record.side, KEEP_SERIES),
    )


def read(
    db: sqlite3.Connection, lesson_id: str | None, side: str | None = None, limit: int = 1000
) -> list[RunRecord]:
    """Runs newest first: of every lesson (``lesson_id`` None), of one, or of one side."""
    where, args = [], []
    if lesson_id is not None:
        where.append("lesson_id = ?")
        args.append(lesson_id)
    if side is not None:
        where.append("side = ?")
        args.append(side)
    clause = f"WHERE {' AND '.join(where)} " if where else ""
    rows = db.execute(
        f"SELECT * FROM runs {clause}ORDER BY started DESC, id DESC LIMIT ?", (*args, limit)
    ).fetchall()
    return [_record(row) for row in rows]


def _record(row: sqlite3.Row) -> RunRecord:
    series = _loads(row["series"])
    return RunRecord(
        lesson_id=row["lesson_id"],
        side=row["side"],
        started=row["started"],
        status=row["status"],
        duration=row["duration"],
        metrics=_loads(row["metrics"]),
        check_passed=None if row["check_passed"] is None else bool(row["check_passed"]),
        facts=_loads(row["facts"]),
        code_hash=row["code_hash"],
        series={name: [(int(x), float(y)) for x, y in points] for name, points in series.items()},
        id=row["id"],
    )


def bounded_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """At most ``MAX_FACTS`` facts; a value whose JSON is longer than ``MAX_FACT_CHARS`` is
    kept as the start of its text (a fact may be a whole array: the history needs a glance)."""
    kept: dict[str, Any] = {}
    for name, value in list(facts.items())[:MAX_FACTS]:
        try:
            text: str | None = json.dumps(value, default=str, allow_nan=False)
        except ValueError:  # NaN or infinity: JSON has no such number
            text = None
        if text is None or len(text) > MAX_FACT_CHARS:
            shown = str(value)
            value = shown if len(shown) <= MAX_FACT_CHARS else shown[: MAX_FACT_CHARS - 1] + "…"
        kept[name] = value
    return kept


def code_changes(records: list[RunRecord]) -> list[bool | None]:
    """For each run (newest first, as ``read`` gives them): did its code differ from the run of
    the same side before it? None when unknown (the first run, or a run without a hash)."""
    changed: list[bool | None] = []
    for index, record in enumerate(records):
        before = next((r for r in records[index + 1 :] if r.side == record.side), None)
        if before is None or record.code_hash is None or before.code_hash is None:
            changed.append(None)
        else:
            changed.append(record.code_hash != before.code_hash)
    return changed


def compared(a: RunRecord, b: RunRecord) -> list[tuple[str, str, str]]:
    """The two runs side by side: ``(what, a's value, b's value)`` rows for the History view,
    status and time first, then every metric, then every fact either reported."""
    rows = [
        ("status", a.status, b.status),
        ("seconds", f"{a.duration:.1f}", f"{b.duration:.1f}"),
        ("code", *_code_cells(a, b)),
    ]
    for name in dict.fromkeys([*a.metrics, *b.metrics]):
        rows.append((name, shown(a.metrics.get(name)), shown(b.metrics.get(name))))
    for name in dict.fromkeys([*a.facts, *b.facts]):
        rows.append((f"fact {name}", shown(a.facts.get(name)), shown(b.facts.get(name))))
    return rows


def _code_cells(a: RunRecord, b: RunRecord) -> tuple[str, str]:
    if a.code_hash is None or b.code_hash is None:
        return ("unknown", "unknown")
    if a.code_hash == b.code_hash:
        return ("same code", "same code")
    return (a.code_hash[:8], b.code_hash[:8])


def shown(value: Any) -> str:
    """A metric or fact as the History view prints it (numbers to 4 significant digits)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
