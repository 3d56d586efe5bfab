"""Every built-in lesson passed a full ``fwlearn check`` on exactly the files it has now.

The suite runs only a sample of the course for real (``test_builtin_pack``): the whole course on
both Keras backends takes ~40 s a lesson on 2 cores. A full check with ``--record`` stamps each
lesson that passed completely (``fwlearn.lessons.stamp``); this test, which runs no framework,
fails as soon as a program, check, wrong answer, data file or the prose changes without a new
full check, or the installed framework versions differ from the ones the check ran with.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fwlearn.frameworks import installed_keras_backends, installed_versions
from fwlearn.lessons import Lesson, builtin_pack_dir, load_pack, recorded
from fwlearn.lessons.stamp import fingerprint, make_stamp, stamp_problem

LESSONS = load_pack(builtin_pack_dir()).lessons


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.id for lesson in LESSONS])
def test_the_lesson_passed_a_full_check_as_it_is_now(lesson: Lesson) -> None:
    why = stamp_problem(
        lesson.folder,
        recorded.load(lesson.folder),
        installed_keras_backends(),
        installed_versions(),
    )
    assert why is None, (
        f"{lesson.id}: {why}. Run: fwlearn check --lesson {lesson.id} --record "
        "(it stamps the lesson when every program on every Keras backend is as expected)"
    )


def test_a_stamp_holds_across_builds_of_a_release_not_across_releases(tmp_path: Path) -> None:
    (tmp_path / "in_keras.py").write_text("x = 1\n")
    record = {"checked": make_stamp(tmp_path, ["tensorflow"], {"torch": "2.13.0+cpu"})}
    assert stamp_problem(tmp_path, record, ["tensorflow"], {"torch": "2.13.0+cu121"}) is None
    assert stamp_problem(tmp_path, record, ["tensorflow"], {"torch": "2.14.0"}) is not None
    assert stamp_problem(tmp_path, record, ["tensorflow", "torch"], {"torch": "2.13.0"})


def test_a_changed_file_changes_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "in_keras.py").write_text("x = 1\n")
    (tmp_path / "reference.json").write_text("{}\n")
    before = fingerprint(tmp_path)
    (tmp_path / "reference.json").write_text('{"a": 1}\n')  # the record itself does not count
    assert fingerprint(tmp_path) == before
    (tmp_path / "in_keras.py").write_text("x = 2\n")
    assert fingerprint(tmp_path) != before
    (tmp_path / "in_keras.py").write_text("x = 1\n")
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "notes.txt").write_text("new\n")  # a new file anywhere counts
    assert fingerprint(tmp_path) != before
