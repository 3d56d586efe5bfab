"""The app never loses its footing: bad lesson files show up as broken lessons with the reason,
a damaged progress database is announced, and no lesson code runs until the learner asks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from fwlearn.engine.proctree import descendants
from fwlearn.store import CORRUPT_INFIX, DB_NAME
from fwlearn.tui.screens.browser import BrowserScreen
from fwlearn.tui.screens.lesson import LessonScreen

BROKEN_PACK = Path(__file__).parents[1] / "lessons" / "fixtures" / "broken"
FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"
WIDE = (160, 48)


def _rows(app: Any) -> dict[str, list[str]]:
    table = app.screen.query_one("#lessons", DataTable)
    return {
        str(row.key.value): [str(cell) for cell in table.get_row(row.key)]
        for row in table.ordered_rows
    }


async def _move_to(pilot: Any, key: str) -> None:
    table = pilot.app.screen.query_one("#lessons", DataTable)
    table.move_cursor(row=table.get_row_index(key))
    await pilot.pause()


async def _until_screen(pilot: Any, kind: type) -> Any:
    for _ in range(100):
        if isinstance(pilot.app.screen, kind):
            break
        await pilot.pause(0.05)
    await pilot.pause()
    return pilot.app.screen


def _nasty_pack(tmp_path: Path) -> Path:
    """The broken fixture pack plus files no author means to write."""
    pack = tmp_path / "pack"
    shutil.copytree(BROKEN_PACK, pack)
    binary = pack / "binary-md"
    shutil.copytree(pack / "fine", binary)
    (binary / "lesson.md").write_bytes(b"+++\n\xff\xfe\x00 id = \x80\n+++\n")
    empty = pack / "empty-md"
    empty.mkdir()
    (empty / "lesson.md").write_text("")
    folder_md = pack / "lesson-md-is-a-folder"
    folder_md.mkdir()
    (folder_md / "lesson.md").mkdir()
    nul = pack / "nul-in-code"
    shutil.copytree(pack / "fine", nul)
    (nul / "lesson.md").write_text((nul / "lesson.md").read_text().replace('"fine"', '"nul"'))
    (nul / "in_keras.py").write_bytes(b"# %% Load the data\nx = 1\x00\n# %% Train\n")
    return pack


async def test_bad_lesson_files_are_listed_as_broken_and_good_ones_still_open(
    make_app: Callable[..., Any], tmp_path: Path, notifications: Any
) -> None:
    app = make_app(_nasty_pack(tmp_path))
    said = notifications(app)
    broken = {folder.name for folder in app.pack.broken()}
    assert {"bad-toml", "binary-md", "empty-md", "lesson-md-is-a-folder", "nul-in-code"} <= broken
    async with app.run_test(size=WIDE) as pilot:
        rows = _rows(app)
        assert [key for key in rows if not key.startswith("broken:")] == ["fine", "dup"]
        assert {key.removeprefix("broken:") for key in rows if key.startswith("broken:")} == broken
        row = rows["broken:missing-exercise"]
        assert row[2] == "✗ broken"
        assert row[3] == "missing [exercise] table (task, hint, solution, check)"
        assert rows["broken:missing-solution"][3].endswith("(+1 more)")

        # The detail shows every problem, located; Enter says why it cannot open and stays.
        await _move_to(pilot, "broken:missing-solution")
        detail = str(app.screen.query_one("#lesson-detail", Static).render())
        assert "missing-solution is broken and cannot open" in detail
        assert detail.count("missing solution file") == 2
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BrowserScreen)
        assert any("missing-solution cannot open: missing solution file" in m for m in said)
        for key in rows:  # every row can be highlighted without an error
            await _move_to(pilot, key)

        # A good lesson of the same pack still opens, and coming back works.
        await _move_to(pilot, "fine")
        await pilot.press("enter")
        screen = await _until_screen(pilot, LessonScreen)
        assert isinstance(screen, LessonScreen) and screen.lesson.id == "fine"
        await pilot.press("escape", "q")
        await _until_screen(pilot, BrowserScreen)
        assert isinstance(app.screen, BrowserScreen)
        assert len(_rows(app)) == len(rows)


async def test_a_damaged_progress_database_is_announced(
    make_app: Callable[..., Any], home: Path, notifications: Any, wait: Any
) -> None:
    (home / DB_NAME).write_bytes(b"\x00garbage" * 100)
    app = make_app()
    messages = notifications(app)
    async with app.run_test(size=WIDE) as pilot:
        await wait(pilot, lambda: any("moved to" in m for m in messages))
        assert any("moved to" in m and CORRUPT_INFIX in m for m in messages), messages
        assert len(_rows(app)) == 2  # and the app works on the fresh database
    assert (home / DB_NAME).exists()


# -- nothing runs without asking ------------------------------------------------------------------


def _marked_pack(tmp_path: Path, marker: Path) -> Path:
    """The fixture pack, with every program and solution leaving ``marker`` when it runs."""
    pack = tmp_path / "pack"
    shutil.copytree(FIXTURE_PACK, pack)
    for program in pack.rglob("in_*.py"):
        with program.open("a", encoding="utf-8") as handle:
            handle.write(f"\nopen({str(marker)!r}, 'a').write({program.name!r} + '\\n')\n")
    return pack


@pytest.mark.slow
async def test_opening_lessons_runs_no_lesson_code(
    make_app: Callable[..., Any], tmp_path: Path, wait: Any, monkeypatch: Any
) -> None:
    """Browse, open both lessons, step through sections, switch sides and leave: no snippet
    starts (no child process at all with warm spares off; spares, when on, only import a
    framework). Then Run, to prove the marker does work."""
    # The marker is in the host's /tmp, which a sandboxed run does not see (its /tmp is its own).
    monkeypatch.setenv("FWLEARN_SANDBOX", "off")
    marker = tmp_path / "ran.txt"
    app = make_app(_marked_pack(tmp_path, marker), real_engine=True)
    async with app.run_test(size=WIDE) as pilot:
        for lesson_id in ("basics", "slow"):
            await _move_to(pilot, lesson_id)
            await pilot.press("enter")
            screen = await _until_screen(pilot, LessonScreen)
            assert screen.lesson.id == lesson_id
            await pilot.press("f3", "f3", "f2", "ctrl+t", "ctrl+t")
            screen.save_edits()  # what its timer does every 0.5 s
            await pilot.pause()
            assert descendants(os.getpid()) == []
            await pilot.press("escape", "q")
            await _until_screen(pilot, BrowserScreen)
        assert descendants(os.getpid()) == []
        assert not marker.exists()

        await _move_to(pilot, "basics")
        await pilot.press("enter")
        screen = await _until_screen(pilot, LessonScreen)
        await pilot.press("f7")
        await wait(pilot, lambda: marker.exists() and len(marker.read_text().split()) == 2)
    assert sorted(marker.read_text().split()) == ["in_keras.py", "in_pytorch.py"]


def test_list_and_progress_commands_run_no_lesson_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran.txt"
    pack = _marked_pack(tmp_path, marker)
    # Sandbox off: a sandboxed run could not write the marker into the host's /tmp, and this test
    # would pass even if listing did run lesson code.
    env = {**os.environ, "FWLEARN_SANDBOX": "off"}
    for args in (["list"], ["list", "--json"], ["progress"]):
        done = subprocess.run(  # FWLEARN_HOME is a tmp folder (tests/conftest.py)
            [sys.executable, "-m", "fwlearn", "--lessons", str(pack), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        assert done.returncode == 0, done.stderr
        assert args == ["progress"] or "basics" in done.stdout
    assert not marker.exists()
