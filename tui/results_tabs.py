"""Which Results tab (Chart, Compare, Predictions, Exercise) a run brings forward.

Every run used to switch to Chart, also in lessons that report no per-epoch metrics, where the
chart then said "run a side to see it" after both sides had run; and it switched away from a tab
the learner had just picked. The rules now:

- a tab is brought forward only when it has something to show (``has_content``);
- never away from a tab the learner chose since the runs began (click, keys, F8);
- Chart when the first epoch arrives; Predictions when predictions arrive and the tab shown is
  empty; at a run's end, Compare if the tab shown is still empty; Exercise when the check passes.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import TabbedContent

CHART = "pane-chart"
COMPARE = "pane-compare"
PREDICTIONS = "pane-predictions"
EXERCISE = "pane-exercise"


class ResultsTabs:
    """Owned by ``Results`` (``tui/results.py``), which calls ``runs_began``/``offer``/
    ``run_ended`` and watches ``TabbedContent.active`` into ``active_changed``, so a learner's
    choice is seen whichever way it was made."""

    def __init__(self, tabs: TabbedContent, has_content: Callable[[str], bool]) -> None:
        self.tabs = tabs
        self.has_content = has_content
        self.chosen: str | None = None  # the learner's pick since the runs began
        self._switching_to: str | None = None

    def active_changed(self, active: str) -> None:
        if active != self._switching_to:
            self.chosen = active

    def runs_began(self) -> None:
        """A run started while none was going: the learner's earlier pick no longer holds."""
        self.chosen = None

    def offer(self, pane: str, *, over_content: bool = False) -> None:
        """``pane`` has something new. Bring it forward unless the learner chose a tab, or
        (unless ``over_content``) the tab shown has something to show already."""
        if self.chosen is not None or self.tabs.active == pane or not self.has_content(pane):
            return
        if not over_content and self.has_content(self.tabs.active):
            return
        self._switching_to = pane
        self.tabs.active = pane

    def run_ended(self) -> None:
        self.offer(COMPARE)
