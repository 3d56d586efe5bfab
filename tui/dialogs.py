"""The lesson's destructive actions: each asks first (``ConfirmScreen``) and can be undone once.

Resetting a side, starting the lesson over and taking the solution replace the learner's code;
showing the solution spoils the exercise. The questions, the order of saving and replacing, and
the "press u to undo" note used to sit in the lesson screen between layout code. The rules
themselves (what is replaced, what ``u`` restores) are ``LessonSession``'s; this module is only
the conversation around them, against the small ``Host`` the lesson screen provides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from fwlearn.frameworks import SIDE_LABELS as LABELS
from fwlearn.session import LessonSession
from fwlearn.tui.results import Results
from fwlearn.tui.screens.confirm import ConfirmScreen

SOLUTION_QUESTION = "Show the solution? Trying first teaches more."


class Host(Protocol):
    """What the dialogs need of the lesson screen."""

    session: LessonSession
    results: Results

    @property
    def app(self) -> Any: ...

    def save_edits(self) -> None: ...

    def reload_code(self, sides: tuple[str, ...]) -> None: ...

    def notify(self, message: str, *, markup: bool = ...) -> None: ...


def confirm(host: Host, question: str, then: Callable[[], None]) -> None:
    """Ask ``question``; ``then()`` only on yes (n, Esc and the No button do nothing)."""

    def answered(yes: bool | None) -> None:
        if yes:
            then()

    host.app.push_screen(ConfirmScreen(question), answered)


def _undoable(host: Host, message: str) -> None:
    host.reload_code(host.session.sides)
    host.notify(f"{message} Press u to undo.", markup=False)


def reset_side(host: Host, side: str) -> None:
    """Ask, then bring back the lesson's original code for ``side``."""
    label = LABELS[side]
    session = host.session
    host.save_edits()
    if session.code[side] == session.original(side):
        host.notify(f"The {label} code is already the original.")
        return

    def reset() -> None:
        host.save_edits()
        session.reset_side(side, f"reset of the {label} code")
        _undoable(host, f"{label} code reset to the original.")

    confirm(
        host,
        f"Reset the {label} code to the lesson's original? Your version is replaced "
        "(u brings it back).",
        reset,
    )


def reset_lesson(host: Host) -> None:
    """Ask, then do what ``fwlearn progress --reset LESSON`` does, plus the editors."""
    title = host.session.lesson.title

    def reset() -> None:
        host.save_edits()
        host.session.reset_lesson(f"starting {title!r} over")
        _undoable(host, f"{title!r} starts over: original code, no progress.")

    confirm(
        host,
        f"Start {title!r} over? Both sides go back to the original code, and its progress "
        "and run history are forgotten (u brings them back).",
        reset,
    )


def take_solution(host: Host, side: str) -> None:
    """Ask, then replace a side's code with the exercise's solution: ``side`` when the exercise
    touches it, else the exercise's first side."""
    exercise = host.session.lesson.exercise
    if exercise is None:
        host.notify("This lesson has no exercise, so no solution.")
        return
    side = side if side in exercise.sides else exercise.sides[0]
    label = LABELS[side]

    def take() -> None:
        host.save_edits()
        host.session.take_solution(side, f"taking the solution into the {label} code")
        _undoable(host, f"The solution replaced your {label} code.")

    confirm(host, f"Replace your {label} code with the solution? (u brings yours back)", take)


def undo(host: Host) -> None:
    """``u``: bring back what the last destructive action replaced."""
    host.save_edits()
    done = host.session.undo()
    if done is None:
        host.notify("Nothing to undo.")
        return
    host.reload_code(done.sides)
    host.notify(f"Undone: {done.what}.")


def show_solution(host: Host) -> None:
    """Ask once; then the solution opens full screen as a diff against the current code
    (``SolutionScreen``), whose ``t`` takes it into that side (asking again; u undoes)."""
    if host.session.lesson.exercise is None:
        host.results.show_exercise()  # which says there is no exercise
    elif host.session.solution_shown:
        _open_solution(host)
    else:

        def shown() -> None:
            host.results.solution_unlocked()
            _open_solution(host)

        confirm(host, SOLUTION_QUESTION, shown)


def _open_solution(host: Host) -> None:
    from fwlearn.tui.screens.solution import SolutionScreen

    session = host.session
    exercise = session.lesson.exercise
    if exercise is None:
        return
    host.save_edits()  # the diff is against the code as it is in the editors now
    sides = {
        side: (LABELS[side], session.code[side], exercise.solution_source(side))
        for side in exercise.sides
    }
    lesson = session.lesson
    title = f"{lesson.order}. {lesson.title} · solution, as changes to your code"

    def taken(side: str | None) -> None:
        if side:
            take_solution(host, side)

    host.app.push_screen(SolutionScreen(title, sides), taken)
