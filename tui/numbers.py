"""The numbers in a lesson's text as one lesson screen shows them.

A reference such as ``{keras.metric.val_accuracy:.3f}`` is rendered from the lesson's
reference.json for the Keras backend the app is on, and once the learner has run a side, with
their own value beside it (``lessons.recorded.render_text`` decides what shows). The prose
pane and the exercise panel both go through ``render``; ``refresh`` re-renders them when the
backend changes (the status bar's ``backend``) or a run ends (``tui.runs``). Textual-free apart from the two widgets it updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fwlearn.lessons import recorded
from fwlearn.tui.widgets.exercise_panel import ExercisePanel
from fwlearn.tui.widgets.prose_pane import ProsePane
from fwlearn.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen


class LessonNumbers:
    """reference.json, read once per screen (the lesson does not change under it)."""

    def __init__(self, screen: LessonScreen) -> None:
        self.screen = screen
        self.record = recorded.load(screen.lesson.folder)

    @classmethod
    def attach(cls, screen: LessonScreen) -> LessonNumbers:
        """Make the screen's prose and exercise text render through this, and render them."""
        numbers = cls(screen)
        screen.query_one("#prose", ProsePane).numbers = numbers.render
        numbers.refresh()
        # The status bar shows the backend the app switched to: the numbers follow it.
        status = screen.query_one(StatusBar)
        screen.watch(status, "backend", lambda _backend: numbers.refresh(), init=False)
        return numbers

    def render(self, text: str) -> str:
        yours: dict[str, Any] = {
            side: run.result() for side, run in self.screen.session.runs.items()
        }
        return recorded.render_text(text, self.record, self.screen.fwapp.keras_backend, yours)

    def refresh(self) -> None:
        """Render again: the backend changed, or a run of the learner's ended."""
        self.screen.query_one("#prose", ProsePane).rerender()
        exercise = self.screen.session.lesson.exercise
        if exercise is not None:
            panel = self.screen.query_one(ExercisePanel)
            panel.task_text = self.render(exercise.task)
            panel.hint = self.render(exercise.hint or "")
