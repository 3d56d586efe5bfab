"""Lesson packs: the format, the loader and validator, the checks, and the built-in lessons.

The format is specified in ``lessons/FORMAT.md``. ``load_pack()`` reads a pack (the built-in one
by default) into frozen ``Lesson`` objects and collects every problem instead of raising, so the
app can show what loaded and ``fwlearn check`` can list what did not. ``verify_side`` and
``verify_lesson`` judge runs against a lesson's exercise, for the app and the CLI alike. Stdlib
only: importing this never pulls in a framework or the UI.
"""

from __future__ import annotations

from .loader import builtin_pack_dir, load_lesson, load_pack
from .model import (
    CODE_FILES,
    FORMAT_VERSION,
    SIDES,
    CodeFile,
    Condition,
    Exercise,
    Lesson,
    LessonProblem,
    Pack,
    Pitfall,
    Section,
)
from .sections import find_markers, section_line
from .verify import (
    FAIL_MARK,
    PASS_MARK,
    LessonVerdict,
    ResultLike,
    Verdict,
    verify_lesson,
    verify_side,
)

__all__ = [
    "CODE_FILES",
    "FAIL_MARK",
    "FORMAT_VERSION",
    "PASS_MARK",
    "SIDES",
    "CodeFile",
    "Condition",
    "Exercise",
    "Lesson",
    "LessonProblem",
    "LessonVerdict",
    "Pack",
    "Pitfall",
    "ResultLike",
    "Section",
    "Verdict",
    "builtin_pack_dir",
    "find_markers",
    "load_lesson",
    "load_pack",
    "section_line",
    "verify_lesson",
    "verify_side",
]
