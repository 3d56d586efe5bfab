"""ExercisePanel: the task, the hint once asked for, the latest check, and the solution."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Markdown


class ExercisePanel(Markdown):
    """Rendered from reactives the screen sets; it never decides anything itself."""

    task: reactive[str] = reactive("")
    hint: reactive[str] = reactive("")
    hint_shown: reactive[bool] = reactive(False)
    check: reactive[str] = reactive("")
    solution: reactive[str] = reactive("")

    def _render_markdown(self) -> str:
        parts = [f"**Exercise.** {self.task}" if self.task else "*No exercise in this lesson.*"]
        if self.hint_shown and self.hint:
            parts.append(f"**Hint.** {self.hint}")
        elif self.hint:
            parts.append("*Press `h` for a hint.*")
        if self.check:
            parts.append(self.check)
        if self.solution:
            parts.append(self.solution)
        return "\n\n".join(parts)

    def _refresh_text(self) -> None:
        self.update(self._render_markdown())

    def watch_task(self) -> None:
        self._refresh_text()

    def watch_hint_shown(self) -> None:
        self._refresh_text()

    def watch_check(self) -> None:
        self._refresh_text()

    def watch_solution(self) -> None:
        self._refresh_text()
