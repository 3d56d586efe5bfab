"""The lesson screen's ``H``: open the History view on this lesson's runs, and put the run the
learner picks on the chart. The view itself is ``tui/screens/history.py``; this is the glue, so
the lesson screen (kept under 300 lines) only names it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from fwlearn.frameworks import SIDES
from fwlearn.store_history import KEEP_SERIES, RunRecord
from fwlearn.tui.screens.history import HistoryScreen

if TYPE_CHECKING:
    from fwlearn.tui.screens.lesson import LessonScreen


def open_history(screen: LessonScreen) -> None:
    """The lesson screen's ``H`` (its ``action_history``): this lesson's runs, both sides."""
    session = screen.session
    lesson = session.lesson
    records = [
        record
        for side in SIDES
        for record in session.store.runs(lesson.id, limit=KEEP_SERIES, side=side)
    ]

    def pick(record: RunRecord | None) -> None:
        if record is None:
            screen.results.overlay({}, "")
            screen.notify("The chart shows the current runs only.")
            return
        series = {(record.side, name): points for name, points in record.series.items()}
        screen.results.overlay(series, time.strftime("run %H:%M", time.localtime(record.started)))
        screen.show_results()

    title = f"{lesson.order}. {lesson.title} · run history (newest first, per side)"
    screen.app.push_screen(HistoryScreen(title, records, pick))
