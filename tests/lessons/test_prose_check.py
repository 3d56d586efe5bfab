"""Numbers in the prose bound to runs, as an author meets them: ``fwlearn check [--record]`` on a
copy of the fixture pack (plain-Python programs, real subprocesses), and the front matter's
``data`` and ``prose_tolerance``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fwlearn.lessons import load_lesson

# Starts real `fwlearn` subprocesses: `make test`, not `make test-fast` (fake engine only).
pytestmark = pytest.mark.engine

FIXTURES = Path(__file__).parent / "fixtures"

PROSE = (
    "Count epochs from 1, as Keras does: the keras start reaches "
    "{keras.metric.val_accuracy:.2f} after {keras.fact.epochs} epochs, the pytorch solution "
    "a loss of {solution.pytorch.metric.loss:.3f} (a rate of {article:0.01} in the article)."
)


def fwlearn(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fwlearn", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )


@pytest.fixture
def lesson_md(tmp_path: Path) -> Path:
    """The basics lesson, alone in a pack, its Train prose quoting three run values."""
    folder = tmp_path / "pack" / "01-basics"
    shutil.copytree(FIXTURES / "good" / "01-basics", folder)
    path = folder / "lesson.md"
    text = path.read_text(encoding="utf-8").replace("Count epochs from 1, as Keras does.", PROSE)
    path.write_text(text, encoding="utf-8")
    return path


def line_of(path: Path, text: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


def test_record_then_check_then_drift_is_named_with_both_values(lesson_md: Path) -> None:
    pack = lesson_md.parent.parent
    line = line_of(lesson_md, "{keras.metric.val_accuracy")

    done = fwlearn("check", pack)
    assert done.returncode == 1
    assert (
        f"lesson.md:{line}: {{keras.metric.val_accuracy:.2f}}: no value in reference.json for "
        "the keras start run on tensorflow (its run gives 0.50 (0.5)): record it with "
        "`fwlearn check --record`" in done.stdout
    )

    done = fwlearn("check", pack, "--record")
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = json.loads((lesson_md.parent / "reference.json").read_text())
    assert recorded["keras"]["tensorflow"]["start"]["metrics"]["val_accuracy"] == 0.5
    assert recorded["keras"]["tensorflow"]["start"]["facts"]["epochs"] == 2
    assert recorded["pytorch"]["solution"]["metrics"]["loss"] == 0.25
    assert set(recorded["pytorch"]) == {"start", "solution"}

    assert fwlearn("check", pack).returncode == 0

    # The prose now quotes 0.61 where the run still gives 0.5: beyond 2%, named with both.
    recorded["keras"]["tensorflow"]["start"]["metrics"]["val_accuracy"] = 0.61
    (lesson_md.parent / "reference.json").write_text(json.dumps(recorded))
    done = fwlearn("check", pack)
    assert done.returncode == 1
    assert (
        f"lesson.md:{line}: {{keras.metric.val_accuracy:.2f}} quotes 0.61 (reference.json) but "
        "the keras start run on tensorflow gives 0.50 (0.5), beyond prose_tolerance 0.02"
        in done.stdout
    )
    assert "FAILED: 1 problem" in done.stdout

    # A tolerance the lesson sets wide enough accepts the same drift.
    text = lesson_md.read_text().replace("timeout = 30", "timeout = 30\nprose_tolerance = 0.5")
    lesson_md.write_text(text)
    assert fwlearn("check", pack).returncode == 0

    # A ~ reference (a timing) is never compared, whatever the drift; it must still be reported.
    recorded["keras"]["tensorflow"]["start"]["metrics"]["val_accuracy"] = 5.0
    (lesson_md.parent / "reference.json").write_text(json.dumps(recorded))
    text = lesson_md.read_text().replace("prose_tolerance = 0.5", "")
    lesson_md.write_text(text.replace("{keras.metric.val_accuracy", "{~keras.metric.val_accuracy"))
    assert fwlearn("check", pack).returncode == 0
    lesson_md.write_text(
        lesson_md.read_text().replace("{~keras.metric.val_accuracy", "{~keras.metric.val_acc")
    )
    done = fwlearn("check", pack)
    assert (
        done.returncode == 1 and "{~keras.metric.val_acc:.2f}: the keras start run" in done.stdout
    )


def test_a_bare_number_and_a_misspelt_name_fail_check(lesson_md: Path) -> None:
    pack = lesson_md.parent.parent
    assert fwlearn("check", pack, "--record").returncode == 0
    text = lesson_md.read_text().replace("{keras.fact.epochs}", "{keras.fact.epoch}")
    text = text.replace("Intro prose:", "Intro prose at 0.125 accuracy:")
    lesson_md.write_text(text)
    done = fwlearn("check", pack)
    assert done.returncode == 1
    assert (
        f"lesson.md:{line_of(lesson_md, 'Intro prose')}: bare number 0.125 in the prose"
        in done.stdout
    )
    # A misspelt name lists what the run did report.
    assert (
        f"lesson.md:{line_of(lesson_md, '{keras.fact.epoch}')}: {{keras.fact.epoch}}: the keras "
        "start run on tensorflow did not report it (its facts: epochs)" in done.stdout
    )


def test_data_entries_are_checked_by_the_loader(tmp_path: Path) -> None:
    folder = tmp_path / "01-basics"
    shutil.copytree(FIXTURES / "good" / "01-basics", folder)
    path = folder / "lesson.md"
    original = path.read_text(encoding="utf-8")
    line = line_of(path, "data = ")
    for entry, message in [
        ('"../points.csv"', "must be a path inside the lesson folder"),
        ('"/etc/passwd"', "must be a path inside the lesson folder"),
        ('"nope.csv"', 'data entry "nope.csv": no such file'),
        ('"solution"', "is part of the lesson itself"),
        ('"points.csv", "./points.csv"', "is listed twice"),
    ]:
        path.write_text(original.replace('data = ["points.csv"]', f"data = [{entry}]"))
        lesson, problems = load_lesson(folder)
        assert lesson is None, entry
        assert [(p.line, message in p.message) for p in problems] == [(line, True)], problems
    (folder / "outside").symlink_to(tmp_path)
    path.write_text(original.replace('data = ["points.csv"]', 'data = ["outside"]'))
    assert "leads outside the lesson folder" in load_lesson(folder)[1][0].message
    path.write_text(original.replace("timeout = 30", "timeout = 30\nprose_tolerance = 2"))
    assert "prose_tolerance must be" in load_lesson(folder)[1][0].message
    path.write_text(original.replace('data = ["points.csv"]', 'data = ["./points.csv"]'))
    lesson, problems = load_lesson(folder)
    assert lesson is not None, problems
    assert lesson.data == ("points.csv",)
    assert lesson.data_files == (folder / "points.csv",)
    assert lesson.prose_tolerance == 0.02
