"""ExercisePanel: the task, the hint once asked for, the latest check, and where the solution is.

The task and hint are lesson text about Python, not Markdown: ``x**2`` or ``__getitem__`` read as
emphasis markers would lose their stars and underscores ("y = x2", "getitem"). So they are
escaped (``literal``) except inside backtick spans, which still show as code. The solution itself
is not here: a half-height pane shows two lines of it at 80x24; ``SolutionScreen`` shows it whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from textual.reactive import reactive
from textual.widgets import Markdown

from fwlearn.session import CheckState

# Inline code spans (CommonMark: a run of backticks, closed by a run of the same length).
CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# ASCII punctuation that means something to Markdown; a backslash makes each one literal.
MARKUP = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def literal(text: str) -> str:
    """``text`` as Markdown that renders exactly as written, backtick spans as inline code."""
    out: list[str] = []
    last = 0
    for match in CODE_SPAN.finditer(text):
        out.append(MARKUP.sub(r"\\\1", text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(MARKUP.sub(r"\\\1", text[last:]))
    return "".join(out)


def check_markdown(check: CheckState, sides: Iterable[str], labels: dict[str, str]) -> str:
    """The check as the panel shows it: the verdict once decided, then each side's lines
    (their messages carry the run's fact names and values: text, not Markdown)."""
    if not check.shown:
        return ""
    lines = []
    for side in sides:
        verdict = check.sides.get(side)
        if verdict is None:
            lines.append(f"- {labels.get(side, side)}: not run yet")
        else:
            lines.extend(f"- {literal(message)}" for message in verdict.messages)
    lines.extend(f"- {literal(message)}" for message in check.others)
    heading = ""
    if check.overall is not None:
        heading = "**Check passed.**" if check.overall else "**Check not passed yet.**"
    return f"{heading}\n\n" + "\n".join(lines)


class ExercisePanel(Markdown):
    """Rendered from reactives the screen sets; it never decides anything itself.

    The screen sets several of them at once (opening a lesson sets four, a run's end two), and
    each rebuild of the Markdown remounts its blocks and lays the screen out again. So a change
    asks for one rebuild after the current message, and a rebuild that would show the same text
    is skipped: opening a lesson rebuilt the panel six times (five watchers at mount, then the
    task), which was ~10% of the CPU of the app's Pilot tests (cProfile, 2026-12-02)."""

    # Not ``task``: that name is MessagePump.task (the widget's asyncio task).
    task_text: reactive[str] = reactive("", init=False)
    hint: reactive[str] = reactive("", init=False)
    hint_shown: reactive[bool] = reactive(False, init=False)
    check: reactive[str] = reactive("", init=False)
    solution: reactive[str] = reactive("", init=False)  # a note on where to read it (Markdown)

    EMPTY = "*No exercise in this lesson.*"  # what _render_markdown() says before any is set

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(self.EMPTY, id=id)
        self._shown = self.EMPTY
        self._pending = False

    def _render_markdown(self) -> str:
        parts = [f"**Exercise.** {literal(self.task_text)}" if self.task_text else self.EMPTY]
        if self.hint_shown and self.hint:
            parts.append(f"**Hint.** {literal(self.hint)}")
        elif self.hint:
            parts.append("*Press `h` for a hint.*")
        if self.check:
            parts.append(self.check)
        if self.solution:
            parts.append(self.solution)
        return "\n\n".join(parts)

    def _refresh_text(self) -> None:
        if not self._pending:
            self._pending = True
            self.call_later(self._rebuild)

    def _rebuild(self) -> None:
        self._pending = False
        text = self._render_markdown()
        if text != self._shown:
            self._shown = text
            self.update(text)

    def watch_task_text(self) -> None:
        self._refresh_text()

    def watch_hint(self) -> None:
        self._refresh_text()

    def watch_hint_shown(self) -> None:
        self._refresh_text()

    def watch_check(self) -> None:
        self._refresh_text()

    def watch_solution(self) -> None:
        self._refresh_text()
