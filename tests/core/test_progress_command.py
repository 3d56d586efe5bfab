"""``fwlearn progress`` prints the store and resets it only when told to."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from fwlearn.cmd_progress import progress_main
from fwlearn.store import CORRUPT_INFIX, DB_NAME, RunRecord, Store


def test_progress_prints_and_resets(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store(home / DB_NAME)
    store.record_run(RunRecord("training", "keras", 1.0, "ok", 2.5, {"loss": 0.25}, False))
    store.save_edit("training", "keras", "x")
    assert progress_main(argparse.Namespace(reset=None, yes=False)) == 0
    out = capsys.readouterr().out
    assert "training" in out and "in progress" in out and "loss 0.25" in out
    # Not a terminal and no --yes: refuse rather than wipe someone's progress.
    assert progress_main(argparse.Namespace(reset="training", yes=False)) == 2
    assert store.edit("training", "keras") == "x"
    assert progress_main(argparse.Namespace(reset="training", yes=True)) == 0
    assert store.edit("training", "keras") is None
    assert store.all_lessons() == {}


def test_progress_says_a_bad_database_was_moved_aside(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (home / DB_NAME).write_text("not a database")
    assert progress_main(argparse.Namespace(reset=None, yes=False)) == 0
    captured = capsys.readouterr()
    assert "moved to" in captured.err and CORRUPT_INFIX in captured.err
    assert "nothing yet" in captured.out
    assert (home / DB_NAME).read_bytes() != b"not a database"
