"""A saved edit remembers which version of the shipped file it started from (issue 14, item 4).

The store (schema 2: ``edits.based_on``) and ``LessonSession.outdated`` on a copy of the fixture
pack whose shipped file is changed between two sessions, as a pack update would. Old databases
(schema 1, no version) keep their edits and never report them as outdated.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from fwlearn.lessons import load_pack
from fwlearn.session import LessonSession
from fwlearn.store import DB_NAME, SCHEMA_VERSION, Store
from fwlearn.store_edits import source_hash
from fwlearn.store_schema import MIGRATIONS

FIXTURE_PACK = Path(__file__).parents[1] / "tui" / "fixtures" / "pack"
EDITED = "EPOCHS = 3"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    copy = tmp_path / "pack"
    shutil.copytree(FIXTURE_PACK, copy)
    return copy


def open_basics(pack: Path, store: Store) -> LessonSession:
    lessons = {lesson.id: lesson for lesson in load_pack(pack).lessons}
    return LessonSession(lessons["basics"], store)


def ship_new_version(pack: Path) -> None:
    """The pack's author changes the Keras starting file (a new line in its first step)."""
    path = pack / "01-basics" / "in_keras.py"
    path.write_text(path.read_text().replace("EPOCHS = 2\n", "EPOCHS = 2\nSEED = 0\n"))


def edit_keras(session: LessonSession) -> str:
    text = session.code["keras"].replace("EPOCHS = 2", EDITED)
    session.edited("keras", text)
    session.save_edits()
    return text


def test_a_saved_edit_keeps_the_version_it_started_from(tmp_path: Path, pack: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    session = open_basics(pack, store)
    shipped = session.original("keras")
    edit_keras(session)
    saved = store.saved_edit("basics", "keras")
    assert saved is not None and saved.based_on == source_hash(shipped)
    # Later saves keep it: the edit still started from that file.
    store.save_edit("basics", "keras", "print(2)\n", "another version")
    saved = store.saved_edit("basics", "keras")
    assert saved is not None and saved.source == "print(2)\n"
    assert saved.based_on == source_hash(shipped)


def test_a_changed_lesson_file_makes_the_edit_outdated(tmp_path: Path, pack: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    mine = edit_keras(open_basics(pack, store))
    assert open_basics(pack, store).outdated() == []  # same pack: nothing to say
    ship_new_version(pack)
    session = open_basics(pack, store)
    assert session.code["keras"] == mine  # the learner's code is still what opens
    assert session.outdated() == ["keras"]
    session.edited("keras", mine + "# more\n")
    session.save_edits()
    assert open_basics(pack, store).outdated() == ["keras"]  # editing on does not hide it
    session.keep_edit("keras")
    again = open_basics(pack, store)
    assert again.outdated() == []
    assert again.code["keras"] == mine + "# more\n"


def test_taking_the_new_version_and_undoing_it(tmp_path: Path, pack: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    mine = edit_keras(open_basics(pack, store))
    ship_new_version(pack)
    session = open_basics(pack, store)
    session.reset_side("keras", "taking the new version")
    assert "SEED = 0" in session.code["keras"] and session.outdated() == []
    assert store.edit("basics", "keras") is None  # the shipped file: no edit to keep
    session.undo()
    assert session.code["keras"] == mine and session.outdated() == ["keras"]
    assert open_basics(pack, store).outdated() == ["keras"]  # in the store too


def test_a_taken_solution_is_based_on_the_new_version(tmp_path: Path, pack: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    edit_keras(open_basics(pack, store))
    ship_new_version(pack)
    session = open_basics(pack, store)
    session.take_solution("keras", "taking the solution")
    assert open_basics(pack, store).outdated() == []
    session.undo()
    assert open_basics(pack, store).outdated() == ["keras"]


def test_starting_over_and_undoing_it_keeps_the_version(tmp_path: Path, pack: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    edit_keras(open_basics(pack, store))
    ship_new_version(pack)
    session = open_basics(pack, store)
    session.reset_lesson("starting over")
    assert session.outdated() == [] and store.edit("basics", "keras") is None
    session.undo()
    assert session.outdated() == ["keras"]
    assert open_basics(pack, store).outdated() == ["keras"]


def test_an_old_database_keeps_its_edits_with_an_unknown_version(
    tmp_path: Path, pack: Path
) -> None:
    """A schema-1 database (fwlearn before this change): migrated in place, its edit kept and
    never called outdated; its next save records the version of that moment."""
    path = tmp_path / DB_NAME
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute("INSERT INTO edits VALUES ('basics', 'keras', 'print(1)\n', 1.0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = Store(path)
    assert store.notice is None  # not moved aside
    saved = store.saved_edit("basics", "keras")
    assert saved is not None and saved.source == "print(1)\n" and saved.based_on is None
    ship_new_version(pack)
    session = open_basics(pack, store)
    assert session.code["keras"] == "print(1)\n" and session.outdated() == []
    session.edited("keras", "print(2)\n")
    session.save_edits()
    saved = store.saved_edit("basics", "keras")
    assert saved is not None and saved.based_on == source_hash(session.original("keras"))
    check = sqlite3.connect(path)
    try:
        assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    finally:
        check.close()


def test_snapshot_and_restore_carry_the_version(tmp_path: Path) -> None:
    store = Store(tmp_path / DB_NAME)
    store.save_edit("a", "keras", "x = 1\n", "v1")
    snapshot = store.snapshot("a")
    store.reset("a")
    assert store.saved_edit("a", "keras") is None
    store.restore(snapshot)
    saved = store.saved_edit("a", "keras")
    assert saved is not None and saved.based_on == "v1"
