"""The lesson's code changed since the learner edited it: say so, show the new version, take or keep.

A pack update (a newer fwlearn, an author's fix) changes a lesson's starting files, and a
learner's saved edit of the old file hid that for good: the app opened their copy and nothing
said the lesson had moved on. The store now keeps which shipped version each edit started from
(``fwlearn/store_edits.py``) and ``LessonSession.outdated`` compares; this module is the
conversation around it. On opening, each outdated side's log says so (and a toast, which the
narrow layout shows whatever tab is in front); ``v`` opens the new version as changes to the
learner's code in the solution's diff view (``NewVersionScreen``), where ``t`` takes it (asked
first; ``u`` undoes) and ``k`` keeps theirs, which ends the note.
"""

from __future__ import annotations

from typing import Protocol

from fwlearn.frameworks import SIDE_LABELS
from fwlearn.tui import dialogs
from fwlearn.tui.screens.solution import NewVersionScreen
from fwlearn.tui.widgets.side_pane import SidePane

LESSON_CHANGED = "This lesson's code changed since you edited it"
NEW_VERSION_OFFER = "press v to see the new version beside yours"


class Host(dialogs.Host, Protocol):
    """What this needs of the lesson screen: ``dialogs.Host`` and the side panes."""

    sides: dict[str, SidePane]

    def notify(self, message: str, *, title: str = ..., markup: bool = ...) -> None: ...


def announce(host: Host) -> None:
    """On opening: each outdated side says so in its log; one toast names them all."""
    outdated = host.session.outdated()
    for side in outdated:
        host.sides[side].log.push([f"! {LESSON_CHANGED}: {NEW_VERSION_OFFER}."])
    if outdated:
        labels = " and ".join(SIDE_LABELS[side] for side in outdated)
        host.notify(
            f"{LESSON_CHANGED} ({labels}): {NEW_VERSION_OFFER}.",
            title="Lesson updated",
            markup=False,
        )


def show_new_version(host: Host, side: str) -> None:
    """``v``: the new shipped file of every outdated side as changes to the learner's code,
    ``side``'s tab first when it is one of them."""
    session = host.session
    host.save_edits()  # the diff is against the code as it is in the editors now
    outdated = session.outdated()
    if not outdated:
        host.notify("Your code started from this lesson's current version: nothing new.")
        return
    sides = {s: (SIDE_LABELS[s], session.code[s], session.original(s)) for s in outdated}
    lesson = session.lesson
    title = f"{lesson.order}. {lesson.title} · the lesson's new code, as changes to yours"

    def kept(kept_side: str) -> None:
        session.keep_edit(kept_side)
        label = SIDE_LABELS[kept_side]
        host.notify(f"Kept your {label} code; it now counts as based on the new version.")

    def taken(taken_side: str | None) -> None:
        if taken_side:
            take_new_version(host, taken_side)

    host.app.push_screen(NewVersionScreen(title, sides, kept, initial=side), taken)


def take_new_version(host: Host, side: str) -> None:
    """Ask, then replace ``side``'s code with the lesson's new starting file (``u`` undoes,
    and the edit is outdated again)."""
    label = SIDE_LABELS[side]

    def take() -> None:
        host.save_edits()
        host.session.reset_side(side, f"taking the new version into the {label} code")
        host.reload_code(host.session.sides)
        host.notify(
            f"The lesson's new version replaced your {label} code. Press u to undo.", markup=False
        )

    dialogs.confirm(
        host,
        f"Replace your {label} code with the lesson's new version? (u brings yours back)",
        take,
    )
