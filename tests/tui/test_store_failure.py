"""A progress database that fails mid-session must not take the app down."""

from __future__ import annotations

import sqlite3

import pytest

from fwlearn.store import Store
from fwlearn.tui.screens.browser import BrowserScreen
from fwlearn.tui.screens.lesson import LessonScreen


async def test_disk_failure_is_reported_and_the_app_keeps_working(
    make_app, wait, notifications, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    said = notifications(app)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()

        def broken(self: Store) -> sqlite3.Connection:
            raise sqlite3.OperationalError("disk I/O error")

        monkeypatch.setattr(Store, "_connect", broken)
        app.store.close()  # its one connection is reopened, by the broken _connect
        app.store.start_writer()
        await pilot.press("enter")  # opening a lesson reads and writes progress
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
        await pilot.press("tab", "x", "y")  # an edit, saved on a timer
        await wait(pilot, lambda: "Progress not saved" in " ".join(said))  # the save failed
        await pilot.press("escape", "q")  # leave: edits are saved once more
        await wait(pilot, lambda: isinstance(app.screen, BrowserScreen))
        titles = [line.split(": ")[0] for line in said]
        assert titles.count("Progress not saved") == 1  # said once, not per keystroke
        assert app.is_running


def test_without_the_app_errors_propagate(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fwlearn progress` should fail with a message, not pretend: no on_error there."""
    store = Store(tmp_path / "p.sqlite3")
    monkeypatch.setattr(
        Store, "_connect", lambda self: (_ for _ in ()).throw(sqlite3.OperationalError("boom"))
    )
    store.close()  # the next call opens a new connection
    with pytest.raises(sqlite3.OperationalError):
        store.all_lessons()
