"""The lesson screen's keys, once: the bindings the screen installs and the help screen's rows.

Each ``KeyRow`` pairs a ``Binding`` (its ``description`` is the footer's short label, its
``tooltip`` the help screen's longer text) with the modes it is listed under. Rows without a
binding are keys Textual's own widgets handle (scrolling, Tab, typing) that a learner still needs
to find in the help. The help screen renders these rows, so a new or changed key cannot be
forgotten there (it was copied by hand before, and drifted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.binding import Binding

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen

READING = "Lesson: reading mode (where a lesson opens)"
EDITING = "Lesson: editing mode"
BOTH = (READING, EDITING)

KEY_NAMES = {
    "ctrl": "Ctrl",
    "shift": "Shift",
    "up": "↑",
    "down": "↓",
    "escape": "Esc",
    "enter": "Enter",
    "question_mark": "?",
    "pageup": "PgUp",
    "pagedown": "PgDn",
    "tab": "Tab",
    "home": "Home",
    "end": "End",
}


@dataclass(frozen=True)
class KeyRow:
    """One help row: a binding (or only ``keys`` for a widget's own key) and its modes."""

    does: str
    modes: tuple[str, ...] = (READING,)
    binding: Binding | None = None
    keys: str = ""

    @property
    def shown_keys(self) -> str:
        return self.keys or display_keys(self.binding.key if self.binding else "")


def display_keys(keys: str) -> str:
    """``"f3,ctrl+down"`` → ``"F3 / Ctrl+↓"``: how the help names a binding's keys. A lone
    letter keeps its case (``r`` and ``R`` differ); after a modifier it is capitalised."""
    shown = []
    for combo in keys.split(","):
        *mods, last = combo.split("+")
        name = KEY_NAMES.get(last, last)
        if mods or (len(last) > 1 and last[0] == "f" and last[1:].isdigit()):
            name = name.upper() if len(name) <= 3 else name
        shown.append("+".join([*(KEY_NAMES.get(m, m) for m in mods), name]))
    return " / ".join(shown)


def key(
    keys: str,
    action: str,
    label: str,
    does: str,
    *,
    modes: tuple[str, ...] = (READING,),
    show: bool = True,
    priority: bool = False,
) -> KeyRow:
    binding = Binding(keys, action, label, show=show, priority=priority, tooltip=does)
    return KeyRow(does, modes, binding)


# The footer lists the shown ones in this order whatever has the focus, and only those enabled
# now (LessonScreen.check_action). At 80 columns it holds 78 of 80 cells with a run going ("esc
# Cancel" first): short labels, no palette entry (Ctrl+P still works), and F2/F3 are named in
# the title line. Checked by tests/tui/test_first_hour.py. Two Esc bindings share one footer
# slot: "Done" while editing, "Cancel" while a run goes in reading mode.
LESSON_KEYS: tuple[KeyRow, ...] = (
    KeyRow("scroll the focused pane (the explanation when a lesson opens)", keys="↑ ↓ PgUp PgDn"),
    KeyRow(
        "move between the explanation, the code, the logs and the results",
        keys="Tab / Shift+Tab",
    ),
    KeyRow(
        "type into the code (Ctrl+Z / Ctrl+Y undo and redo typing)",
        (EDITING,),
        keys="letters, Tab, Enter",
    ),
    key(
        "escape",
        "stop_editing",
        "Done",
        "stop editing: back to reading mode (a run goes on)",
        modes=(EDITING,),
        priority=True,
    ),
    key(
        "escape",
        "cancel",
        "Cancel",
        "cancel the running side (all running sides if the focus is on neither)",
        priority=True,
    ),
    key("f5", "run('keras')", "Keras", "run the Keras side", modes=BOTH, priority=True),
    key("f6", "run('pytorch')", "PyTorch", "run the PyTorch side", modes=BOTH, priority=True),
    key("f7", "run_both", "Both", "run both sides at once", modes=BOTH, priority=True),
    key(
        "e,enter",
        "edit",
        "Edit",
        "edit the code of the current side (a click in the code does it too)",
    ),
    key(
        "f3,ctrl+down",
        "section(1)",
        "Next step",
        "next step: both editors jump to it",
        modes=BOTH,
        show=False,
        priority=True,
    ),
    key(
        "f2,ctrl+up",
        "section(-1)",
        "Prev step",
        "previous step: both editors jump to it",
        modes=BOTH,
        show=False,
        priority=True,
    ),
    key("h", "hint", "Hint", "show the exercise hint"),
    key("s", "show_solution", "Solution", "show the solution (asks first)"),
    key("question_mark", "app.help", "Help", "this help"),
    key("q", "back", "Lessons", "back to the lesson list"),
    key(
        "ctrl+c",
        "cancel_focused",
        "Cancel",
        "cancel the run of the side you are on (copies when nothing runs)",
        modes=(EDITING,),
        show=False,
        priority=True,
    ),
    key(
        "r",
        "reset_side",
        "Reset side",
        "reset the current side to the original code (asks first; u undoes)",
        show=False,
    ),
    key(
        "R",
        "reset_lesson",
        "Reset lesson",
        "reset this lesson to its starting code: start over, code, progress and run history "
        "(asks first; u undoes)",
        show=False,
    ),
    key(
        "t",
        "take_solution",
        "Take solution",
        "take the solution into the current side's code (asks first; u undoes)",
        show=False,
    ),
    key("u", "undo", "Undo", "undo the last reset or taken solution", show=False),
    key(
        "H",
        "history",
        "History",
        "run history of this lesson: Enter draws a run beside the current one on the chart, "
        "Space marks two runs to compare",
        show=False,
    ),
    key(
        "w",
        "toggle_watch",
        "Watch",
        "watch on save (again: off): each side's working file, saved in your own editor, "
        "loads here and runs",
        show=False,
    ),
    key(
        "g",
        "go_to_error",
        "Failing line",
        "after a failed run: go to the failing line, then to each caller in your code in turn",
        show=False,
    ),
    key(
        "v",
        "new_version",
        "New version",
        "when the lesson's code changed since you edited it: the new version beside yours "
        "(t takes it, asking first; k keeps yours)",
        show=False,
    ),
    key(
        "f",
        "toggle_framework_lines",
        "Framework lines",
        "show or fold the framework lines of the current side's traceback",
        show=False,
    ),
    key(
        "m", "maximize", "Full screen", "full screen for the focused pane (Esc returns)", show=False
    ),
    key(
        "b",
        "switch_backend",
        "Backend",
        "switch the Keras backend (tensorflow / torch)",
        show=False,
    ),
    key(
        "ctrl+o",
        "open_in_editor",
        "$EDITOR",
        "edit the current side in $VISUAL / $EDITOR (at the step's line; while editing, at "
        "the cursor's)",
        modes=BOTH,
        show=False,
        priority=True,
    ),
    key(
        "ctrl+t",
        "next_tab",
        "Next tab",
        "narrow terminals: next tab (Keras, PyTorch, Results)",
        show=False,
        priority=True,
    ),
    key(
        "f8",
        "next_insight",
        "Chart/Compare/…",
        "results: Chart, Compare, Predictions, Exercise",
        show=False,
        priority=True,
    ),
)

LESSON_BINDINGS: list[Binding] = [row.binding for row in LESSON_KEYS if row.binding is not None]


@dataclass(frozen=True)
class PaletteCommand:
    """A command palette (Ctrl+P) entry: its title, the help under it, and the screen action it
    runs (the same action string a binding names, so the palette and the keys cannot differ)."""

    title: str
    help: str
    action: str


LESSON_PALETTE: tuple[PaletteCommand, ...] = (
    PaletteCommand("Run Keras", "run the Keras side (F5)", "run('keras')"),
    PaletteCommand("Run PyTorch", "run the PyTorch side (F6)", "run('pytorch')"),
    PaletteCommand("Run both", "run both sides at once (F7)", "run_both"),
    PaletteCommand("Cancel runs", "stop whatever is running", "cancel_all"),
    PaletteCommand("Next step", "both editors to the next section", "section(1)"),
    PaletteCommand("Previous step", "both editors to the previous one", "section(-1)"),
    PaletteCommand("Show hint", "the exercise hint", "hint"),
    PaletteCommand("Show solution", "asks first", "show_solution"),
    PaletteCommand("Edit code", "editing mode for the current side (e)", "edit"),
    PaletteCommand("Reset Keras code", "back to the original (asks)", "reset_side('keras')"),
    PaletteCommand("Reset PyTorch code", "back to the original (asks)", "reset_side('pytorch')"),
    PaletteCommand(
        "Reset this lesson to its starting code",
        "start over: code, progress and run history (asks; R; u undoes)",
        "reset_lesson",
    ),
    PaletteCommand("Take the solution", "into the current side (asks; t)", "take_solution"),
    PaletteCommand("Undo", "the last reset or taken solution (u)", "undo"),
    PaletteCommand("Run history", "list, overlay on the chart, compare two (H)", "history"),
    PaletteCommand("Watch on save", "run a side when saved in your editor (w)", "toggle_watch"),
    PaletteCommand("Go to the failing line", "then each caller in your code (g)", "go_to_error"),
    PaletteCommand("Lesson's new version", "beside your edited code (v)", "new_version"),
    PaletteCommand("Read full screen", "the focused pane, Esc returns (m)", "maximize"),
    PaletteCommand("Open in $EDITOR", "edit the current side outside (Ctrl+O)", "open_in_editor"),
    PaletteCommand("Switch Keras backend", "tensorflow / torch", "switch_backend"),
)


def key_enabled(screen: LessonScreen, action: str) -> bool:
    """Which keys exist now (the footer shows only these; ``LessonScreen.check_action`` asks):
    ``Next tab`` when narrow, ``Edit`` in reading mode, Esc's "Done" while editing, its
    "Cancel" while a run goes."""
    if action == "next_tab":
        return screen.narrow
    if action == "edit":
        return screen.editing is None
    if action == "stop_editing":
        return screen.editing is not None
    if action == "cancel":
        return screen.editing is None and bool(screen.session.active)
    return True


def help_table(rows: list[KeyRow] | tuple[KeyRow, ...], mode: str) -> str:
    """The Markdown table of ``rows`` listed under ``mode``."""
    lines = ["| key | does |", "|---|---|"]
    lines += [f"| {row.shown_keys} | {row.does} |" for row in rows if mode in row.modes]
    return "\n".join(lines)


def binding_rows(bindings: list[Binding], mode: str) -> list[KeyRow]:
    """Help rows for another screen's bindings: the tooltip if it has one, else the label."""
    return [KeyRow(b.tooltip or b.description.lower(), (mode,), b) for b in bindings]
