"""Collecting a lesson's problems, and reading its files as text, for every part of the loader.

Each part of the loader (front matter, exercise, code files, prose) records what is wrong in one
``ProblemLog`` and goes on, instead of raising at the first problem: an author fixing a lesson
wants every problem in one go, the way a compiler lists every error.
"""

from __future__ import annotations

from pathlib import Path

from .model import LESSON_FILE, LessonProblem


class ProblemLog:
    """The problems of one lesson folder, in the order found.

    ``lesson_id`` is set once the front matter gave a valid id, so later problems name the
    lesson (``fwlearn list`` groups broken folders by it).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.source_path = folder / LESSON_FILE
        self.problems: list[LessonProblem] = []
        self.lesson_id: str | None = None

    def problem(self, path: Path, line: int | None, message: str) -> None:
        """Record a problem at ``path:line`` (line None: the file as a whole)."""
        self.problems.append(
            LessonProblem(path, line, message, folder=self.folder, lesson_id=self.lesson_id)
        )

    def __len__(self) -> int:
        return len(self.problems)


class Unreadable(Exception):
    """A file could not be read as UTF-8 text; the problem has already been recorded."""


def read_text(path: Path, log: ProblemLog, what: str = "file") -> str:
    """A file's text; a missing file or invalid UTF-8 is recorded (with the bad byte's line).

    Raises ``Unreadable`` after recording, so a caller can skip what depends on the text. A BOM
    is dropped: editors on Windows write one, and it would hide the first line's marker.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        log.problem(path, None, f"missing {what}")
        raise Unreadable from None
    except OSError as exc:
        log.problem(path, None, f"cannot read {what}: {exc.strerror}")
        raise Unreadable from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        log.problem(
            path,
            line,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} ({exc.reason}); save as UTF-8",
        )
        raise Unreadable from None
    return text.removeprefix("\ufeff")


def compile_source(path: Path, source: str, log: ProblemLog) -> bool:
    """Whether a program compiles; a syntax error is recorded with its line.

    Programs and solutions are compiled at load time so an author sees a typo in ``fwlearn
    check``'s problem list, not as a failed run later.
    """
    try:
        compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        log.problem(path, exc.lineno, f"syntax error: {exc.msg}")
        return False
    except ValueError as exc:  # e.g. a NUL byte
        log.problem(path, None, f"cannot compile: {exc}")
        return False
    return True
