"""Does the prose still say what the runs say? ``fwlearn check``'s comparison of every reference
in a lesson with the fresh runs it made, and ``--record``, which writes reference.json from them.

A problem names ``lesson.md:LINE``, the reference as written, the recorded value and the run's,
so an author sees at once which sentence went stale and by how much. Two values agree when they
render the same with the reference's format or differ by at most the lesson's
``prose_tolerance`` (relative; ``refs.agree``). Every bare decimal of the prose is a problem too:
a number nobody checks is the one that drifts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from . import recorded, refs
from .frontmatter import read_front_matter
from .model import REFERENCE_FILE, Lesson, LessonProblem
from .problems import ProblemLog
from .values import is_number

RunKey = tuple[str, str | None, str]  # (side, Keras backend or None for pytorch, start|solution)


class CheckedRun(recorded.RunLike, Protocol):
    @property
    def ok(self) -> bool: ...


@dataclass
class ProseReport:
    """What the comparison found for one lesson: problems fail ``check``, notes are shown."""

    problems: list[LessonProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    written: Path | None = None  # reference.json, when --record wrote it


def lesson_references(lesson: Lesson) -> tuple[list[refs.Reference], list[tuple[int, str]]]:
    """The references of a loaded lesson and its bare decimals, each with its lesson.md line."""
    log = ProblemLog(lesson.folder)
    front = read_front_matter(lesson.source_path.read_text(encoding="utf-8"), log)
    if front is None:  # it loaded a moment ago; a concurrent edit broke it
        return [], []
    references: list[refs.Reference] = []
    bare: list[tuple[int, str]] = []
    for text, line in refs.front_texts(front):
        references.extend(refs.scan(text, line)[0])
        bare.extend(refs.bare_decimals(text, line))
    return references, bare


def check_prose(
    lesson: Lesson, runs: Mapping[RunKey, CheckedRun | None], *, record: bool = False
) -> ProseReport:
    """Compare every reference of ``lesson`` with ``runs`` (the runs check made of it; None or a
    failed run: not compared, the failure is reported elsewhere). ``record``: write
    reference.json from the runs that ended ok first."""
    report = ProseReport()
    references, bare = lesson_references(lesson)

    def problem(line: int | None, message: str) -> None:
        report.problems.append(
            LessonProblem(lesson.source_path, line, message, lesson.folder, lesson.id)
        )

    for line, number in bare:
        problem(
            line,
            f"bare number {number} in the prose: bind it to a run ({{keras.metric.NAME}}), "
            f"or mark it {{article:{number}}} or {{literal:{number}}}",
        )
    done: dict[RunKey, CheckedRun] = {
        key: run for key, run in runs.items() if run is not None and run.ok
    }
    why_not = recorded.problem_loading(lesson.folder)
    if why_not is not None and not record:
        problem(None, why_not)
    record_data = (recorded.load(lesson.folder) or {}) if why_not is None else {}
    if record and done:
        for (side, backend, program), run in done.items():
            recorded.put_run(record_data, side, program, backend, recorded.run_record(run))
        report.written = recorded.save(lesson.folder, record_data)
    ran_backends = sorted({b for (side, b, _p) in runs if side == "keras" and b})
    for reference in references:
        if not reference.from_run or reference.side is None:
            continue
        side, program = reference.side, reference.program
        if program == "solution" and side not in lesson.exercise.solution:
            problem(reference.line, f"{reference.text}: the exercise has no {side} solution")
            continue
        backends: list[str | None] = [None]
        if side == "keras":
            backends = [reference.backend] if reference.backend else list(ran_backends)
            skipped = [b for b in backends if b not in ran_backends]
            for backend in skipped:
                report.notes.append(
                    f"{lesson.source_path.name}:{reference.line}: {reference.text} not "
                    f"compared: this check did not run the {backend} backend"
                )
            backends = [b for b in backends if b in ran_backends]
        for backend in backends:
            fresh = done.get((side, backend, program))
            if fresh is None:
                continue
            message = _compare(reference, fresh, record_data, backend, lesson.prose_tolerance)
            if message:
                problem(reference.line, message)
    return report


def _compare(
    reference: refs.Reference,
    run: CheckedRun,
    record_data: Mapping[str, Any],
    backend: str | None,
    tolerance: float,
) -> str | None:
    """Why the recorded value and the run's disagree (None: they agree)."""
    which = f"the {reference.side} {reference.program} run" + (f" on {backend}" if backend else "")
    fresh_run = recorded.run_record(run)
    fresh = recorded.value_in(fresh_run, reference)
    kept = recorded.value_in(
        recorded.run_in(record_data, reference.side or "", reference.program, backend), reference
    )
    if fresh is refs.MISSING:
        return f"{reference.text}: {which} did not report it ({_reported(fresh_run, reference)})"
    if kept is refs.MISSING:
        return (
            f"{reference.text}: no value in {REFERENCE_FILE} for {which} (its run gives "
            f"{_both(reference, fresh)}): record it with `fwlearn check --record`"
        )
    if reference.varies or refs.agree(reference, kept, fresh, tolerance):
        return None
    return (
        f"{reference.text} quotes {_both(reference, kept)} ({REFERENCE_FILE}) but {which} "
        f"gives {_both(reference, fresh)}, beyond prose_tolerance {tolerance:g}"
    )


def _both(reference: refs.Reference, value: object) -> str:
    """The value as the prose shows it, and with enough digits to see a difference."""
    shown = reference.show(value)
    precise = f"{value:.6g}" if is_number(value) else shown
    return shown if precise == shown else f"{shown} ({precise})"


def _reported(run: Mapping[str, Any], reference: refs.Reference) -> str:
    """What the run did report of that kind: a misspelt name shows its right spelling."""
    if reference.label is not None and reference.label not in run["runs"]:
        labels = ", ".join(run["runs"]) or "none"
        return f'no run labelled "{reference.label}"; labels: {labels}'
    table = run["runs"][reference.label] if reference.label is not None else run
    names = ", ".join(sorted(table["metrics" if reference.kind == "metric" else "facts"]))
    return f"its {reference.kind}s: {names or 'none'}"


def runs_by_key(
    jobs: Iterable[tuple[str, str | None, str, CheckedRun | None]],
) -> dict[RunKey, CheckedRun | None]:
    """(side, keras backend, start|solution, result) rows as check_prose takes them; a pytorch
    row's backend is dropped (its runs have none)."""
    return {
        (side, backend if side == "keras" else None, what): result
        for side, backend, what, result in jobs
        if what in refs.PROGRAMS
    }
