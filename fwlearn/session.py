"""LessonSession: one open lesson's state and rules, with no Textual in sight.

The lesson screen used to hold all of this next to its layout code, so the rules (what counts as
done, what ``u`` brings back, which code a run gets, when a check is undecided) could only be
tested by driving a terminal UI. Here they are plain methods on plain data: the screen pushes the
learner's actions in (``edited``, ``go_to``, ``begin``/``apply``/``finish``, ``reset_side``, ...)
and pushes what comes back down to its widgets. Progress is written through the ``Store``; the
engine is only asked for a ``RunSpec`` and folds events through ``SideRun``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fwlearn.engine import Event, RunSpec, infer_framework
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Verdict, verify_lesson, verify_side
from fwlearn.runstate import EngineRun, SideRun
from fwlearn.series import charted_names, history_metrics, thin
from fwlearn.store import RunRecord, Store
from fwlearn.store_edits import source_hash


@dataclass(frozen=True)
class Undo:
    """The one thing ``u`` can undo: what it was (for the message), how to bring the data back,
    and which sides' code changes with it (the screen reloads those editors)."""

    what: str
    restore: Callable[[], None]
    sides: tuple[str, ...]


@dataclass
class CheckState:
    """The exercise check as last shown: per-side verdicts and the overall verdict (None while
    undecided). ``shown`` is False before the first check and after starting over."""

    sides: dict[str, Verdict] = field(default_factory=dict)
    overall: bool | None = None
    shown: bool = False
    others: tuple[str, ...] = ()  # across checks, the non-edited side's invariants


@dataclass(frozen=True)
class Finished:
    """What a finished run means for the learner: the check's verdict for that run (None:
    undecided or no exercise), whether it just made the lesson done, whether the check passed."""

    passed: bool | None
    newly_done: bool
    solved: bool


class LessonSession:
    """The state of one open lesson: code per side, runs, step, exercise, undo slot."""

    def __init__(self, lesson: Any, store: Store, sides: Iterable[str] = SIDES) -> None:
        self.lesson = lesson
        self.store = store
        self.sides = tuple(sides)
        self.runs = {side: SideRun(side) for side in self.sides}
        self.active: dict[str, EngineRun] = {}  # the engine runs going on now
        self.ran: dict[str, str] = {}  # side -> source_hash of the code its latest run got
        # side -> the shipped file's version its saved edit started from (store_edits)
        self.based_on: dict[str, str | None] = {}
        self.code = {side: self._saved_code(side) for side in self.sides}
        self.dirty: set[str] = set()
        self.section_index = -1
        self.hint_shown = False
        self.solution_shown = False
        self.check = CheckState()
        self.undo_slot: Undo | None = None

    # -- steps ----------------------------------------------------------------------------------

    @property
    def titles(self) -> list[str]:
        return list(self.lesson.section_titles)

    @property
    def section_title(self) -> str | None:
        """The current step's title; None on the introduction."""
        return self.titles[self.section_index] if self.section_index >= 0 else None

    def open(self) -> int:
        """Mark the lesson opened now; the step to show (where the learner left off, else -1)."""
        progress = self.store.lesson(self.lesson.id)
        self.store.touch(self.lesson.id)
        titles = self.titles
        return titles.index(progress.section) if progress.section in titles else -1

    def go_to(self, index: int) -> str | None:
        """Move to step ``index`` (clamped; -1 = introduction), remembered in the store."""
        self.section_index = max(-1, min(index, len(self.titles) - 1))
        title = self.section_title
        self.store.touch(self.lesson.id, section=title or "")
        return title

    def heading(self) -> str:
        """Where the learner is: ``3. Title · step 2/5: Train`` (or ``· introduction``)."""
        title = self.section_title
        count = len(self.titles)
        step = f"step {self.section_index + 1}/{count}: {title}" if title else "introduction"
        return f"{self.lesson.order}. {self.lesson.title} · {step}"

    def prose(self) -> str:
        """The explanation for the current step (``prose_for`` keeps its pitfall blockquotes)."""
        title = self.section_title
        if title is None:
            return str(self.lesson.intro)
        return f"### {title}\n\n{self.lesson.prose_for(title)}"

    # -- code -----------------------------------------------------------------------------------

    def _saved_code(self, side: str) -> str:
        saved = self.store.saved_edit(self.lesson.id, side)
        if saved is None:
            return self.original(side)
        self.based_on[side] = saved.based_on
        return saved.source

    def original(self, side: str) -> str:
        return str(self.lesson.files[side].source)

    def shipped_version(self, side: str) -> str:
        return source_hash(self.original(side))

    def outdated(self) -> list[str]:
        """Sides whose saved edit started from another version of the lesson's file (the pack
        changed since): the app says so and offers the new one. An unknown version: never."""
        return [
            side
            for side in self.sides
            if self.based_on.get(side) not in (None, self.shipped_version(side))
            and self.code[side] != self.original(side)
        ]

    def keep_edit(self, side: str) -> None:
        """The learner keeps their code over the new version: it counts as based on it now."""
        self._rebase(side, self.shipped_version(side))

    def _rebase(self, side: str, based_on: str | None) -> None:
        self.based_on[side] = based_on
        self.store.rebase_edit(self.lesson.id, side, based_on)

    def edited(self, side: str, text: str) -> None:
        """The learner's text for ``side`` now; saved on the next ``save_edits``."""
        if text != self.code[side]:
            self.code[side] = text
            self.dirty.add(side)

    def save_edits(self) -> None:
        """Write changed sides to the store (an edit equal to the original is dropped)."""
        for side in list(self.dirty):
            self.dirty.discard(side)
            text = self.code[side]
            if text == self.original(side):
                self.store.drop_edit(self.lesson.id, side)
                self.based_on.pop(side, None)
            else:
                version = self.shipped_version(side)
                self.store.save_edit(self.lesson.id, side, text, version)
                if self.based_on.get(side) is None:  # the store keeps a known one (store_edits)
                    self.based_on[side] = version

    def framework(self, side: str) -> str:
        """The side's framework, or plain python for code that imports neither (fixture packs):
        no reason to pay seconds of framework import for numpy code. A side the lesson pins to a
        Keras backend runs as Keras when its code imports Keras (a torch loop training a Keras
        model): its worker imports Keras on that backend."""
        found = infer_framework(self.code[side])
        if found == "python":
            return "python"
        if found == "keras" and side in self.lesson.pinned_keras_backend:
            return "keras"
        return side

    def run_needs(self, keras_backend: str) -> list[tuple[str, str]]:
        """(framework, Keras backend) each side's next run needs, for the warm pool: the
        learner's backend, or the lesson's pin for a pinned side."""
        return [
            (self.framework(side), self.lesson.keras_backend_for(side, keras_backend))
            for side in self.sides
        ]

    # -- destructive changes, each undoable once -------------------------------------------------

    def replace_code(self, side: str, text: str, what: str) -> None:
        """Put ``text`` in ``side`` for the learner (reset, taken solution), keeping the previous
        code and progress for one undo. A passed exercise stops counting as done when the code
        that passed is replaced by an original that is known to fail."""
        previous, previous_base = self.code[side], self.based_on.get(side)
        before = self.store.lesson(self.lesson.id)
        self.code[side] = text
        self.dirty.add(side)
        self.save_edits()
        if text != self.original(side):  # a taken solution: written for the shipped version
            self._rebase(side, self.shipped_version(side))
        exercise = self.lesson.exercise
        if (
            exercise is not None
            and side in exercise.sides
            and text == self.original(side)
            and exercise.fails_initially
        ):
            self.store.set_not_passing(self.lesson.id)

        def restore() -> None:
            self.code[side] = previous
            self.dirty.add(side)
            self.save_edits()
            if previous != self.original(side):
                self._rebase(side, previous_base)  # outdated again, if it was
            self.store.restore_progress(before)

        self.undo_slot = Undo(what, restore, (side,))

    def reset_side(self, side: str, what: str) -> None:
        self.replace_code(side, self.original(side), what)

    def take_solution(self, side: str, what: str) -> None:
        self.solution_shown = True
        self.replace_code(side, self.lesson.exercise.solution_source(side), what)

    def reset_lesson(self, what: str) -> None:
        """What ``fwlearn progress --reset LESSON`` does, plus the code and the check shown."""
        lesson_id = self.lesson.id
        snapshot = self.store.snapshot(lesson_id)
        texts, bases = dict(self.code), dict(self.based_on)
        check = self.check
        self.store.reset(lesson_id)
        self.based_on.clear()
        for side in self.sides:
            self.code[side] = self.original(side)
            self.dirty.discard(side)
        self.check = CheckState()
        self.store.touch(lesson_id, section=self.section_title or "")

        def restore() -> None:
            self.store.restore(snapshot)
            self.code.update(texts)
            self.based_on.update(bases)
            self.check = check

        self.undo_slot = Undo(what, restore, self.sides)

    def undo(self) -> Undo | None:
        """Bring back what the last destructive change replaced; None when there is nothing."""
        undo, self.undo_slot = self.undo_slot, None
        if undo is not None:
            undo.restore()
        return undo

    # -- runs -----------------------------------------------------------------------------------

    def spec(self, side: str, keras_backend: str) -> RunSpec:
        """What a run of ``side``'s current code is."""
        return RunSpec(
            path=self.lesson.files[side].path,
            source=self.code[side],
            framework=self.framework(side),
            keras_backend=self.lesson.keras_backend_for(side, keras_backend),
            data_files=self.lesson.data_files,
            timeout=self.lesson.timeout,
        )

    def begin(self, side: str, run: EngineRun) -> None:
        """``run`` now runs ``side``'s code: the edits are saved and the old run forgotten."""
        self.save_edits()
        self.runs[side].begin(self.code[side])
        self.ran[side] = source_hash(self.code[side])
        self.active[side] = run

    def apply(self, side: str, event: Event) -> SideRun:
        run = self.runs[side]
        run.apply(event)
        return run

    def ended(self, side: str) -> None:
        """The run's events are all in (or its consumer stopped)."""
        self.active.pop(side, None)

    def failed(self, side: str) -> None:
        """fwlearn itself could not run ``side`` (an engine bug): it counts as a failed run."""
        self.active.pop(side, None)
        self.runs[side].state = "failed"

    def finish(self, side: str) -> Finished:
        """Check the exercise and record the run; whether that made the lesson done."""
        run = self.runs[side]
        passed = self._check(side)
        result = run.result()
        was_done = bool(self.store.lesson(self.lesson.id).done)
        self.store.record_run(
            RunRecord(
                lesson_id=self.lesson.id,
                side=side,
                started=time.time() - run.elapsed,
                status=run.state,
                duration=run.elapsed,
                metrics=history_metrics(result),
                # A cancelled run says nothing about the code: it neither passes nor fails it.
                check_passed=None if run.state == "cancelled" else passed,
                facts=dict(run.facts),
                code_hash=self.ran.get(side),
                series={n: thin(run.series(n)) for n in charted_names(run.series_names)},
            )
        )
        done = bool(self.store.lesson(self.lesson.id).done)
        # Done once, on the run that made it so: never after a failed check (it clears "done"),
        # and not twice when both sides of one F7 see the same passing check.
        return Finished(passed, done and not was_done, self.check.overall is True)

    def _check(self, side: str) -> bool | None:
        """Evaluate the exercise on the latest runs; None when it cannot be decided yet."""
        exercise = self.lesson.exercise
        if exercise is None:
            return None
        result = self.runs[side].result()
        if side in exercise.sides and result is not None:
            self.check.sides[side] = verify_side(self.lesson, side, result)
        # Every side's run: an across check compares both, a non-edited side's checks are shown.
        judged = verify_lesson(
            self.lesson,
            {s: run.result() for s, run in self.runs.items()},
            run_both="run both sides (F7)",
        )
        self.check.others = judged.beyond_sides
        overall = bool(judged.passed) if judged.complete else None
        self.check.overall = overall
        self.check.shown = True
        if overall:
            self.solution_shown = True
        if overall is None:
            # Undecided while another side has not run, unless this side already fails: the
            # check needs every side, so the lesson cannot be passing now.
            own = self.check.sides.get(side) if side in exercise.sides else None
            return False if own is not None and result is not None and not own.passed else None
        return overall
