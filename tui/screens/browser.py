"""BrowserScreen: the home screen, every lesson with its state and a way back to where you were.

Lessons that failed to load are listed too, after the others, as broken with the reason: a
learner who dropped a lesson folder in should see why it is not there, not wonder.

The table is as wide as the screen and the summary column gets what is left: at 80 columns a
summary cut at the edge read as if it were complete, so it is shortened with an ellipsis (and
recomputed on resize). The cursor starts on the lesson "continue" names, where the learner was.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import RowDoesNotExist

if TYPE_CHECKING:
    from fwlearn.tui.app import FwlearnApp

STATE_MARK = {"not started": "·", "in progress": "◐", "done": "✓"}
BROKEN_KEY = "broken:"  # row key prefix; lesson ids never contain a colon
STATE_WIDTH = max(len(f"{mark} {state}") for state, mark in STATE_MARK.items())
MIN_SUMMARY = 12  # below this the summary column is not worth a column: it still gets this much


class BrowserScreen(Screen[None]):
    """Lists the pack's lessons; states come from the store each time the screen shows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True, tooltip="open the chosen lesson"),
        Binding("c", "continue", "Continue", tooltip="continue where you left off"),
        Binding("j", "move(1)", "Down", show=False, tooltip="next lesson"),
        Binding("k", "move(-1)", "Up", show=False, tooltip="previous lesson"),
        # Priority: the table's own Home/End scroll sideways and leave the cursor where it is.
        Binding("home", "first", "First", show=False, priority=True, tooltip="first lesson"),
        Binding("end", "last", "Last", show=False, priority=True, tooltip="last lesson"),
        Binding("question_mark", "app.help", "Help", tooltip="this help"),
        Binding("q", "app.quit", "Quit", tooltip="quit"),
    ]

    _fitted_width = 0  # the width the summaries were last cut to

    @property
    def fwapp(self) -> FwlearnApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("fwlearn · Keras and PyTorch, side by side", id="browser-title")
        yield DataTable(id="lessons", cursor_type="row", zebra_stripes=True)
        yield Static(id="lesson-detail")
        yield Static(id="browser-notes")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#lessons", DataTable)
        table.add_column("#", key="order")
        table.add_column("lesson", key="title")
        table.add_column("state", key="state")
        table.add_column("summary", key="summary")
        self.refresh_states()
        self._cursor_to(self.fwapp.store.last_lesson())
        table.focus()
        notes = self.fwapp.environment_notes()
        problems = getattr(self.fwapp.pack, "problems", []) or []
        if problems:
            notes.append(f"{len(problems)} problem(s) in the lesson pack: run `fwlearn check`.")
        self.query_one("#browser-notes", Static).update("\n".join(notes))

    def on_screen_resume(self) -> None:
        self.refresh_states()

    def on_resize(self) -> None:
        if self._summary_width() != self._fitted_width:
            self.refresh_states()

    def _summary_width(self) -> int:
        """Columns left for the summary: the screen less the other columns, each cell's
        padding (1 a side) and, when the rows may overflow, the vertical scrollbar. Worked out
        from the screen's size, not the table's: a refit after layout left DataTable drawing
        the new cells at the old column widths (textual 8.2.8)."""
        width, height = self.size if self.size.width else self.app.size
        lessons = self.fwapp.pack.lessons
        broken = self._broken()
        title = max([len(lesson.title) for lesson in lessons] + [len(f) for f in broken])
        order = max([len(str(lesson.order)) for lesson in lessons] + [1])
        table = self.query_one("#lessons", DataTable)
        rows = len(lessons) + len(broken) + 1  # and the header
        # The table gets what the title, the detail box (up to 5 lines) and the footer leave.
        scrollbar = table.styles.scrollbar_size_vertical if rows > height - 8 else 0
        used = order + title + STATE_WIDTH + 4 * 2 + scrollbar
        return max(MIN_SUMMARY, width - used)

    def refresh_states(self) -> None:
        """Re-read progress (another session may have changed it) and redraw the rows."""
        table = self.query_one("#lessons", DataTable)
        progress = self.fwapp.store.all_lessons()
        cursor = table.cursor_row
        table.clear()
        width = self._fitted_width = self._summary_width()
        for lesson in self.fwapp.pack.lessons:
            state = progress[lesson.id].state if lesson.id in progress else "not started"
            table.add_row(
                str(lesson.order),
                lesson.title,
                f"{STATE_MARK[state]} {state}",
                _fit(Text(lesson.summary), width),
                key=lesson.id,
            )
        for folder, problems in self._broken().items():
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            table.add_row(
                "!",
                Text(folder),  # Text, not str: a message like "missing [exercise]" is no markup
                Text("✗ broken", style="bold red"),
                _fit(Text(problems[0].message + more), width),
                key=BROKEN_KEY + folder,
            )
        if table.row_count:
            table.move_cursor(row=min(max(cursor, 0), table.row_count - 1))
        self._show_detail()

    def _broken(self) -> dict[str, list[Any]]:
        """Lesson folders that did not load, by folder name, with their problems."""
        broken = getattr(self.fwapp.pack, "broken", None)
        return {folder.name: problems for folder, problems in (broken() if broken else {}).items()}

    def _key_at_cursor(self) -> str | None:
        table = self.query_one("#lessons", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        key = self._key_at_cursor()
        detail = self.query_one("#lesson-detail", Static)
        if key and key.startswith(BROKEN_KEY):
            folder = key.removeprefix(BROKEN_KEY)
            problems = self._broken().get(folder, [])
            lines = [f"{folder} is broken and cannot open:"]
            lines += [f"  {problem}" for problem in problems]
            detail.update(Text("\n".join(lines)))
            return
        lesson = self.fwapp.pack.get(key) if key else None
        if lesson is None:
            detail.update("No lessons found.")
            return
        lines = [f"{lesson.order}. {lesson.title}: {lesson.summary}"]
        progress = self.fwapp.store.all_lessons()
        unfinished = [
            required
            for required in lesson.requires
            if required not in progress or progress[required].state != "done"
        ]
        if unfinished:
            lines.append("do first: " + ", ".join(unfinished))
        last = self.fwapp.store.last_lesson()
        if last and self.fwapp.pack.get(last) is not None:
            lines.append(f"continue (c): {self.fwapp.pack.get(last).title}")
        # Last: the box holds 4 lines, and at 80 columns the summary alone can take two.
        lines.append("tested with: " + self.fwapp.tested_with(lesson))
        detail.update("\n".join(lines))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self._open(event.row_key.value)

    def action_open(self) -> None:
        key = self._key_at_cursor()
        if key:
            self._open(key)

    def _open(self, key: str) -> None:
        if key.startswith(BROKEN_KEY):
            folder = key.removeprefix(BROKEN_KEY)
            problems = self._broken().get(folder, [])
            reason = problems[0].message if problems else "it did not load"
            self.notify(f"{folder} cannot open: {reason}", severity="error", markup=False)
            return
        self.fwapp.open_lesson(key)

    def action_continue(self) -> None:
        last = self.fwapp.store.last_lesson()
        if last and self.fwapp.pack.get(last) is not None:
            self.fwapp.open_lesson(last)
        elif self.fwapp.pack.lessons:
            self.fwapp.open_lesson(self.fwapp.pack.lessons[0].id)

    def action_move(self, delta: int) -> None:
        table = self.query_one("#lessons", DataTable)
        table.move_cursor(row=table.cursor_row + delta)

    def action_first(self) -> None:
        self.query_one("#lessons", DataTable).move_cursor(row=0)

    def action_last(self) -> None:
        table = self.query_one("#lessons", DataTable)
        table.move_cursor(row=max(0, table.row_count - 1))

    def _cursor_to(self, key: str | None) -> None:
        table = self.query_one("#lessons", DataTable)
        if key is None:
            return
        with contextlib.suppress(RowDoesNotExist):  # the lesson left the pack since
            table.move_cursor(row=table.get_row_index(key))


def _fit(text: Text, width: int) -> Text:
    """``text`` on one line of at most ``width`` cells, ending in "…" when it was cut."""
    text.truncate(width, overflow="ellipsis")
    return text
