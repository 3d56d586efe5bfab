"""Runner: the life of the lesson screen's runs, from F5 to the recorded result.

Starting a run (is the framework here? did the engine accept the spec?), draining its events on
the UI loop, routing each event to the session (state), the side's ``SidePane`` (log, code) and
``Results`` (chart, predictions), recording the end, cancelling, and the once-a-half-second
clock: this used to be a third of the lesson screen. The screen keeps the keys and calls in.

Each run is consumed in its own async worker, exclusive within its side's group, so a second
F5 replaces the first run rather than racing it. An exception from the engine while draining is
a bug in fwlearn, not in the learner's code: it is said in that side's log and the app lives.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from fwlearn.engine import Event, Start, UsageError
from fwlearn.runstate import EngineRun
from fwlearn.tui.widgets.lesson_tabs import LessonTabs

if TYPE_CHECKING:
    from fwlearn.session import LessonSession
    from fwlearn.tui.screens.lesson import LessonScreen

YIELD_EVERY = 0.02  # hand the event loop back while draining a burst of engine events


class Runner:
    """Runs for one ``LessonScreen`` (its session, side panes, results and status bar)."""

    def __init__(self, screen: LessonScreen) -> None:
        self.screen = screen

    @property
    def session(self) -> LessonSession:
        return self.screen.session  # made when the screen composes

    def start(self, side: str) -> bool:
        """Start ``side``'s code as it is in the editor; False (and a note) if it cannot run."""
        screen, session, pane = self.screen, self.session, self.screen.sides[side]
        if session.runs[side].running:
            screen.notify(f"{pane.label} is already running (Esc cancels)")
            return False
        screen.save_edits()  # the run gets the code as it is in the editor now
        app = screen.fwapp
        framework = session.framework(side)
        problem = app.framework_problem(framework, session.lesson.pinned_keras_backend.get(side))
        if problem:
            pane.cannot_run(problem, starting=True)
            screen.notify(problem, title=f"{pane.label} cannot run", severity="warning")
            return False
        try:
            run = app.new_run(session.spec(side, app.keras_backend))
        except UsageError as exc:
            pane.refused(str(exc))
            return False
        # Esc's "Cancel" shows in the footer while a run goes. Only when the first run begins:
        # each refresh rebuilds the footer's keys, and F7 refreshed it twice for one change.
        first = not session.active
        session.begin(side, run)
        if first:
            screen.refresh_bindings()
        backend = session.lesson.keras_backend_for(side, app.keras_backend)
        pane.starting(backend if framework == "keras" else None)
        pane.input.attach(run)  # input() and pdb are answered in the line under its log
        # Issue 15: a spare still importing means seconds, not milliseconds: say why.
        if run.readiness() == "warming up":
            pane.log.push([f"  warming up: {framework} is still importing…"])
        screen.results.run_began()
        self.tick()
        screen.run_worker(
            self._consume(side, run),
            name=f"run-{side}",
            group=f"run-{side}",
            exclusive=True,
            exit_on_error=False,
        )
        return True

    async def _consume(self, side: str, run: EngineRun) -> None:
        """Drain one run's events on the UI loop; widgets batch their own repaints."""
        last_yield = time.monotonic()
        try:
            async for event in run.events():
                self.apply(side, event)
                now = time.monotonic()
                if now - last_yield > YIELD_EVERY:
                    await asyncio.sleep(0)
                    last_yield = time.monotonic()
        except Exception as exc:  # an engine bug must not take the app down
            self.session.failed(side)
            self.screen.sides[side].crashed(exc)
            self.tick()
            return
        finally:
            self.session.ended(side)
            if not self.session.active:
                self.screen.refresh_bindings()  # Esc's "Cancel" leaves with the last run
        self._finished(side)

    def apply(self, side: str, event: Event) -> None:
        """One engine event: the session's state first, then what each part of the screen shows."""
        run = self.session.apply(side, event)
        self.screen.sides[side].apply(event)
        self.screen.results.apply(side, event, run)
        if isinstance(event, Start):
            self.screen.status.show_start(event)

    def _finished(self, side: str) -> None:
        """Record the run, check the exercise, refresh the comparison."""
        screen = self.screen
        screen.sides[side].finished(self.session.runs[side])
        finished = self.session.finish(side)
        screen.results.run_finished(finished)
        screen.numbers.refresh()  # the learner's own values beside the recorded ones
        if finished.newly_done:
            screen.notify(f"Lesson {screen.lesson.title!r} done!", title="Well done")
        self.tick()

    def cancel(self, side: str) -> None:
        run = self.session.active.get(side)
        if run is not None:
            run.cancel()
            self.screen.sides[side].cancelling()

    def cancel_for(self, side: str | None, *, or_all: bool) -> bool:
        """Cancel ``side`` (the one the learner is on) if it runs; else, with ``or_all`` (Esc)
        every run, without it (Ctrl+C) only a lone run when the learner is on neither side.
        False when that cancelled nothing (the key then does what it does elsewhere)."""
        active = self.session.active
        if side is not None and side in active:
            self.cancel(side)
        elif active and (or_all or (side is None and len(active) == 1)):
            self.cancel_all()
        else:
            return False
        return True

    def cancel_all(self) -> None:
        for side in list(self.session.active):
            self.cancel(side)

    def tick(self) -> None:
        """Each side's state and elapsed time, in the status bar and the code pane's title;
        the state's mark in the narrow layout's tab labels."""
        status = self.screen.status
        for side, pane in self.screen.sides.items():
            status.show_state(side, pane.tick(self.session.runs[side]))
        for tabs in self.screen.query(LessonTabs):  # none once the screen has closed
            tabs.show_states({side: run.state for side, run in self.session.runs.items()})
