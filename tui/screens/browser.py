"""BrowserScreen: the home screen, every lesson with its state and a way back to where you were.

Lessons that failed to load are listed too, after the others, as broken with the reason: a
learner who dropped a lesson folder in should see why it is not there, not wonder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

if TYPE_CHECKING:
    from fwlearn.tui.app import FwlearnApp

STATE_MARK = {"not started": "·", "in progress": "◐", "done": "✓"}
BROKEN_KEY = "broken:"  # row key prefix; lesson ids never contain a colon


class BrowserScreen(Screen[None]):
    """Lists the pack's lessons; states come from the store each time the screen shows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open", show=True),
        Binding("c", "continue", "Continue"),
        Binding("j", "move(1)", "Down", show=False),
        Binding("k", "move(-1)", "Up", show=False),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "app.quit", "Quit"),
    ]

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
        table.focus()
        notes = self.fwapp.environment_notes()
        problems = getattr(self.fwapp.pack, "problems", []) or []
        if problems:
            notes.append(f"{len(problems)} problem(s) in the lesson pack: run `fwlearn check`.")
        self.query_one("#browser-notes", Static).update("\n".join(notes))

    def on_screen_resume(self) -> None:
        self.refresh_states()

    def refresh_states(self) -> None:
        """Re-read progress (another session may have changed it) and redraw the rows."""
        table = self.query_one("#lessons", DataTable)
        progress = self.fwapp.store.all_lessons()
        cursor = table.cursor_row
        table.clear()
        for lesson in self.fwapp.pack.lessons:
            state = progress[lesson.id].state if lesson.id in progress else "not started"
            table.add_row(
                str(lesson.order),
                lesson.title,
                f"{STATE_MARK[state]} {state}",
                lesson.summary,
                key=lesson.id,
            )
        for folder, problems in self._broken().items():
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            table.add_row(
                "!",
                Text(folder),  # Text, not str: a message like "missing [exercise]" is no markup
                Text("✗ broken", style="bold red"),
                Text(problems[0].message + more),
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
        return table.coordinate_to_cell_key((table.cursor_row, 0)).row_key.value

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
        if lesson.requires:
            lines.append("do first: " + ", ".join(lesson.requires))
        lines.append("tested with: " + self.fwapp.tested_with(lesson))
        last = self.fwapp.store.last_lesson()
        if last and self.fwapp.pack.get(last) is not None:
            lines.append(f"continue (c): {self.fwapp.pack.get(last).title}")
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
