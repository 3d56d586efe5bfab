"""LessonScreen: prose, both sides' code side by side, live runs, and the exercise.

Ownership (STYLE.md, "attributes down, messages up"): this screen owns the lesson's state (the
two ``SideRun``s, the current section, the exercise) and pushes it down to widgets; widgets post
messages up (``CodePane.Edited``). Engine runs are consumed in one async worker per side
(exclusive within its group, so a second F5 replaces the first run rather than racing it).
Nothing here imports torch/tensorflow/keras: runs happen in child processes.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Footer,
    Markdown,
    Static,
    Tab,
    TabbedContent,
    TabPane,
    Tabs,
    TextArea,
)
from textual.worker import Worker, WorkerState

from fwlearn.engine.events import End, Error, Event, Metric, Output, Prediction, Start, Warning
from fwlearn.engine.runner import Run, RunSpec, UsageError, infer_framework
from fwlearn.tui.runstate import SideRun
from fwlearn.tui.screens.confirm import ConfirmScreen
from fwlearn.tui.store import RunRecord
from fwlearn.tui.widgets.code_pane import LABELS, CodePane
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.exercise_panel import ExercisePanel
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.predictions_table import PredictionsTable
from fwlearn.tui.widgets.run_log import RunLog
from fwlearn.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from fwlearn.tui.app import FwlearnApp

SIDES = ("keras", "pytorch")
NARROW_BELOW = 120  # FACTS.md: at 80 columns each side would get ~36 columns of code
SECTION_MARKER = re.compile(r"^# %%[ \t]*(.*?)\s*$")
SAVE_INTERVAL = 0.5
YIELD_EVERY = 0.02  # hand the event loop back while draining a burst of engine events


class LessonScreen(Screen[None]):
    """One lesson. ``narrow`` flips the ``-narrow`` class; the .tcss turns columns into tabs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "run('keras')", "Run Keras", priority=True),
        Binding("f6", "run('pytorch')", "Run PyTorch", priority=True),
        Binding("f7", "run_both", "Run both", priority=True),
        Binding("escape", "cancel", "Cancel", priority=True, show=False),
        Binding("ctrl+c", "cancel_focused", "Cancel", priority=True, show=False),
        Binding("ctrl+down,f3", "section(1)", "Next step", priority=True),
        Binding("ctrl+up,f2", "section(-1)", "Prev step", priority=True),
        Binding("h", "hint", "Hint"),
        Binding("s", "show_solution", "Solution"),
        Binding("r", "reset_side", "Reset side"),
        Binding("b", "switch_backend", "Backend"),
        Binding("ctrl+o", "open_in_editor", "$EDITOR", priority=True),
        Binding("ctrl+t", "next_tab", "Next tab", priority=True),
        Binding("f8", "next_insight", "Chart/Compare/…", priority=True),
        Binding("question_mark", "app.help", "Help"),
        Binding("q", "back", "Lessons"),
    ]

    narrow: reactive[bool] = reactive(False)
    tab: reactive[str] = reactive("keras")

    def __init__(self, lesson: Any) -> None:
        super().__init__()
        self.lesson = lesson
        self.runs = {side: SideRun(side) for side in SIDES}
        self._active: dict[str, Run] = {}
        self._dirty: set[str] = set()
        self.section_index = -1
        self.hint_shown = False
        self.solution_shown = False
        self.side_checks: dict[str, Any] = {}

    @property
    def fwapp(self) -> FwlearnApp:
        return self.app  # type: ignore[return-value]

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="lesson-title")
        yield Markdown(id="prose")
        yield Tabs(
            Tab("Keras", id="tab-keras"),
            Tab("PyTorch", id="tab-pytorch"),
            Tab("Results", id="tab-results"),
            id="narrow-tabs",
        )
        with Horizontal(id="editors"):
            for side in SIDES:
                yield CodePane(side, self._code_for(side), id=f"code-{side}")
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
        yield Footer()

    def on_mount(self) -> None:
        self.add_class("-tab-keras")
        self.narrow = self.app.size.width < NARROW_BELOW
        exercise = self.lesson.exercise
        panel = self.query_one(ExercisePanel)
        if exercise is not None:
            panel.hint = exercise.hint or ""
            panel.task = exercise.task
        else:
            panel.task = ""
        status = self.query_one(StatusBar)
        status.backend = self.fwapp.keras_backend
        status.versions = self.fwapp.installed_versions_line()
        for side in SIDES:
            problem = self._side_problem(side)
            if problem:
                self.query_one(f"#code-{side}", CodePane).note = "cannot run here"
                self.query_one(f"#log-{side}", RunLog).push([f"! {problem}"])
        progress = self.fwapp.store.lesson(self.lesson.id)
        self.fwapp.store.touch(self.lesson.id)
        titles = self._titles()
        start = titles.index(progress.section) if progress.section in titles else -1
        self.go_to_section(start)
        self._want_spares()
        self.set_interval(SAVE_INTERVAL, self.save_edits, name="save-edits")
        self.set_interval(0.5, self._tick, name="elapsed")
        self.query_one("#editor-keras").focus()

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

    @on(Tabs.TabActivated, "#narrow-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id:
            self.tab = event.tab.id.removeprefix("tab-")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """``Next tab`` exists only in the narrow layout (the footer hides it otherwise)."""
        if action == "next_tab":
            return self.narrow
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

    def _titles(self) -> list[str]:
        return list(self.lesson.section_titles)

    def go_to_section(self, index: int) -> None:
        """Show section ``index`` (-1 = the introduction) in the prose and scroll both editors
        to its ``# %%`` marker, found in the *current* text so it survives edits."""
        titles = self._titles()
        index = max(-1, min(index, len(titles) - 1))
        self.section_index = index
        title = titles[index] if index >= 0 else None
        if title is None:
            prose = self.lesson.intro
        else:
            prose = f"### {title}\n\n{self.lesson.prose_for(title)}"
            pitfalls = [p.text for p in self.lesson.pitfalls if p.section == title]
            prose += "".join(f"\n\n> **Pitfall:** {text}" for text in pitfalls)
        self.query_one("#prose", Markdown).update(prose)
        for side in SIDES:
            pane = self.query_one(f"#code-{side}", CodePane)
            line = marker_line(pane.text, title) if title else 1
            if line:
                pane.show_line(line)
        step = f"step {index + 1}/{len(titles)}: {title}" if title else "introduction"
        self.query_one("#lesson-title", Static).update(
            f"{self.lesson.order}. {self.lesson.title} · {step} · F3/F2: next/prev step"
        )
        self.fwapp.store.touch(self.lesson.id, section=title or "")

    def action_section(self, delta: int) -> None:
        self.go_to_section(self.section_index + delta)

    # -- code and edits -------------------------------------------------------------------------

    def _code_for(self, side: str) -> str:
        saved = self.fwapp.store.edit(self.lesson.id, side)
        return saved if saved is not None else self.lesson.files[side].source

    @on(CodePane.Edited)
    def _edited(self, event: CodePane.Edited) -> None:
        self._dirty.add(event.side)

    def save_edits(self) -> None:
        """Write changed sides to the store (called every 0.5 s and when the screen closes)."""
        for side in list(self._dirty):
            self._dirty.discard(side)
            text = self.query_one(f"#code-{side}", CodePane).text
            if text == self.lesson.files[side].source:
                self.fwapp.store.drop_edit(self.lesson.id, side)
            else:
                self.fwapp.store.save_edit(self.lesson.id, side, text)

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

    def action_reset_side(self) -> None:
        side = self.focused_side() or "keras"
        self.reset_side(side)

    def reset_side(self, side: str) -> None:
        """Bring back the lesson's original code for ``side`` and forget the saved edit."""
        self.query_one(f"#code-{side}", CodePane).load(self.lesson.files[side].source)
        self._dirty.discard(side)
        self.fwapp.store.drop_edit(self.lesson.id, side)
        self.notify(f"{LABELS[side]} code reset to the original")

    def action_open_in_editor(self) -> None:
        """Suspend the app, edit the focused side in $VISUAL/$EDITOR, load the result."""
        side = self.focused_side() or "keras"
        pane = self.query_one(f"#code-{side}", CodePane)
        command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.TemporaryDirectory(prefix="fwlearn-edit-") as folder:
            path = Path(folder) / f"{self.lesson.id}_{side}.py"
            path.write_text(pane.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    subprocess.run([*shlex.split(command), str(path)], check=False)
            except Exception as exc:  # SuspendNotSupported (tests, some terminals), no editor
                self.notify(f"cannot open {command}: {exc}", severity="error")
                return
            text = path.read_text(encoding="utf-8")
        if text != pane.text:
            pane.load(text)
            self._dirty.add(side)
            self.save_edits()

    # -- runs -----------------------------------------------------------------------------------

    def _framework(self, side: str, source: str) -> str:
        """The side's framework, or plain python for code that imports neither (fixture packs):
        no reason to pay seconds of framework import for numpy code."""
        return "python" if infer_framework(source) == "python" else side

    def _side_problem(self, side: str, source: str | None = None) -> str | None:
        text = source if source is not None else self._code_for(side)
        return self.fwapp.framework_problem(self._framework(side, text))

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
        pane = self.query_one(f"#code-{side}", CodePane)
        source = pane.text
        log = self.query_one(f"#log-{side}", RunLog)
        framework = self._framework(side, source)
        problem = self.fwapp.framework_problem(framework)
        if problem:
            log.reset()
            log.push([f"! {problem}"])
            self.notify(problem, title=f"{LABELS[side]} cannot run", severity="warning")
            return False
        spec = RunSpec(
            path=self.lesson.files[side].path,
            source=source,
            framework=framework,
            keras_backend=self.fwapp.keras_backend,
            data_files=self.lesson.data_files,
            timeout=self.lesson.timeout,
        )
        try:
            run = Run(spec, pool=self.fwapp.pool)
        except UsageError as exc:
            log.push([f"✗ {exc}"])
            return False
        self.save_edits()
        self.runs[side].begin(source)
        self._active[side] = run
        log.reset()
        backend = f" on {self.fwapp.keras_backend}" if framework == "keras" else ""
        log.push([f"▶ {LABELS[side]}{backend}: starting…"])
        pane.note = "running"
        pane.editor.selection = pane.editor.selection  # drop a previous error mark's focus
        self.query_one("#insights", TabbedContent).active = "pane-chart"
        self._tick()
        self.run_worker(
            self._consume(side, run),
            name=f"run-{side}",
            group=f"run-{side}",
            exclusive=True,
            exit_on_error=False,
        )
        return True

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
            self._active.pop(side, None)
        self._finished(side)

    @on(Worker.StateChanged)
    def _worker_state(self, event: Worker.StateChanged) -> None:
        """One place for worker failures: an engine bug must not take the app down."""
        worker = event.worker
        if not worker.name.startswith("run-"):
            return
        side = worker.name.removeprefix("run-")
        if event.state == WorkerState.ERROR and side in self.runs:
            self._active.pop(side, None)
            log = self.query_one(f"#log-{side}", RunLog)
            log.push([f"✗ fwlearn could not run this: {worker.error!r}"])
            self.runs[side].state = "failed"
            self.query_one(f"#code-{side}", CodePane).note = "failed to start"
            self._tick()

    def _apply(self, side: str, event: Event) -> None:
        run = self.runs[side]
        run.apply(event)
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
        elif isinstance(event, Start):
            status = self.query_one(StatusBar)
            status.device = f"device: {describe_device(event.device)}"
            if event.keras_backend:
                status.backend = event.keras_backend
            log.push([describe_limits(event.limits)])
        elif isinstance(event, Prediction):
            self.query_one(PredictionsTable).show(side, list(event.rows))
        elif isinstance(event, Warning):
            log.push([f"! {event.message}"])
        elif isinstance(event, Error):
            # The traceback itself is already in the log: the snippet printed it to stderr.
            where = f" (line {event.line})" if event.line else ""
            log.push([f"✗ {event.kind}{where}: {event.message}"])
            if event.line:
                self.query_one(f"#code-{side}", CodePane).mark_line(event.line)
        elif isinstance(event, End):
            log.push([f"── {event.status} in {event.wall:.2f} s"])

    def _finished(self, side: str) -> None:
        """Record the run, check the exercise, refresh the comparison."""
        run = self.runs[side]
        log = self.query_one(f"#log-{side}", RunLog)
        log.flush_now()
        pane = self.query_one(f"#code-{side}", CodePane)
        pane.note = f"{run.state} in {run.elapsed:.1f} s"
        passed = self._check(side)
        result = run.result()
        self.fwapp.store.record_run(
            RunRecord(
                lesson_id=self.lesson.id,
                side=side,
                started=time.time() - run.elapsed,
                status=run.state,
                duration=run.elapsed,
                metrics={k: v for k, v in (result.final_metrics() if result else {}).items()},
                check_passed=passed,
            )
        )
        progress = self.fwapp.store.lesson(self.lesson.id)
        if progress.done and not getattr(self, "_announced_done", False):
            self._announced_done = True
            self.notify(f"Lesson {self.lesson.title!r} done!", title="Well done")
        keras, pytorch = self.runs["keras"], self.runs["pytorch"]
        self.query_one(ComparisonPanel).show(keras, pytorch)
        self._tick()

    def _check(self, side: str) -> bool | None:
        """Evaluate the exercise on the latest runs; None when it cannot be decided yet."""
        exercise = self.lesson.exercise
        if exercise is None:
            return None
        panel = self.query_one(ExercisePanel)
        result = self.runs[side].result()
        if side in exercise.sides and result is not None:
            self.side_checks[side] = exercise.evaluate_side(side, result)
        results = {s: self.runs[s].result() for s in exercise.sides}
        overall = None
        if all(r is not None for r in results.values()):
            overall = exercise.evaluate(results)
        lines = []
        for name in exercise.sides:
            check = self.side_checks.get(name)
            if check is None:
                lines.append(f"- {LABELS[name]}: not run yet")
            else:
                lines.extend(f"- {message}" for message in check.messages)
        verdict = ""
        if overall is not None:
            verdict = "**Check passed.**" if overall.passed else "**Check not passed yet.**"
        panel.check = f"{verdict}\n\n" + "\n".join(lines)
        if overall is not None and overall.passed:
            self._show_solution()
            self.query_one("#insights", TabbedContent).active = "pane-exercise"
        return None if overall is None else bool(overall.passed)

    def action_cancel(self) -> None:
        """Esc: cancel the focused side if it runs, else everything running; else leave the
        editor, so letter keys are commands again."""
        side = self.focused_side()
        if side and side in self._active:
            self.cancel(side)
        elif self._active:
            for name in list(self._active):
                self.cancel(name)
        elif side is not None and isinstance(self.focused, TextArea):
            # Leave the editor (TextArea's own Esc would move into the *other* editor, where
            # the next letter key would be typed instead of acting as a command).
            self.set_focus(None)
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
        if self.lesson.exercise is None or self.solution_shown:
            self.query_one("#insights", TabbedContent).active = "pane-exercise"
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._show_solution()
                self.query_one("#insights", TabbedContent).active = "pane-exercise"
                if self.narrow:
                    self.show_tab("results")

        self.app.push_screen(
            ConfirmScreen("Show the solution? Trying first teaches more."), answered
        )

    def _show_solution(self) -> None:
        exercise = self.lesson.exercise
        if exercise is None:
            return
        self.solution_shown = True
        parts = ["**Solution**"]
        for side in exercise.sides:
            parts.append(f"{LABELS[side]}:\n\n```python\n{exercise.solution_source(side)}\n```")
        self.query_one(ExercisePanel).solution = "\n\n".join(parts)

    # -- other actions --------------------------------------------------------------------------

    def _want_spares(self) -> None:
        self.fwapp.want_spares(
            self._framework(side, self.query_one(f"#code-{side}", CodePane).text) for side in SIDES
        )

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
            ("Reset Keras code", "back to the original", lambda: self.reset_side("keras")),
            ("Reset PyTorch code", "back to the original", lambda: self.reset_side("pytorch")),
            ("Open in $EDITOR", "edit the focused side outside", self.action_open_in_editor),
            ("Switch Keras backend", "tensorflow / torch", self.action_switch_backend),
        ]

    def _cancel_all(self) -> None:
        for side in list(self._active):
            self.cancel(side)


def marker_line(text: str, title: str | None) -> int | None:
    """1-based line of the ``# %% title`` marker in ``text`` (None when the learner removed it)."""
    for number, line in enumerate(text.splitlines(), start=1):
        match = SECTION_MARKER.match(line)
        if match and match.group(1) == title:
            return number
    return None


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
    return "  limits: " + " · ".join(parts)


def describe_device(device: str) -> str:
    """``cpu`` → ``CPU``; CUDA devices keep the name the engine reported."""
    return "CPU" if device.lower() == "cpu" else device
