"""LessonScreen: prose, both sides' code side by side, live runs, and the exercise.

The screen composes the layout and routes: learner actions to the ``LessonSession`` (the rules,
no Textual), each side's events to its ``SidePane``, the shared ones to ``Results``, the
destructive actions to ``dialogs``. Keys and palette entries are tables in ``keys.py``.
Engine runs are consumed in one async worker per side (exclusive within its group, so a second
F5 replaces the first run rather than racing it). Nothing here imports torch/tensorflow/keras:
runs happen in child processes.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Static, Tabs

from fwlearn.frameworks import SIDES
from fwlearn.runstate import SideRun
from fwlearn.session import LessonSession
from fwlearn.tui import dialogs, history, versions, watch
from fwlearn.tui.edit_mode import EditMode
from fwlearn.tui.editor import edit_side
from fwlearn.tui.failing_lines import go_to_failing_line
from fwlearn.tui.keys import LESSON_BINDINGS, LESSON_PALETTE, key_enabled
from fwlearn.tui.numbers import LessonNumbers
from fwlearn.tui.results import Results, compose_results
from fwlearn.tui.runs import Runner
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.lesson_tabs import LessonTabs
from fwlearn.tui.widgets.prose_pane import ProsePane
from fwlearn.tui.widgets.side_pane import SidePane, marker_line
from fwlearn.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from fwlearn.tui.app import FwlearnApp

__all__ = ["NARROW_BELOW", "LessonScreen", "marker_line"]

NARROW_BELOW = 120  # side by side at 80x24, each code pane showed ~36 columns x 10 lines


class LessonScreen(Screen[None]):
    """One lesson. ``narrow`` flips the ``-narrow`` class; the .tcss turns columns into tabs."""

    BINDINGS: ClassVar[list[BindingType]] = list(LESSON_BINDINGS)  # the table is in keys.py

    narrow: reactive[bool] = reactive(False)
    tab: reactive[str] = reactive("keras")

    def __init__(self, lesson: Any) -> None:
        super().__init__(classes="-tab-keras")  # set on mount, it restyled the whole screen
        self.lesson = lesson
        self.session: LessonSession  # made in compose: it needs the app's store
        self.sides: dict[str, SidePane] = {}
        self.results: Results  # made on mount: it queries the widgets
        self.status: StatusBar
        self.runner = Runner(self)
        self.mode = EditMode(self)  # reading or editing mode

    @property
    def runs(self) -> dict[str, SideRun]:
        return self.session.runs

    @property
    def section_index(self) -> int:
        return self.session.section_index

    @property
    def fwapp(self) -> FwlearnApp:
        return self.app  # type: ignore[return-value]

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.session = LessonSession(self.lesson, self.fwapp.store)
        self.set_reactive(LessonScreen.narrow, self.app.size.width < NARROW_BELOW)
        self.set_class(self.narrow, "-narrow")  # before the children mount: later, it restyles all
        self.sides = {side: SidePane(side, self.session.code[side]) for side in SIDES}
        yield Static(id="lesson-title")
        yield ProsePane(id="prose")
        yield LessonTabs({side: pane.label for side, pane in self.sides.items()}, id="narrow-tabs")
        with Horizontal(id="editors"):
            yield from (pane.code for pane in self.sides.values())
        with Horizontal(id="bottom"):
            yield from (pane.output for pane in self.sides.values())
            yield from compose_results()
        yield StatusBar(id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.results = Results(self, self.session)
        self.numbers = LessonNumbers.attach(self)  # before the prose is first shown
        self.status = self.query_one(StatusBar)
        self.status.backend = self.fwapp.keras_backend
        self.status.versions = self.fwapp.installed_versions_line()
        for side, pane in self.sides.items():
            if problem := self.fwapp.framework_problem(self.session.framework(side)):
                pane.cannot_run(problem)
        versions.announce(self)  # the lesson's code changed since the learner edited it
        self.go_to_section(self.session.open())
        self._want_spares()
        self.set_interval(0.5, self.save_edits, name="save-edits")
        self.set_interval(0.5, self.runner.tick, name="elapsed")
        # Reading mode: one-key commands work at once; typing reaches code only after e/Enter/click.
        self.query_one("#prose", ProsePane).focus()

    def on_unmount(self) -> None:
        self.save_edits()
        self.fwapp.want_spares([])

    def on_resize(self) -> None:
        self.narrow = self.app.size.width < NARROW_BELOW

    def watch_narrow(self, narrow: bool) -> None:
        self.set_class(narrow, "-narrow")
        self.refresh_bindings()

    def watch_tab(self, old: str, new: str) -> None:
        if old != new:  # the first call, on mount, has nothing to change (classes= above)
            self.remove_class(f"-tab-{old}", update=False)  # one restyle of the screen, not two
            self.add_class(f"-tab-{new}")
        if self.editing and self.narrow and self.editing != new:
            self.mode.stop()  # its editor is hidden now: keys must not go on typing into it

    @on(Tabs.TabActivated, "#narrow-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id:
            self.tab = event.tab.id.removeprefix("tab-")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return key_enabled(self, action)  # which keys exist now: keys.py

    def action_next_tab(self) -> None:
        self.show_tab(self.query_one(LessonTabs).after(self.tab))

    def action_next_insight(self) -> None:
        """Cycle the results without a mouse (narrow: bring the Results tab forward too)."""
        self.results.next_tab()
        self.show_results()

    def show_tab(self, tab: str) -> None:
        """Switch the narrow layout's tab (Keras | PyTorch | Results)."""
        self.query_one("#narrow-tabs", Tabs).active = f"tab-{tab}"
        self.tab = tab

    def show_results(self) -> None:
        if self.narrow and self.tab != "results":
            self.show_tab("results")

    def go_to_section(self, index: int) -> None:
        """Show step ``index`` (-1 = the introduction): its prose, both editors at its marker."""
        title = self.session.go_to(index)
        self.query_one("#prose", ProsePane).show(self.session.prose())
        for pane in self.sides.values():
            pane.show_step(title)
        heading = f"{self.session.heading()} · F3/F2: next/prev step"
        self.query_one("#lesson-title", Static).update(heading)

    def action_section(self, delta: int) -> None:
        self.go_to_section(self.section_index + delta)

    # -- code, reading and editing mode (edit_mode.py) ------------------------------------------

    @on(CodePane.Edited)
    def _edited(self, event: CodePane.Edited) -> None:
        self.session.edited(event.side, event.text)

    def save_edits(self) -> None:
        """Write changed sides to the store (called every 0.5 s and when the screen closes)."""
        for side, pane in self.sides.items():
            self.session.edited(side, pane.text)
        self.session.save_edits()

    def reload_code(self, sides: tuple[str, ...]) -> None:
        """Push the session's code for ``sides`` into their editors (reset, solution, undo)."""
        for side in sides:
            self.sides[side].load(self.session.code[side])
            self.sides[side].show_step(self.session.section_title)
        self.results.show_check()

    @property
    def editing(self) -> str | None:
        """The side in editing mode; None in reading mode (edit_mode.py)."""
        return self.mode.side

    def action_edit(self) -> None:
        self.mode.start(self.mode.current_side())

    @on(CodePane.EditRequested)
    def _edit_requested(self, event: CodePane.EditRequested) -> None:
        self.mode.start(event.side)

    def action_stop_editing(self) -> None:
        self.mode.stop()

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        self.mode.focus_moved(event.widget)

    def action_maximize(self) -> None:
        """Full screen for the focused pane (the explanation when nothing is focused); Esc
        brings the layout back (Textual minimizes on Esc before any binding)."""
        prose = self.query_one("#prose", ProsePane)
        if not self.maximize(self.focused or prose):
            self.maximize(prose)

    def action_open_in_editor(self) -> None:
        """Ctrl+O: the current side in $VISUAL/$EDITOR, at the step's line (the cursor's, while
        editing); the app is suspended meanwhile, and any failure comes back as a message."""
        side = self.mode.current_side()
        pane = self.sides[side]
        line = pane.editor_line(self.editing == side, self.session.section_title)
        if edit_side(self.app, pane, f"{self.lesson.id}_{side}.py", line):
            self.save_edits()

    # -- destructive actions: each asks first and can be undone once (dialogs.py) ---------------

    def action_reset_side(self, side: str | None = None) -> None:
        dialogs.reset_side(self, side or self.mode.current_side())

    def action_reset_lesson(self) -> None:
        dialogs.reset_lesson(self)

    def action_take_solution(self, side: str | None = None) -> None:
        dialogs.take_solution(self, side or self.mode.current_side())

    def action_undo(self) -> None:
        dialogs.undo(self)

    action_go_to_error = go_to_failing_line  # g: the failing line, then each caller

    def action_hint(self) -> None:
        self.results.show_hint()
        self.show_results()

    def action_show_solution(self) -> None:
        dialogs.show_solution(self)

    def action_new_version(self) -> None:
        versions.show_new_version(self, self.mode.current_side())

    action_history, action_toggle_watch = history.open_history, watch.toggle  # H, w: keys.py

    # -- runs (runs.py) -------------------------------------------------------------------------

    def action_run(self, side: str) -> None:
        if self.start_run(side) and self.narrow and self.tab != "results":
            self.show_tab(side)  # narrow: show the log of the side that just started

    def action_run_both(self) -> None:
        for side in SIDES:
            self.start_run(side)

    def start_run(self, side: str) -> bool:
        return self.runner.start(side)  # False (and a note) when it cannot run

    def action_cancel(self) -> None:
        """Esc in reading mode (while editing, Esc only leaves the editor): cancel the focused
        side if it runs, else everything running."""
        if not self.runner.cancel_for(self.mode.focused_side(), or_all=True):
            raise SkipAction()

    def action_cancel_focused(self) -> None:
        """Ctrl+C cancels the running side you are on; otherwise it stays "copy"."""
        if not self.runner.cancel_for(self.mode.focused_side(), or_all=False):
            raise SkipAction()

    def action_cancel_all(self) -> None:
        self.runner.cancel_all()

    def action_toggle_framework_lines(self) -> None:
        self.sides[self.mode.current_side()].log.action_toggle_fold()

    def _want_spares(self) -> None:
        self.save_edits()  # the spares follow the code's framework as it is now
        self.fwapp.want_spares(self.session.run_needs(self.fwapp.keras_backend))

    def action_switch_backend(self) -> None:
        backend = self.fwapp.next_keras_backend()
        self._want_spares()
        self.status.backend = backend
        self.notify(f"Keras runs on the {backend} backend from the next run")

    def action_back(self) -> None:
        self.save_edits()
        self.app.pop_screen()

    def system_commands(self) -> list[tuple[str, str, Any]]:
        """The command palette's entries (keys.py), each running its action as a key would."""
        return [(c.title, c.help, partial(self.run_action, c.action)) for c in LESSON_PALETTE]
