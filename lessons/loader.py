"""Load and validate a lesson pack (the format is lessons/FORMAT.md).

Every problem is reported like a compiler error, ``path:line: message``, and a broken lesson is
skipped while the rest of the pack still loads: a typo in one lesson must not take the course
down, and ``fwlearn check`` should list every problem in one go. ``load_pack`` never raises for
bad content.

This module walks the pack and puts a lesson together; each part of a lesson is read by its own
module: ``frontmatter`` (the TOML and its top-level fields, documented in ``read_top_fields``),
``exercise_fields`` (``[exercise]``), ``code_files`` (the programs and their sections) and
``prose`` (the Markdown and its pitfall notes).
"""

from __future__ import annotations

import re
from pathlib import Path

from .code_files import read_code_files
from .exercise_fields import read_exercise
from .frontmatter import TopFields, newer_format, read_front_matter, read_top_fields
from .keras_backends import read_keras_backends, read_pinned_keras_backend
from .model import LESSON_FILE, Exercise, Lesson, LessonProblem, Pack, Pitfall
from .problems import ProblemLog, Unreadable, read_text
from .prose import read_prose
from .refs import malformed_in


def builtin_pack_dir() -> Path:
    """The built-in pack, shipped as package data next to this module."""
    return Path(__file__).resolve().parent / "builtin"


def load_pack(root: Path | str | None = None) -> Pack:
    """Load every lesson folder under ``root`` (None: the built-in pack), validating each.

    Folders starting with ``_`` or ``.`` are ignored (tools, caches); files at the top level
    (a README) too. A lesson with problems is left out of ``Pack.lessons``; its problems are in
    ``Pack.problems``. Of two lessons with one id, the first folder (by name) wins.
    """
    root_path = Path(root) if root is not None else builtin_pack_dir()
    pack = Pack(root=root_path, lessons=[], problems=[])
    if not root_path.is_dir():
        pack.problems.append(LessonProblem(root_path, None, "no such lesson pack (not a folder)"))
        return pack
    try:
        folders = sorted(p for p in root_path.iterdir() if p.is_dir())
    except OSError as exc:
        pack.problems.append(LessonProblem(root_path, None, f"cannot list: {exc.strerror}"))
        return pack
    seen: dict[str, Lesson] = {}
    for folder in folders:
        if folder.name.startswith(("_", ".")):
            continue
        lesson, problems = load_lesson(folder)
        pack.problems.extend(problems)
        if lesson is None:
            continue
        first = seen.get(lesson.id)
        if first is not None:
            pack.problems.append(
                LessonProblem(
                    lesson.source_path,
                    _id_line(lesson.source_path),
                    f'duplicate id "{lesson.id}": {first.source_path} uses it too '
                    "(ids must be unique in a pack; this lesson is skipped)",
                    folder=folder,
                    lesson_id=lesson.id,
                )
            )
            continue
        seen[lesson.id] = lesson
        pack.lessons.append(lesson)
    for lesson in pack.lessons:
        for required in lesson.requires:
            if required not in seen:
                pack.problems.append(
                    LessonProblem(
                        lesson.source_path,
                        _key_line(lesson.source_path, "requires"),
                        f'requires unknown lesson "{required}"',
                        folder=lesson.folder,
                        lesson_id=lesson.id,
                    )
                )
    pack.lessons.sort(key=lambda lesson: (lesson.order, lesson.id))
    return pack


def load_lesson(folder: Path | str) -> tuple[Lesson | None, list[LessonProblem]]:
    """One lesson folder: the lesson (None when it has problems) and its problems."""
    folder = Path(folder)
    log = ProblemLog(folder)
    try:
        lesson = _build(log)
    except Exception as exc:  # a loader bug must not take the pack down
        log.problem(
            folder / LESSON_FILE, None, f"internal error while loading: {type(exc).__name__}: {exc}"
        )
        lesson = None
    if lesson is None and not log.problems:  # cannot happen; never fail silently
        log.problem(folder / LESSON_FILE, None, "internal error: lesson not built")
    if lesson is None or log.problems:
        return None, log.problems
    return lesson, []


# -- one lesson -----------------------------------------------------------------------------------


def _build(log: ProblemLog) -> Lesson | None:
    """Read every part of the lesson, recording problems; the Lesson only when there are none.

    Parts are read even after one failed (the code files without a front matter, the pitfalls
    without code files), so one ``fwlearn check`` lists every problem of the lesson.
    """
    if not log.source_path.exists():
        log.problem(
            log.source_path,
            None,
            "no lesson.md (every lesson folder needs one; folders starting with _ are ignored)",
        )
        return None
    try:
        text: str | None = read_text(log.source_path, log, "lesson.md")
    except Unreadable:
        text = None
    front = read_front_matter(text, log) if text is not None else None
    top: TopFields | None = None
    exercise: Exercise | None = None
    backends: tuple[str, ...] | None = None
    pins: dict[str, str] = {}
    if front is not None:
        top = read_top_fields(front, log)
        backends = read_keras_backends(front.data, front.keys, log)
        pins = read_pinned_keras_backend(front.data, front.keys, log)
        if not newer_format(front):  # a newer format's exercise is not ours to judge
            exercise = read_exercise(front.data.get("exercise"), front.keys, log)
    files = read_code_files(log)
    intro: str = ""
    prose: dict[str, str] = {}
    pitfalls: tuple[Pitfall, ...] = ()
    if front is not None:
        # Without both code files the headings cannot be checked, but pitfalls still can.
        titles = tuple(s.title for s in files["keras"].sections) if files else None
        intro, prose, pitfalls = read_prose(front.body, front.body_start, titles, log)
        for bad in malformed_in(front):
            log.problem(log.source_path, bad.line, str(bad))
        if not pitfalls:
            log.problem(
                log.source_path,
                None,
                "no pitfall note: add at least one '> **Pitfall:** ...' blockquote",
            )
    if log.problems or top is None or exercise is None or files is None:
        return None
    return Lesson(
        id=top.id,
        title=top.title,
        order=top.order,
        summary=top.summary,
        requires=top.requires,
        timeout=top.timeout,
        folder=log.folder,
        source_path=log.source_path,
        intro=intro,
        section_prose=prose,
        pitfalls=pitfalls,
        files=files,
        exercise=exercise,
        format_version=top.format_version,
        data=top.data,
        prose_tolerance=top.prose_tolerance,
        keras_backends=backends,
        pinned_keras_backend=pins,
    )


def _id_line(path: Path) -> int | None:
    return _key_line(path, "id")


def _key_line(path: Path, key: str) -> int | None:
    """The line of a top-level key in a lesson.md that already loaded (for pack-level problems)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((n for n, line in enumerate(lines, start=1) if pattern.match(line)), None)
