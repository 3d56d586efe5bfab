"""LessonTabs: the narrow layout's Keras | PyTorch | Results tabs, each side's with its run's state.

Below 120 columns the lesson shows one side at a time, so the tab labels are the only place the
hidden side's state can be seen at a glance: "Keras ✓  PyTorch ●  Results" (the status bar says
it in words, but at 80 columns its short forms are cut to "K …"). The marks are glyphs, not
colours: NO_COLOR strips colour, and "running", "ok" and "failed" must still read apart.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content
from textual.widgets import Tab, Tabs

# SideRun.state -> the mark after the side's label ("idle": none). A timeout is a failure.
RUN_MARKS = {"running": "●", "ok": "✓", "failed": "✗", "timeout": "✗", "cancelled": "■"}
RESULTS = "results"


class SideTab(Tab):
    """A side's tab, whose width changes with its mark. ``Tabs`` moves the underline when a tab
    is relabelled, and that could run before the new width was laid out: the underline kept the
    old width under "Keras ✗" (1 snapshot in ~5 under load). Once the size has changed, the tab
    says so again, and the underline is measured from the laid-out tab."""

    def on_resize(self) -> None:
        self.post_message(self.Relabelled(self))


class LessonTabs(Tabs):
    """One tab per side (id ``tab-<side>``) and the Results tab (``tab-results``)."""

    def __init__(self, labels: Mapping[str, str], *, id: str | None = None) -> None:
        self.labels = dict(labels)
        tabs = [SideTab(label, id=f"tab-{side}") for side, label in self.labels.items()]
        super().__init__(*tabs, Tab("Results", id=f"tab-{RESULTS}"), id=id)

    def after(self, tab: str) -> str:
        """The tab Ctrl+T goes to from ``tab``: the sides in order, then Results, around."""
        order = [*self.labels, RESULTS]
        return order[(order.index(tab) + 1) % len(order)]

    def show_states(self, states: Mapping[str, str]) -> None:
        """Each side's label with the mark of its run's state (``SideRun.state``)."""
        for side, label in self.labels.items():
            tab = self.get_tab(f"tab-{side}")
            text = tab_label(label, states.get(side, ""))
            if tab is not None and tab.label.plain != text:
                tab.label = Content(text)  # plain text: a label is never markup


def tab_label(label: str, state: str) -> str:
    """``tab_label("Keras", "failed")`` → ``"Keras ✗"``; no mark while idle."""
    mark = RUN_MARKS.get(state, "")
    return f"{label} {mark}" if mark else label
