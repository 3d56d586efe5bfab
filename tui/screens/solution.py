"""SolutionScreen: the exercise's solution as a diff against the learner's code, full screen.

The solution used to be appended to the Exercise pane, which at 80x24 showed its first two lines
and could not scroll. What a learner wants from it is what to change, so each side is a unified
diff (``difflib``, 3 lines of context) of *their current code* against the solution, with Python
colours kept and ``+``/``-`` lines tinted; the view scrolls by keys and wheel. ``t`` closes it
with the side, and the lesson screen takes that side's solution (it asks, and ``u`` undoes).

``NewVersionScreen`` is the same view for another question: the lesson's starting file changed
since the learner edited it (``tui/versions.py``), so the diff is their code against the new
shipped file, ``t`` takes that, and ``k`` keeps theirs.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import ClassVar

from rich.console import Group
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

CONTEXT = 3
ADDED = "on #0f3d1f"
REMOVED = "on #4a1414"
SAME = "Your code is already the solution: nothing to change."


def highlighted_lines(code: str) -> list[Text]:
    """``code`` highlighted as a whole (a string or docstring spanning lines stays coloured),
    one ``Text`` per line. ANSI colours, so the terminal's palette and NO_COLOR apply."""
    text = Syntax(code, "python", theme="ansi_dark").highlight(code)
    text.rstrip()
    lines = text.split("\n", allow_blank=True)
    return list(lines)[: len(code.splitlines())]


def diff_lines(mine: str, solution: str, other: str = "solution") -> list[Text]:
    """A unified diff of ``mine`` → ``solution``, one styled ``Text`` per line: hunk headers
    (naming the target ``other``), then ``  ``/``- ``/``+ `` and the highlighted code."""
    a, b = mine.splitlines(), solution.splitlines()
    a_hl, b_hl = highlighted_lines(mine), highlighted_lines(solution)
    out: list[Text] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        first, last = group[0], group[-1]
        out.append(
            Text(
                f"@@ your lines {first[1] + 1}-{last[2]} · {other} lines {first[3] + 1}-{last[4]} @@",
                style="bold cyan",
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(Text("  ") + line for line in b_hl[j1:j2])
                continue
            if tag in ("replace", "delete"):
                out.extend(_marked("- ", line, REMOVED) for line in a_hl[i1:i2])
            if tag in ("replace", "insert"):
                out.extend(_marked("+ ", line, ADDED) for line in b_hl[j1:j2])
    return out


def _marked(sign: str, line: Text, background: str) -> Text:
    marked = Text(sign, style="bold") + line
    marked.stylize(background)
    return marked


class SolutionScreen(Screen[str | None]):
    """One tab per side of the exercise; dismisses with the side to take, or None."""

    OTHER = "solution"  # what the diff leads to, in its hunk headers
    SAME = SAME

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,s", "close", "Close"),
        Binding("t", "take", "Take into editor"),
        # Priority: the focused view would scroll sideways, and its lines are wrapped anyway.
        Binding("left,right", "other_side", "Other side", priority=True),
        Binding("w", "whole", "Whole file/diff"),
    ]
    DEFAULT_CSS = """
    SolutionScreen #solution-title {
        height: 1;
        padding: 0 1;
        background: $primary;
        color: $text;
        text-style: bold;
    }
    SolutionScreen #solution-sides, SolutionScreen ContentSwitcher { height: 1fr; }
    SolutionScreen TabPane { height: 1fr; padding: 0; }
    SolutionScreen .solution-view { height: 1fr; padding: 0 1; }
    SolutionScreen .solution-view:focus { background-tint: $foreground 3%; }
    """

    def __init__(
        self, title: str, sides: Mapping[str, tuple[str, str, str]], initial: str | None = None
    ) -> None:
        """``sides``: side → (label, the learner's code, the solution); ``initial``: the side
        shown first (default: the first)."""
        super().__init__()
        self.title_text = title
        self.sides = dict(sides)
        self.initial = f"solution-{initial}" if initial in self.sides else ""
        self.whole = False

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="solution-title")
        with TabbedContent(id="solution-sides", initial=self.initial):
            for side, (label, _mine, _solution) in self.sides.items():
                with TabPane(label, id=f"solution-{side}"):
                    view = VerticalScroll(classes="solution-view", id=f"view-{side}")
                    view.can_focus = True
                    with view:
                        yield Static(id=f"diff-{side}")
        yield Footer()

    def on_mount(self) -> None:
        self._render_all()
        self._focus_view()

    def _render_all(self) -> None:
        for side, (_label, mine, solution) in self.sides.items():
            if self.whole:
                body: list[Text] = [Text("  ") + line for line in highlighted_lines(solution)]
            else:
                body = diff_lines(mine, solution, self.OTHER) or [Text(self.SAME, style="bold")]
            self.query_one(f"#diff-{side}", Static).update(Group(*body))

    def current_side(self) -> str:
        active = self.query_one("#solution-sides", TabbedContent).active
        return active.removeprefix("solution-") if active else next(iter(self.sides))

    def _focus_view(self) -> None:
        self.query_one(f"#view-{self.current_side()}", VerticalScroll).focus()

    def on_tabbed_content_tab_activated(self) -> None:
        self.call_after_refresh(self._focus_view)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No "Other side" key when the exercise has one side."""
        return action != "other_side" or len(self.sides) > 1

    def action_other_side(self) -> None:
        names = list(self.sides)
        index = names.index(self.current_side())
        other = names[(index + 1) % len(names)]
        self.query_one("#solution-sides", TabbedContent).active = f"solution-{other}"

    def action_whole(self) -> None:
        self.whole = not self.whole
        self._render_all()

    def action_take(self) -> None:
        self.dismiss(self.current_side())

    def action_close(self) -> None:
        self.dismiss(None)


class NewVersionScreen(SolutionScreen):
    """The lesson's new starting file as changes to the learner's edit of the old one (one tab
    per outdated side): ``t`` dismisses with the side to take it into (the lesson screen asks;
    ``u`` undoes), ``k`` keeps the learner's code (``on_keep(side)``) and closes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "take", "Take new version"),
        Binding("k", "keep", "Keep mine"),
    ]
    OTHER = "new version"
    SAME = "Your code is the same as the lesson's new version."

    def __init__(
        self,
        title: str,
        sides: Mapping[str, tuple[str, str, str]],
        on_keep: Callable[[str], None],
        initial: str | None = None,
    ) -> None:
        """``sides``: side → (label, the learner's code, the new shipped file)."""
        super().__init__(title, sides, initial)
        self.on_keep = on_keep

    def action_keep(self) -> None:
        self.on_keep(self.current_side())
        self.dismiss(None)
