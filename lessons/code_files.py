"""The two programs of a lesson: read, compiled, split into sections, and aligned.

The section grammar itself lives in ``fwlearn.lessons.sections`` (the lesson screen uses it on
the learner's edited text); here it gets the author-facing rules on top: every marker has a
title, no title twice, and both files have the same titles in the same order, because the app
shows the two sides of a step next to each other by title.
"""

from __future__ import annotations

from pathlib import Path

from .model import CODE_FILES, SIDES, CodeFile, Section
from .problems import ProblemLog, Unreadable, compile_source, read_text
from .sections import find_markers


def read_code_files(log: ProblemLog) -> dict[str, CodeFile] | None:
    """Both programs with their sections, or None when one is missing, broken or misaligned."""
    files: dict[str, CodeFile] = {}
    for side in SIDES:
        path = log.folder / CODE_FILES[side]
        try:
            source = read_text(path, log, f"{side} program ({path.name} is required)")
        except Unreadable:
            continue
        sections = _sections(path, source, log)
        compile_source(path, source, log)
        if sections is not None:
            files[side] = CodeFile(side, path, source, sections)
    if len(files) != len(SIDES):
        return None
    return files if _sections_match(files["keras"], files["pytorch"], log) else None


def _sections(path: Path, source: str, log: ProblemLog) -> tuple[Section, ...] | None:
    """The file's sections; None when a marker has no title or a title appears twice."""
    ok = True
    seen: dict[str, int] = {}
    markers: list[tuple[str, int]] = []
    for marker in find_markers(source):
        if not marker.well_formed:
            log.problem(path, marker.line, "a section marker needs a title: '# %% Title'")
            ok = False
        elif marker.title in seen:
            log.problem(
                path,
                marker.line,
                f'section "{marker.title}" appears twice (first at line {seen[marker.title]})',
            )
            ok = False
        else:
            seen[marker.title] = marker.line
            markers.append((marker.title, marker.line))
    if not ok:
        return None
    last = len(source.splitlines())
    return tuple(
        Section(title, start, markers[i + 1][1] - 1 if i + 1 < len(markers) else last)
        for i, (title, start) in enumerate(markers)
    )


def _sections_match(keras: CodeFile, pytorch: CodeFile, log: ProblemLog) -> bool:
    """Both files need the same titles in the same order: the app aligns them by title."""
    for i, (left, right) in enumerate(zip(keras.sections, pytorch.sections), start=1):
        if left.title != right.title:
            log.problem(
                pytorch.path,
                right.line,
                f'section {i} is "{right.title}" but in {keras.path.name} it is "{left.title}" '
                f"({keras.path.name}:{left.line}); both files need the same sections in the same "
                "order",
            )
            return False
    if len(keras.sections) != len(pytorch.sections):
        longer, shorter = (
            (keras, pytorch) if len(keras.sections) > len(pytorch.sections) else (pytorch, keras)
        )
        extra = longer.sections[len(shorter.sections)]
        log.problem(
            longer.path,
            extra.line,
            f'section "{extra.title}" has no counterpart in {shorter.path.name}; '
            "both files need the same sections in the same order",
        )
        return False
    return True
