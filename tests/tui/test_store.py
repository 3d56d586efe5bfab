"""The progress store: state transitions, edits, reset, and two processes writing at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fwlearn.tui.store import RunRecord, Store


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
from fwlearn.tui.store import RunRecord, Store
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
