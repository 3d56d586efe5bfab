"""Watch on save in the app (``w``): a save of a side's working file in the learner's own editor
loads it into that side and runs it.

The files and the polling are ``fwlearn/workfiles.py``'s (the same as ``fwlearn verify
--watch``); this is the app's half. Turning watch on writes both sides' code to their working
files and says where they are (a toast, and a line in each side's log); a ``Watcher`` widget,
invisible, mounted on the lesson screen, then looks every ``POLL_SECONDS``: a file saved with
new text is loaded into its editor, saved to the store and run; a side that is still running is
cancelled first and run again once it has ended. Typing in the app is mirrored to the file, so
the editor outside reloads what the app has. Living in the screen's DOM, the timer ends with
the screen; ``w`` again removes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget

from fwlearn.console import display_path
from fwlearn.workfiles import POLL_SECONDS, WorkFiles, work_file

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen

STOP_HINT = "w stops watching"


class Watcher(Widget):
    """The polling half of watch on save, for one lesson screen (see the module doc)."""

    DEFAULT_CSS = "Watcher { display: none; }"

    def __init__(self, lesson_screen: LessonScreen, files: WorkFiles) -> None:
        super().__init__()
        self.lesson_screen = lesson_screen
        self.files = files
        self.pending: set[str] = set()  # saved while running: run again once it has ended
        self.reruns = 0  # runs started by a save (tests wait on it)

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self.poll, name="watch-files")

    def poll(self) -> None:
        screen = self.lesson_screen
        for side, text in self.files.saved().items():
            screen.sides[side].load(text)
            screen.save_edits()
            if screen.session.runs[side].running:
                screen.runner.cancel(side)
                self.pending.add(side)
            else:
                self._run(side)
        for side in [s for s in self.pending if not screen.session.runs[s].running]:
            self.pending.discard(side)
            self._run(side)
        for side, pane in screen.sides.items():
            self.files.mirror(side, pane.text)

    def _run(self, side: str) -> None:
        screen = self.lesson_screen
        if screen.start_run(side):
            self.reruns += 1
            path = display_path(self.files.files[side].path)
            screen.sides[side].log.push([f"↻ saved in your editor: {path} ({STOP_HINT})"])


def toggle(screen: LessonScreen) -> None:
    """The lesson screen's ``w`` (its ``action_toggle_watch``): watch on or off."""
    watching = screen.query(Watcher)
    if watching:
        watching.remove()
        screen.notify("Watch on save is off: saving outside no longer runs the code.")
        return
    lesson = screen.session.lesson
    paths = {side: work_file(lesson.id, lesson.files[side].path.name) for side in screen.sides}
    files = WorkFiles(paths)
    screen.save_edits()
    try:
        files.start({side: pane.text for side, pane in screen.sides.items()})
    except OSError as exc:
        screen.notify(f"Cannot write the working files: {exc}", title="Watch", severity="error")
        return
    screen.mount(Watcher(screen, files))
    for side, pane in screen.sides.items():
        pane.log.push([f"watching {display_path(paths[side])}: save it to run ({STOP_HINT})"])
    shown = "\n".join(display_path(path) for path in paths.values())
    screen.notify(
        f"Open these in your editor; each save runs its side:\n{shown}",
        title="Watch on save",
        timeout=12,
        markup=False,
    )
