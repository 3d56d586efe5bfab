"""Results: what the runs of both sides add up to (chart, comparison, predictions, exercise).

The per-side half of a run's events goes to each side's ``SidePane``; this is the shared half.
It used to be spread through the lesson screen's event handler and its exercise actions. Here
it is one object the screen makes on mount and routes to: ``apply`` for each engine event,
``run_finished`` at each end, ``show_check`` after anything that changes the verdict. Which tab
comes forward is ``ResultsTabs``' job (``tui/results_tabs.py``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.widgets import TabbedContent, TabPane

from fwlearn.engine import Event, Fact, Metric, Prediction, Start
from fwlearn.frameworks import SIDE_LABELS as LABELS
from fwlearn.runstate import SideRun
from fwlearn.series import charted_names
from fwlearn.session import Finished, LessonSession
from fwlearn.tui.results_tabs import CHART, COMPARE, EXERCISE, PREDICTIONS, ResultsTabs
from fwlearn.tui.widgets.comparison_panel import ComparisonPanel
from fwlearn.tui.widgets.exercise_panel import ExercisePanel, check_markdown
from fwlearn.tui.widgets.metrics_chart import MetricsChart
from fwlearn.tui.widgets.predictions_table import PredictionsTable

SOLUTION_NOTE = "**Solution:** press `s` to read it, as changes to your code (`t` there takes it)."


def compose_results() -> ComposeResult:
    """The results area's widgets, one tab each (``Results`` finds them by type)."""
    with TabbedContent(id="insights", initial=CHART):
        with TabPane("Chart", id=CHART):
            yield MetricsChart(id="chart")
        with TabPane("Compare", id=COMPARE), VerticalScroll(id="compare-view"):
            yield ComparisonPanel(id="compare")  # scrolls: facts can outgrow 80x24
        with TabPane("Predictions", id=PREDICTIONS):
            yield PredictionsTable(id="predictions")
        with TabPane("Exercise", id=EXERCISE):
            yield ExercisePanel(id="exercise")


class Results:
    """The results area of one lesson screen (``#insights`` and the widgets in its tabs)."""

    def __init__(self, screen: DOMNode, session: LessonSession) -> None:
        self.session = session
        self.insights = screen.query_one("#insights", TabbedContent)
        self.chart = screen.query_one(MetricsChart)
        self.table = screen.query_one(PredictionsTable)
        self.compare = screen.query_one(ComparisonPanel)
        self.exercise = screen.query_one(ExercisePanel)
        self.tabs = ResultsTabs(self.insights, self.has_content)
        screen.watch(self.insights, "active", self.tabs.active_changed, init=False)
        exercise = session.lesson.exercise
        self.exercise.task_text = exercise.task if exercise is not None else ""
        if exercise is not None:
            self.exercise.hint = exercise.hint or ""

    def has_content(self, pane: str) -> bool:
        if pane == CHART:
            return any(self.chart.series.values()) or any(self.chart.overlay.values())
        if pane == PREDICTIONS:
            return self.table.row_count > 0
        if pane == COMPARE:
            return any(run.end is not None or run.facts for run in self.session.runs.values())
        return pane == EXERCISE and self.session.lesson.exercise is not None

    def run_began(self) -> None:
        """A side started; when no other runs, a tab the learner picked before no longer holds."""
        if len(self.session.active) == 1:
            self.tabs.runs_began()

    def apply(self, side: str, event: Event, run: SideRun) -> None:
        """The shared part of one engine event: epochs to the chart, predictions to the table,
        facts to the comparison (redrawn a moment later: a fact per batch must not cost a table
        each)."""
        if isinstance(event, Start):
            # A new run of the side: its previous run's lines go (labels may differ this time).
            for key in [key for key in self.chart.series if key[0] == side]:
                del self.chart.series[key]
            self.chart.mark_dirty()
        elif isinstance(event, Metric) and event.step is None:
            for name in charted_names(run.series_names):  # loss, loss@sgd (series.py)
                self.chart.series[(side, name)] = run.series(name)
            self.chart.mark_dirty()
            self.tabs.offer(CHART, over_content=True)
        elif isinstance(event, Prediction):
            self.table.show(side, list(event.rows))
            self.tabs.offer(PREDICTIONS)
        elif isinstance(event, Fact):
            runs = self.session.runs
            self.compare.refresh_soon(runs["keras"], runs["pytorch"])

    def run_finished(self, finished: Finished) -> None:
        """A side's run is recorded and checked: the verdict, then the comparison."""
        self.show_check()
        if finished.solved:
            self.tabs.offer(EXERCISE, over_content=True)
        runs = self.session.runs
        self.compare.show(runs["keras"], runs["pytorch"])
        self.tabs.run_ended()

    def overlay(self, series: dict[tuple[str, str], list[tuple[int, float]]], name: str) -> None:
        """Draw an earlier run's series (``(side, series name)``) beside the current lines, named
        ``name`` in the legend (the History view's pick); an empty dict takes it off."""
        self.chart.overlay = dict(series)
        self.chart.overlay_name = name
        self.chart.mark_dirty()
        if series:
            self.insights.active = CHART

    def show_check(self) -> None:
        """Push the session's exercise check (and where the solution is) to the panel."""
        exercise = self.session.lesson.exercise
        if exercise is None:
            return
        self.exercise.check = check_markdown(self.session.check, exercise.sides, LABELS)
        if self.session.check.overall:
            self.solution_unlocked()

    def solution_unlocked(self) -> None:
        """The solution may be read from now on (asked for, or the check passed)."""
        if self.session.lesson.exercise is None:
            return
        self.session.solution_shown = True
        self.exercise.solution = SOLUTION_NOTE

    def show_hint(self) -> None:
        self.exercise.hint_shown = True
        self.show_exercise()

    def show_exercise(self) -> None:
        self.insights.active = EXERCISE

    def next_tab(self) -> None:
        """Chart → Compare → Predictions → Exercise → Chart."""
        panes = [CHART, COMPARE, PREDICTIONS, EXERCISE]
        current = panes.index(self.insights.active) if self.insights.active in panes else -1
        self.insights.active = panes[(current + 1) % len(panes)]
