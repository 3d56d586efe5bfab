"""The run history the app's History view reads (fwlearn/store_history.py, schema 3)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from fwlearn.engine.events import End, Fact, Metric, Start
from fwlearn.engine.result import RunResult
from fwlearn.series import history_metrics, series_name, split_name, thin
from fwlearn.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, RunRecord, Store
from fwlearn.store_history import KEEP_SERIES, MAX_FACT_CHARS, code_changes, compared


def _run(started: float, code: str | None, **kw: object) -> RunRecord:
    return RunRecord("losses", "keras", started, "ok", 1.0, code_hash=code, **kw)  # type: ignore[arg-type]


def test_a_run_keeps_its_facts_code_hash_and_series(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    series = {"loss": [(1, 0.9), (2, 0.5)], "loss@sgd": [(1, 0.8)]}
    store.record_run(
        _run(1.0, "abc", metrics={"val_accuracy": 0.75}, facts={"epochs": 2}, series=series)
    )
    store.close()
    (run,) = Store(tmp_path / DB_NAME).runs("losses", side="keras")
    assert run.facts == {"epochs": 2} and run.code_hash == "abc"
    assert run.series == series and run.metrics == {"val_accuracy": 0.75}
    assert run.id is not None


def test_only_the_last_runs_of_a_side_keep_their_series(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    for i in range(KEEP_SERIES + 3):
        store.record_run(_run(float(i), "h", series={"loss": [(1, float(i))]}))
    store.record_run(replace(_run(99.0, "h", series={"loss": [(1, 1.0)]}), side="pytorch"))
    runs = store.runs("losses", side="keras")
    assert len(runs) == KEEP_SERIES + 3  # the rows stay: `fwlearn progress` lists them
    assert all(run.series for run in runs[:KEEP_SERIES])
    assert not any(run.series for run in runs[KEEP_SERIES:])
    assert store.runs("losses", side="pytorch")[0].series  # the other side is its own


def test_facts_are_bounded_and_nan_does_not_break_the_row(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    store.record_run(_run(1.0, None, facts={"weights": list(range(1000)), "bad": float("nan")}))
    (run,) = store.runs("losses")
    assert len(run.facts["weights"]) == MAX_FACT_CHARS and run.facts["weights"].endswith("…")
    assert run.facts["bad"] == "nan"


def test_a_schema_2_database_gains_the_columns_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / DB_NAME
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            db.execute(statement)
    db.execute(
        "INSERT INTO runs (lesson_id, side, started, status, duration, metrics) "
        "VALUES ('old', 'keras', 1.0, 'ok', 2.0, '{\"loss\": 0.5}')"
    )
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    store = Store(path)
    assert store.notice is None and SCHEMA_VERSION >= 3
    (run,) = store.runs("old")
    assert run.metrics == {"loss": 0.5} and run.facts == {} and run.series == {}
    assert run.code_hash is None


def test_code_changes_compare_each_run_with_the_previous_run_of_its_side() -> None:
    newest_first = [
        _run(4.0, "b"),
        replace(_run(3.0, "x"), side="pytorch"),
        _run(2.0, "a"),
        _run(1.0, "a"),
        _run(0.5, None),
    ]
    assert code_changes(newest_first) == [True, None, False, None, None]


def test_two_runs_compared_side_by_side() -> None:
    a = _run(1.0, "aaaaaaaaaa", metrics={"loss": 0.5}, facts={"epochs": 2})
    b = _run(2.0, "bbbbbbbbbb", metrics={"loss": 0.25, "val_loss": 0.3})
    rows = {what: (x, y) for what, x, y in compared(a, b)}
    assert rows["loss"] == ("0.5", "0.25") and rows["val_loss"] == ("-", "0.3")
    assert rows["fact epochs"] == ("2", "-")
    assert rows["code"] == ("aaaaaaaa", "bbbbbbbb")
    assert {w: (x, y) for w, x, y in compared(a, a)}["code"] == ("same code", "same code")


def test_series_names_and_labelled_finals() -> None:
    assert series_name("loss", "sgd") == "loss@sgd" and split_name("loss@sgd") == ("loss", "sgd")
    assert split_name("val_loss") == ("val_loss", "")
    points = [(i, float(i)) for i in range(1, 1001)]
    kept = thin(points, 50)
    assert len(kept) == 50 and kept[0] == (1, 1.0) and kept[-1] == (1000, 1000.0)
    result = RunResult(
        [
            Start("r", 0.0),
            Metric("r", 0.1, values={"loss": 0.9}, epoch=1, run="reference"),
            Metric("r", 0.2, values={"loss": 0.4}, epoch=1, run="model"),
            Fact("r", 0.3, name="epochs", value=1),
            End("r", 0.4, status="ok"),
        ]
    )
    assert history_metrics(result) == {"loss": 0.4, "loss@reference": 0.9, "loss@model": 0.4}
