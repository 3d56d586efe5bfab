"""Lesson packs: the format, the loader and validator, and the built-in lessons (stdlib only).

The format is specified in ``lessons/FORMAT.md``. ``load_pack()`` reads a pack (the built-in one
by default) into frozen ``Lesson`` objects and collects every problem instead of raising, so the
app can show what loaded and ``fwlearn check`` can list what did not.
"""

from __future__ import annotations

from .loader import builtin_pack_dir, load_lesson, load_pack
from .model import (
    CODE_FILES,
    FORMAT_VERSION,
    SIDES,
    CheckResult,
    CodeFile,
    Condition,
    Exercise,
    Lesson,
    LessonProblem,
    Pack,
    Pitfall,
    ResultLike,
    Section,
)

__all__ = [
    "CODE_FILES",
    "FORMAT_VERSION",
    "SIDES",
    "CheckResult",
    "CodeFile",
    "Condition",
    "Exercise",
    "Lesson",
    "LessonProblem",
    "Pack",
    "Pitfall",
    "ResultLike",
    "Section",
    "builtin_pack_dir",
    "load_lesson",
    "load_pack",
]
