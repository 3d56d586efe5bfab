"""LessonScreen: prose, both sides' code side by side, live runs, and the exercise.

Ownership (STYLE.md, "attributes down, messages up"): this screen owns the lesson's state (the
two ``SideRun``s, the current section, the exercise) and pushes it down to widgets; widgets post
messages up (``CodePane.Edited``). Engine runs are consumed in one async worker per side
(exclusive within its group, so a second F5 replaces the first run rather than racing it).
Nothing here imports torch/tensorflow/keras: runs happen in child processes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Static,
    Tab,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)
from textual.worker import Worker, WorkerState

from fwlearn.engine import (
    End,
    Error,
    Event,
    Metric,
    Output,
    Prediction,
    Run,
    Start,
    UsageError,
    Warning,
)
from fwlearn.lessons import section_line
from fwlearn.runstate import SideRun
from fwlearn.session import SIDES, LessonSession
from fwlearn.tui.editor import edit_externally
from fwlearn.tui.keys import LESSON_BINDINGS
from fwlearn.tui.results_tabs import CHART, EXERCISE, PREDICTIONS, ResultsTabs
from fwlearn.tui.screens.confirm import ConfirmScreen
from fwlearn.tui.widgets.code_pane import LABELS, CodePane
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.exercise_panel import ExercisePanel, check_markdown
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.predictions_table import PredictionsTable
from fwlearn.tui.widgets.prose_pane import ProsePane
from fwlearn.tui.widgets.run_log import RunLog
from fwlearn.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from fwlearn.tui.app import FwlearnApp

NARROW_BELOW = 120  # FACTS.md: at 80 columns each side would get ~36 columns of code
SAVE_INTERVAL = 0.5
YIELD_EVERY = 0.02  # hand the event loop back while draining a burst of engine events


class LessonScreen(Screen[None]):
    """One lesson. ``narrow`` flips the ``-narrow`` class; the .tcss turns columns into tabs."""

    # The table, the footer's order and the help's rows live in keys.py.
    BINDINGS: ClassVar[list[BindingType]] = list(LESSON_BINDINGS)

    narrow: reactive[bool] = reactive(False)
    tab: reactive[str] = reactive("keras")

    def __init__(self, lesson: Any) -> None:
        super().__init__()
        self.lesson = lesson
        self.session: LessonSession  # made on mount: it needs the app's store
        self.editing: str | None = None  # the side in editing mode; None: reading mode
        self._last_side = "keras"  # where side commands (r, t, Ctrl+O, e) act without a focus
        self._panes: dict[str, CodePane] = {}  # kept: save_edits runs after unmount too

    @property
    def runs(self) -> dict[str, SideRun]:
        return self.session.runs

    @property
    def _active(self) -> dict[str, Run]:
        return self.session.active

    @property
    def section_index(self) -> int:
        return self.session.section_index

    @property
    def solution_shown(self) -> bool:
        return self.session.solution_shown

    @property
    def fwapp(self) -> FwlearnApp:
        return self.app  # type: ignore[return-value]

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self.session = LessonSession(self.lesson, self.fwapp.store)
        yield Static(id="lesson-title")
        yield ProsePane(id="prose")
        yield Tabs(
            Tab("Keras", id="tab-keras"),
            Tab("PyTorch", id="tab-pytorch"),
            Tab("Results", id="tab-results"),
            id="narrow-tabs",
        )
        with Horizontal(id="editors"):
            for side in SIDES:
                self._panes[side] = CodePane(side, self.session.code[side], id=f"code-{side}")
                yield self._panes[side]
        with Horizontal(id="bottom"):
            for side in SIDES:
                log = RunLog(id=f"log-{side}", classes=f"-{side}")
                log.border_title = f"{LABELS[side]} output"
                yield log
            with TabbedContent(id="insights", initial="pane-chart"):
                with TabPane("Chart", id="pane-chart"):
                    yield MetricsChart(id="chart")
                with TabPane("Compare", id="pane-compare"):
                    yield ComparisonPanel(id="compare")
                with TabPane("Predictions", id="pane-predictions"):
                    yield PredictionsTable(id="predictions")
                with TabPane("Exercise", id="pane-exercise"):
                    yield ExercisePanel(id="exercise")
        yield StatusBar(id="status")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.add_class("-tab-keras")
        self.narrow = self.app.size.width < NARROW_BELOW
        exercise = self.lesson.exercise
        panel = self.query_one(ExercisePanel)
        if exercise is not None:
            panel.hint = exercise.hint or ""
            panel.task_text = exercise.task
        else:
            panel.task_text = ""
        status = self.query_one(StatusBar)
        status.backend = self.fwapp.keras_backend
        status.versions = self.fwapp.installed_versions_line()
        for side in SIDES:
            problem = self._side_problem(side)
            if problem:
                self.query_one(f"#code-{side}", CodePane).note = "cannot run here"
                self.query_one(f"#log-{side}", RunLog).push([f"! {problem}"])
        self.go_to_section(self.session.open())
        self._want_spares()
        self.set_interval(SAVE_INTERVAL, self.save_edits, name="save-edits")
        self.set_interval(0.5, self._tick, name="elapsed")
        # Reading mode: the explanation has the focus, so one-key commands work at once and
        # nothing typed lands in the code until the learner asks to edit (e / Enter / a click).
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
        self.remove_class(f"-tab-{old}")
        self.add_class(f"-tab-{new}")
        if self.editing and self.narrow and self.editing != new:
            self.stop_editing()  # its editor is hidden now: keys must not go on typing into it

    @on(Tabs.TabActivated, "#narrow-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id:
            self.tab = event.tab.id.removeprefix("tab-")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Which keys exist now (the footer shows only these): ``Next tab`` in the narrow
        layout, ``Edit`` in reading mode, Esc's "Done" while editing and its "Cancel" while a
        run goes in reading mode."""
        if action == "next_tab":
            return self.narrow
        if action == "edit":
            return self.editing is None
        if action == "stop_editing":
            return self.editing is not None
        if action == "cancel":
            return self.editing is None and bool(self._active)
        return True

    def action_next_tab(self) -> None:
        order = [*SIDES, "results"]
        self.show_tab(order[(order.index(self.tab) + 1) % len(order)])

    def action_next_insight(self) -> None:
        """Cycle Chart → Compare → Predictions → Exercise without a mouse (in the narrow
        layout this also brings the Results tab to the front)."""
        insights = self.query_one("#insights", TabbedContent)
        panes = [pane.id for pane in insights.query(TabPane) if pane.id]
        current = panes.index(insights.active) if insights.active in panes else -1
        insights.active = panes[(current + 1) % len(panes)]
        if self.narrow and self.tab != "results":
            self.show_tab("results")

    def show_tab(self, tab: str) -> None:
        """Switch the narrow layout's tab (Keras | PyTorch | Results)."""
        self.query_one("#narrow-tabs", Tabs).active = f"tab-{tab}"
        self.tab = tab

    # -- sections -------------------------------------------------------------------------------

    def go_to_section(self, index: int) -> None:
        """Show section ``index`` (-1 = the introduction) in the prose and scroll both editors
        to its ``# %%`` marker, found in the *current* text so it survives edits."""
        title = self.session.go_to(index)
        self.query_one("#prose", ProsePane).show(self.session.prose())
        for side in SIDES:
            self._show_step_in(side)
        count = len(self.session.titles)
        step = f"step {self.section_index + 1}/{count}: {title}" if title else "introduction"
        self.query_one("#lesson-title", Static).update(
            f"{self.lesson.order}. {self.lesson.title} · {step} · F3/F2: next/prev step"
        )

    def _show_step_in(self, side: str) -> None:
        """Scroll ``side``'s editor to the current step's ``# %%`` marker (if still there)."""
        title = self.session.section_title
        pane = self._panes[side]
        line = marker_line(pane.text, title) if title else 1
        if line:
            pane.show_line(line)

    def action_section(self, delta: int) -> None:
        self.go_to_section(self.section_index + delta)

    # -- code and edits -------------------------------------------------------------------------

    @on(CodePane.Edited)
    def _edited(self, event: CodePane.Edited) -> None:
        self.session.edited(event.side, self._panes[event.side].text)

    def save_edits(self) -> None:
        """Write changed sides to the store (called every 0.5 s and when the screen closes)."""
        for side, pane in self._panes.items():
            self.session.edited(side, pane.text)
        self.session.save_edits()

    def _load_code(self, sides: tuple[str, ...]) -> None:
        """Push the session's code for ``sides`` into their editors (reset, solution, undo)."""
        for side in sides:
            if self._panes[side].text != self.session.code[side]:
                self._panes[side].load(self.session.code[side])
            self._show_step_in(side)

    def focused_side(self) -> str | None:
        """The side whose editor has focus, else (narrow) the side whose tab is shown."""
        node = self.focused
        while node is not None:
            if isinstance(node, CodePane):
                return node.side
            node = node.parent  # type: ignore[assignment]
        if self.narrow and self.tab in SIDES:
            return self.tab
        return None

    def current_side(self) -> str:
        """The side a side command (e, r, t, Ctrl+O) acts on: the focused or shown one, else
        the one the learner was in last (wide layout, focus on the explanation or a log)."""
        return self.focused_side() or self._last_side

    # -- reading and editing mode ---------------------------------------------------------------

    def action_edit(self) -> None:
        self.start_editing(self.current_side())

    def start_editing(self, side: str) -> None:
        """Editing mode for ``side``: its editor takes printable keys and Tab; the other stays
        read-only. The explanation shrinks (``-editing``) to give the code the room."""
        if self.narrow and self.tab != side:
            self.show_tab(side)
        self.editing = side
        self._last_side = side
        for name in SIDES:
            self.query_one(f"#code-{name}", CodePane).editing = name == side
        self.add_class("-editing")
        self.query_one(f"#editor-{side}", TextArea).focus()
        self.refresh_bindings()

    def action_stop_editing(self) -> None:
        self.stop_editing()

    def stop_editing(self) -> None:
        """Back to reading mode; the focus stays on the (now read-only) code, so Enter or e
        goes on editing where the cursor is. Runs are not touched."""
        self.editing = None
        for name in SIDES:
            self.query_one(f"#code-{name}", CodePane).editing = False
        self.remove_class("-editing")
        self.save_edits()
        self.refresh_bindings()

    @on(CodePane.EditRequested)
    def _edit_requested(self, event: CodePane.EditRequested) -> None:
        self.start_editing(event.side)

    @on(events.DescendantFocus)
    def _focus_moved(self, event: events.DescendantFocus) -> None:
        """Leaving the edited code by any means (a click elsewhere, a palette command) ends
        editing mode, so the next letter is a command again; focusing code remembers its side."""
        side = next((n.side for n in event.widget.ancestors if isinstance(n, CodePane)), None)
        if side is not None:
            self._last_side = side
        if self.editing is not None and side != self.editing:
            self.stop_editing()

    def action_maximize(self) -> None:
        """Full screen for the focused pane (the explanation when nothing is focused); Esc
        brings the layout back (Textual minimizes on Esc before any binding)."""
        widget = self.focused or self.query_one("#prose", ProsePane)
        if not self.maximize(widget):
            self.maximize(self.query_one("#prose", ProsePane))

    # -- destructive actions: each asks first and can be undone once ----------------------------

    def _confirm(self, question: str, then: Callable[[], None]) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.app.push_screen(ConfirmScreen(question), answered)

    def _undoable(self, message: str) -> None:
        self._load_code(SIDES)
        self.notify(f"{message} Press u to undo.", markup=False)

    def action_undo(self) -> None:
        self.save_edits()
        undo = self.session.undo()
        if undo is None:
            self.notify("Nothing to undo.")
            return
        self._load_code(undo.sides)
        self._show_check()
        self.notify(f"Undone: {undo.what}.")

    def action_reset_side(self, side: str | None = None) -> None:
        side = side or self.current_side()
        original = self.lesson.files[side].source
        if self.query_one(f"#code-{side}", CodePane).text == original:
            self.notify(f"The {LABELS[side]} code is already the original.")
            return
        self._confirm(
            f"Reset the {LABELS[side]} code to the lesson's original? Your version is replaced "
            "(u brings it back).",
            lambda: self.reset_side(side),
        )

    def reset_side(self, side: str) -> None:
        """Bring back the lesson's original code for ``side`` and forget the saved edit. A
        passed exercise stops counting as done when its original code is known to fail."""
        self.save_edits()
        self.session.reset_side(side, f"reset of the {LABELS[side]} code")
        self._undoable(f"{LABELS[side]} code reset to the original.")

    def action_reset_lesson(self) -> None:
        self._confirm(
            f"Start {self.lesson.title!r} over? Both sides go back to the original code, and "
            "its progress and run history are forgotten (u brings them back).",
            self.reset_lesson,
        )

    def reset_lesson(self) -> None:
        """What ``fwlearn progress --reset LESSON`` does, plus the editors, undoable once."""
        self.save_edits()
        self.session.reset_lesson(f"starting {self.lesson.title!r} over")
        self._show_check()
        self._undoable(f"{self.lesson.title!r} starts over: original code, no progress.")

    def action_take_solution(self, side: str | None = None) -> None:
        """Replace a side's code with the exercise's solution (asks first; u undoes). The
        solution view's key calls this; ``side`` defaults to the current side when the
        exercise touches it, else to the exercise's first side."""
        exercise = self.lesson.exercise
        if exercise is None:
            self.notify("This lesson has no exercise, so no solution.")
            return
        side = side or self.current_side()
        if side not in exercise.sides:
            side = exercise.sides[0]

        def take() -> None:
            self.save_edits()
            self.session.take_solution(side, f"taking the solution into the {LABELS[side]} code")
            self._undoable(f"The solution replaced your {LABELS[side]} code.")

        self._confirm(
            f"Replace your {LABELS[side]} code with the solution? (u brings yours back)", take
        )

    # -- external editor ------------------------------------------------------------------------

    def action_open_in_editor(self) -> None:
        """Suspend the app, edit the current side in $VISUAL/$EDITOR at the step's line (the
        cursor's, while editing), load the result. Any failure comes back as a message."""
        side = self.current_side()
        pane = self._panes[side]
        if self.editing == side:
            line = pane.editor.cursor_location[0] + 1
        else:
            title = self.session.section_title
            line = (marker_line(pane.text, title) if title else None) or 1
        edited = edit_externally(self.app, pane.text, f"{self.lesson.id}_{side}.py", line)
        if edited.problem:
            timeout = self.app.NOTIFICATION_TIMEOUT if edited.usage else 10
            self.notify(
                edited.problem, title="Editor", severity="error", timeout=timeout, markup=False
            )
            return
        if edited.text is not None and edited.text != pane.text:
            pane.load(edited.text)
            pane.show_line(line)
            self.save_edits()
            self.notify(f"{LABELS[side]} code updated from {edited.editor}.")

    # -- runs -----------------------------------------------------------------------------------

    def _side_problem(self, side: str) -> str | None:
        return self.fwapp.framework_problem(self.session.framework(side))

    def action_run(self, side: str) -> None:
        if self.start_run(side) and self.narrow and self.tab != "results":
            self.show_tab(side)  # narrow: show the log of the side that just started

    def action_run_both(self) -> None:
        for side in SIDES:
            self.start_run(side)

    def start_run(self, side: str) -> bool:
        """Start ``side``'s code as it is in the editor; False (and a note) if it cannot run."""
        if self.runs[side].running:
            self.notify(f"{LABELS[side]} is already running (Esc cancels)")
            return False
        pane = self._panes[side]
        self.save_edits()  # the run gets the code as it is in the editor now
        log = self.query_one(f"#log-{side}", RunLog)
        framework = self.session.framework(side)
        problem = self.fwapp.framework_problem(framework)
        if problem:
            log.reset()
            log.push([f"! {problem}"])
            self.notify(problem, title=f"{LABELS[side]} cannot run", severity="warning")
            return False
        try:
            run = Run(self.session.spec(side, self.fwapp.keras_backend), pool=self.fwapp.pool)
        except UsageError as exc:
            log.push([f"✗ {exc}"])
            return False
        self.session.begin(side, run)
        self.refresh_bindings()  # Esc's "Cancel" shows in the footer while a run goes
        log.reset()
        backend = f" on {self.fwapp.keras_backend}" if framework == "keras" else ""
        log.push([f"▶ {LABELS[side]}{backend}: starting…"])
        pane.note = "running"
        pane.editor.selection = pane.editor.selection  # drop a previous error mark's focus
        if len(self._active) == 1:  # no other run going: a tab picked before no longer holds
            self.results_tabs.runs_began()
        self._tick()
        self.run_worker(
            self._consume(side, run),
            name=f"run-{side}",
            group=f"run-{side}",
            exclusive=True,
            exit_on_error=False,
        )
        return True

    @cached_property
    def results_tabs(self) -> ResultsTabs:
        """Which Results tab a run brings forward (never away from the learner's pick)."""
        return ResultsTabs.attach(self)

    async def _consume(self, side: str, run: Run) -> None:
        """Drain one run's events on the UI loop; widgets batch their own repaints."""
        last_yield = time.monotonic()
        try:
            async for event in run.events():
                self._apply(side, event)
                now = time.monotonic()
                if now - last_yield > YIELD_EVERY:
                    await asyncio.sleep(0)
                    last_yield = time.monotonic()
        finally:
            self.session.ended(side)
            self.refresh_bindings()  # Esc's "Cancel" leaves the footer
        self._finished(side)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: an engine bug must not take the app down."""
        worker = event.worker
        if not worker.name.startswith("run-"):
            return
        side = worker.name.removeprefix("run-")
        if event.state == WorkerState.ERROR and side in self.runs:
            self.session.failed(side)
            log = self.query_one(f"#log-{side}", RunLog)
            log.push([f"✗ fwlearn could not run this: {worker.error!r}"])
            self.query_one(f"#code-{side}", CodePane).note = "failed to start"
            self._tick()

    def _apply(self, side: str, event: Event) -> None:
        run = self.session.apply(side, event)
        log = self.query_one(f"#log-{side}", RunLog)
        if isinstance(event, Output):
            if event.partial:
                log.set_partial(event.lines[0] if event.lines else "")
            else:
                log.push(event.lines)
        elif isinstance(event, Metric):
            if event.step is None:
                chart = self.query_one(MetricsChart)
                for metric in ("loss", "accuracy"):
                    points = run.series(metric)
                    if points:
                        chart.series[(side, metric)] = points
                chart.mark_dirty()
                self.results_tabs.offer(CHART, over_content=True)
        elif isinstance(event, Start):
            status = self.query_one(StatusBar)
            status.device = f"device: {describe_device(event.device)}"
            if event.keras_backend:
                status.backend = event.keras_backend
            status.sandbox = str(event.limits.get("sandbox") or "")
            log.push([describe_limits(event.limits)])
        elif isinstance(event, Prediction):
            self.query_one(PredictionsTable).show(side, list(event.rows))
            self.results_tabs.offer(PREDICTIONS)
        elif isinstance(event, Warning):
            log.push([f"! {event.message}"])
        elif isinstance(event, Error):
            # The traceback itself is already in the log: the snippet printed it to stderr.
            # The summary is pinned last: the traceback arriving after it must not hide it.
            where = f" (line {event.line})" if event.line else ""
            log.pin(f"✗ {event.kind}{where}: {event.message}")
            if event.line:
                self.query_one(f"#code-{side}", CodePane).mark_line(event.line)
        elif isinstance(event, End):
            log.push([f"── {event.status} in {event.wall:.2f} s"])

    def _finished(self, side: str) -> None:
        """Record the run, check the exercise, refresh the comparison."""
        run = self.runs[side]
        self.query_one(f"#log-{side}", RunLog).flush_now()
        self._panes[side].note = f"{run.state} in {run.elapsed:.1f} s"
        finished = self.session.finish(side)
        self._show_check()
        if finished.solved:
            self.results_tabs.offer(EXERCISE, over_content=True)
        if finished.newly_done:
            self.notify(f"Lesson {self.lesson.title!r} done!", title="Well done")
        self.query_one(ComparisonPanel).show(self.runs["keras"], self.runs["pytorch"])
        self.results_tabs.run_ended()
        self._tick()

    def _show_check(self) -> None:
        """Push the session's exercise check (and where the solution is) to the panel."""
        exercise = self.lesson.exercise
        if exercise is None:
            return
        panel = self.query_one(ExercisePanel)
        panel.check = check_markdown(self.session.check, exercise.sides, LABELS)
        if self.session.check.overall:
            self._show_solution()

    def action_cancel(self) -> None:
        """Esc in reading mode (while editing, Esc only leaves the editor): cancel the focused
        side if it runs, else everything running."""
        side = self.focused_side()
        if side and side in self._active:
            self.cancel(side)
        elif self._active:
            for name in list(self._active):
                self.cancel(name)
        else:
            raise SkipAction()

    def action_cancel_focused(self) -> None:
        """Ctrl+C cancels the running side you are on; otherwise it stays "copy"."""
        side = self.focused_side()
        if side is None and len(self._active) == 1:
            side = next(iter(self._active))
        if side and side in self._active:
            self.cancel(side)
        else:
            raise SkipAction()

    def cancel(self, side: str) -> None:
        run = self._active.get(side)
        if run is not None:
            run.cancel()
            self.query_one(f"#log-{side}", RunLog).push(["! cancelling…"])

    def _tick(self) -> None:
        status = self.query_one(StatusBar)
        for side in SIDES:
            run = self.runs[side]
            text = run.state
            if run.running:
                text = f"running {run.elapsed:.1f} s"
            elif run.end is not None:
                text = f"{run.state} {run.elapsed:.1f} s"
            setattr(status, f"{side}_state", text)
            if run.running:
                self.query_one(f"#code-{side}", CodePane).note = f"running {run.elapsed:.0f} s"

    # -- exercise -------------------------------------------------------------------------------

    def action_hint(self) -> None:
        panel = self.query_one(ExercisePanel)
        panel.hint_shown = True
        self.query_one("#insights", TabbedContent).active = "pane-exercise"
        if self.narrow:
            self.show_tab("results")

    def action_show_solution(self) -> None:
        """Asks once; then the solution opens full screen as a diff against the current code
        (``SolutionScreen``), whose ``t`` takes it into the editor."""
        if self.lesson.exercise is None:
            self.query_one("#insights", TabbedContent).active = "pane-exercise"
            return
        if self.solution_shown:
            self._open_solution()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._show_solution()
                self._open_solution()

        self.app.push_screen(
            ConfirmScreen("Show the solution? Trying first teaches more."), answered
        )

    def _open_solution(self) -> None:
        from fwlearn.tui.screens.solution import SolutionScreen

        exercise = self.lesson.exercise
        if exercise is None:
            return
        sides = {
            side: (
                LABELS[side],
                self.query_one(f"#code-{side}", CodePane).text,
                exercise.solution_source(side),
            )
            for side in exercise.sides
        }
        title = f"{self.lesson.order}. {self.lesson.title} · solution, as changes to your code"

        def taken(side: str | None) -> None:
            if side:
                self.action_take_solution(side)  # asks first; u undoes it

        self.app.push_screen(SolutionScreen(title, sides), taken)

    def _show_solution(self) -> None:
        if self.lesson.exercise is None:
            return
        self.session.solution_shown = True
        self.query_one(
            ExercisePanel
        ).solution = (
            "**Solution:** press `s` to read it, as changes to your code (`t` there takes it)."
        )

    # -- other actions --------------------------------------------------------------------------

    def _want_spares(self) -> None:
        for side, pane in self._panes.items():
            self.session.edited(side, pane.text)
        self.fwapp.want_spares(self.session.framework(side) for side in SIDES)

    def action_switch_backend(self) -> None:
        backend = self.fwapp.next_keras_backend()
        self._want_spares()
        self.query_one(StatusBar).backend = backend
        self.notify(f"Keras runs on the {backend} backend from the next run")

    def action_back(self) -> None:
        self.save_edits()
        self.app.pop_screen()

    def system_commands(self) -> list[tuple[str, str, Any]]:
        """Entries for the command palette (title, help, callback)."""
        return [
            ("Run Keras", "run the Keras side (F5)", lambda: self.start_run("keras")),
            ("Run PyTorch", "run the PyTorch side (F6)", lambda: self.start_run("pytorch")),
            ("Run both", "run both sides at once (F7)", self.action_run_both),
            ("Cancel runs", "stop whatever is running", self._cancel_all),
            ("Next step", "both editors to the next section", lambda: self.action_section(1)),
            ("Previous step", "both editors to the previous one", lambda: self.action_section(-1)),
            ("Show hint", "the exercise hint", self.action_hint),
            ("Show solution", "asks first", self.action_show_solution),
            ("Edit code", "editing mode for the current side (e)", self.action_edit),
            (
                "Reset Keras code",
                "back to the original (asks)",
                lambda: self.action_reset_side("keras"),
            ),
            (
                "Reset PyTorch code",
                "back to the original (asks)",
                lambda: self.action_reset_side("pytorch"),
            ),
            ("Start the lesson over", "code and progress (asks; R)", self.action_reset_lesson),
            ("Take the solution", "into the current side (asks; t)", self.action_take_solution),
            ("Undo", "the last reset or taken solution (u)", self.action_undo),
            ("Read full screen", "the focused pane, Esc returns (m)", self.action_maximize),
            (
                "Open in $EDITOR",
                "edit the current side outside (Ctrl+O)",
                self.action_open_in_editor,
            ),
            ("Switch Keras backend", "tensorflow / torch", self.action_switch_backend),
        ]

    def _cancel_all(self) -> None:
        for side in list(self._active):
            self.cancel(side)


def marker_line(text: str, title: str | None) -> int | None:
    """1-based line of the ``# %% title`` marker in ``text`` (None when the learner removed it)."""
    return section_line(text, title)


def describe_limits(limits: dict[str, Any]) -> str:
    """One log line with the limits this run is under, so a stopped run is no surprise."""
    parts = []
    if limits.get("timeout_s"):
        parts.append(f"{limits['timeout_s']:g} s")
    if limits.get("memory_mb"):
        parts.append(f"{limits['memory_mb']} MB")
    if limits.get("max_processes"):
        parts.append(f"{limits['max_processes']} processes")
    network = str(limits.get("network") or "unknown")
    parts.append(f"network {network}")
    parts.append(f"sandbox {limits.get('sandbox') or 'unknown'}")
    return "  limits: " + " · ".join(parts)


def describe_device(device: str) -> str:
    """``cpu`` → ``CPU``; CUDA devices keep the name the engine reported."""
    return "CPU" if device.lower() == "cpu" else device
