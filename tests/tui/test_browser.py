"""The home screen at 80x24, on the built-in pack (loading it runs nothing): what a learner sees
and where the keys take the cursor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.widgets import DataTable, Static

from fwlearn.lessons import builtin_pack_dir, load_pack
from fwlearn.store import RunRecord

NARROW = (80, 24)


def cursor_key(app: Any) -> str | None:
    table = app.screen.query_one("#lessons", DataTable)
    return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value


def finish(app: Any, lesson_id: str) -> None:
    """Both sides ran ok and the check passed: the store calls the lesson done."""
    for side in ("keras", "pytorch"):
        app.store.record_run(RunRecord(lesson_id, side, 0.0, "ok", 1.0, {}, True))


async def test_summaries_cut_at_80_columns_end_in_an_ellipsis(
    make_app: Callable[..., Any],
    screen_text: Callable[[Any], str],
) -> None:
    app = make_app(builtin_pack_dir())
    async with app.run_test(size=(NARROW[0], 40)) as pilot:  # 80 columns, every lesson's row
        await pilot.pause()
        rows = [line for line in screen_text(app).splitlines() if "not started" in line]
        assert len(rows) == len(load_pack(builtin_pack_dir()).lessons)
        cut = [row for row in rows if "…" in row]
        assert cut, rows  # the built-in summaries are longer than 80 columns leave
        assert all(row.rstrip().endswith("…") for row in cut), cut
        await pilot.resize_terminal(200, 24)
        await pilot.pause()
        assert "…" not in screen_text(app)  # wide enough: the whole summary, no ellipsis


async def test_end_and_home_move_the_cursor_to_the_last_and_first_lesson(
    make_app: Callable[..., Any],
) -> None:
    app = make_app(builtin_pack_dir())
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert cursor_key(app) == "tensors"
        await pilot.press("end")
        last = load_pack(builtin_pack_dir()).lessons[-1]
        assert cursor_key(app) == last.id
        detail = str(app.screen.query_one("#lesson-detail", Static).render())
        assert f"{last.order}. {last.title}" in detail
        await pilot.press("home")
        assert cursor_key(app) == "tensors"


async def test_the_cursor_starts_on_the_lesson_continue_names(
    make_app: Callable[..., Any],
    screen_text: Callable[[Any], str],
) -> None:
    app = make_app(builtin_pack_dir())
    app.store.touch("tensors")
    app.store.touch("training")  # the most recent: what "continue (c)" opens
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        assert cursor_key(app) == "training"
        assert "continue (c): Training" in screen_text(app)


async def test_do_first_names_only_unfinished_prerequisites(
    make_app: Callable[..., Any],
    screen_text: Callable[[Any], str],
) -> None:
    app = make_app(builtin_pack_dir())
    async with app.run_test(size=NARROW) as pilot:
        await pilot.pause()
        await pilot.press("j")  # 2. data requires tensors
        assert cursor_key(app) == "data"
        assert "do first: tensors" in screen_text(app)
        finish(app, "tensors")
        await pilot.press("j", "k")
        assert cursor_key(app) == "data"
        assert "do first" not in screen_text(app)
