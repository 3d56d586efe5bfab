"""Load and validate a lesson pack (the format is lessons/FORMAT.md).

Every problem is reported like a compiler error, ``path:line: message``, and a broken lesson is
skipped while the rest of the pack still loads: a typo in one lesson must not take the course
down, and ``fwlearn check`` should list every problem in one go. ``load_pack`` never raises for
bad content.

Front matter fields are documented where ``_read_front_matter`` parses them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .model import (
    CODE_FILES,
    DEFAULT_TIMEOUT,
    FORMAT_VERSION,
    LESSON_FILE,
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

FRONT_MATTER_FENCE = "+++"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SECTION_MARKER = re.compile(r"^# %%(?P<rest>.*)$")
HEADING = re.compile(r"^## (?P<title>.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s{0,3}(?P<fence>`{3,}|~{3,})")
PITFALL_LABEL = re.compile(r"^\*\*Pitfall:?\*\*:?\s*", re.IGNORECASE)
TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)\s*$")
TOP_KEYS = {"format_version", "id", "title", "order", "summary", "requires", "timeout", "exercise"}
EXERCISE_KEYS = {"task", "hint", "sides", "fails_initially", "solution", "check"}
CHECK_KEYS = {"side", "metric", "fact", "min", "max", "equals"}


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
    builder = _LessonBuilder(folder)
    try:
        lesson = builder.build()
    except Exception as exc:  # a loader bug must not take the pack down
        builder.problem(
            folder / LESSON_FILE, None, f"internal error while loading: {type(exc).__name__}: {exc}"
        )
        lesson = None
    if lesson is None and not builder.problems:  # cannot happen; never fail silently
        builder.problem(folder / LESSON_FILE, None, "internal error: lesson not built")
    if builder.problems:
        return None, builder.problems
    return lesson, []


# -- reading text -------------------------------------------------------------------------------


class _Unreadable(Exception):
    """A file could not be read as UTF-8 text; the problem has already been recorded."""


@dataclass
class _FrontMatter:
    data: dict[str, Any]
    keys: _KeyLines
    body: list[str]
    body_start: int  # lesson.md line of body[0]


@dataclass
class _KeyLines:
    """Where each key of the front matter is, to point a problem at a line.

    tomllib gives no positions, so this scans the TOML text: headers set the current table
    (``[[a.b]]`` numbers its entries: ``("a", "b", 0)``), ``key =`` lines record a path. It is a
    heuristic only used for messages; it falls back to the closest enclosing table.
    """

    offset: int  # lesson.md line of TOML line 1, minus 1
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str, offset: int) -> _KeyLines:
        index = cls(offset)
        table: tuple[Any, ...] = ()
        counters: dict[tuple[str, ...], int] = {}
        in_string: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = re.match(r"^(\[\[?)\s*([^\]]+?)\s*\]\]?", line)
            if header:
                path = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    count = counters.get(path, -1) + 1
                    counters[path] = count
                    table = (*path, count)
                else:
                    table = path
                index.lines.setdefault(table, number)
                continue
            key = re.match(
                r"""^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""",
                line,
            )
            if key:
                index.lines.setdefault((*table, *_split_key(key.group(1))), number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
        return index

    def line(self, *path: Any) -> int:
        """The lesson.md line of ``path`` or of its nearest recorded parent (else the fence)."""
        for end in range(len(path), 0, -1):
            number = self.lines.get(tuple(path[:end]))
            if number is not None:
                return number + self.offset
        return self.offset


def _split_key(text: str) -> list[str]:
    return [
        part.strip().strip("\"'") for part in re.findall(r"""(?:"[^"]*"|'[^']*'|[^.]+)""", text)
    ]


def _read_text(path: Path, problems: _LessonBuilder, what: str = "file") -> str:
    """A file's text; a missing file or invalid UTF-8 is recorded (with the bad byte's line)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        problems.problem(path, None, f"missing {what}")
        raise _Unreadable from None
    except OSError as exc:
        problems.problem(path, None, f"cannot read {what}: {exc.strerror}")
        raise _Unreadable from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.problem(
            path,
            line,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} ({exc.reason}); save as UTF-8",
        )
        raise _Unreadable from None
    return text.removeprefix("\ufeff")


# -- building one lesson ------------------------------------------------------------------------


class _LessonBuilder:
    """Collects every problem of one lesson instead of stopping at the first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.source_path = folder / LESSON_FILE
        self.problems: list[LessonProblem] = []
        self.lesson_id: str | None = None

    def problem(self, path: Path, line: int | None, message: str) -> None:
        self.problems.append(
            LessonProblem(path, line, message, folder=self.folder, lesson_id=self.lesson_id)
        )

    def build(self) -> Lesson | None:
        if not self.source_path.exists():
            self.problem(
                self.source_path,
                None,
                "no lesson.md (every lesson folder needs one; folders starting with _ are ignored)",
            )
            return None
        try:
            text: str | None = _read_text(self.source_path, self, "lesson.md")
        except _Unreadable:
            text = None
        front = self._front_matter(text) if text is not None else None
        fields = self._fields(front) if front is not None else None
        files = self._code_files()
        intro: str = ""
        prose: dict[str, str] = {}
        pitfalls: tuple[Pitfall, ...] = ()
        if front is not None:
            # Without both code files the headings cannot be checked, but pitfalls still can.
            titles = tuple(s.title for s in files["keras"].sections) if files else None
            intro, prose, pitfalls = self._prose(front, titles)
            if not pitfalls:
                self.problem(
                    self.source_path,
                    None,
                    "no pitfall note: add at least one '> **Pitfall:** ...' blockquote",
                )
        if self.problems or fields is None or files is None:
            return None
        return Lesson(
            id=fields["id"],
            title=fields["title"],
            order=fields["order"],
            summary=fields["summary"],
            requires=fields["requires"],
            timeout=fields["timeout"],
            folder=self.folder,
            source_path=self.source_path,
            intro=intro,
            section_prose=prose,
            pitfalls=pitfalls,
            files=files,
            exercise=fields["exercise"],
            format_version=fields["format_version"],
        )

    # -- lesson.md: front matter ----------------------------------------------------------------

    def _front_matter(self, text: str) -> _FrontMatter | None:
        lines = text.splitlines()
        if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
            self.problem(
                self.source_path, 1, "lesson.md must start with a '+++' line (TOML front matter)"
            )
            return None
        close = next(
            (i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE), None
        )
        if close is None:
            self.problem(
                self.source_path, 1, "the front matter is never closed: add a '+++' line after it"
            )
            return None
        toml_text = "\n".join(lines[1:close]) + "\n"
        offset = 1  # TOML line 1 is lesson.md line 2
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            match = TOML_POSITION.search(message)
            line = getattr(exc, "lineno", None)
            if match:
                line = int(match.group("line"))
                message = message[: match.start()] + f" (column {match.group('column')})"
            self.problem(
                self.source_path,
                line + offset if line else None,
                f"bad TOML in the front matter: {message}",
            )
            return None
        keys = _KeyLines.scan(toml_text, offset)
        if isinstance(data.get("id"), str) and ID_PATTERN.match(data["id"]):
            self.lesson_id = data["id"]  # later problems name the lesson
        return _FrontMatter(data, keys, lines[close + 1 :], close + 2)

    def _fields(self, front: _FrontMatter) -> dict[str, Any] | None:
        """Check the front matter against format_version 1 and convert it.

        Top level: ``format_version`` (must be 1), ``id`` (lowercase letters, digits, "-";
        unique in the pack), ``title``, ``order`` (int, position in the course), ``summary``,
        ``requires`` (optional list of ids), ``timeout`` (optional seconds per side, default
        60), ``[exercise]`` (required). Any other key is an error: a typo must not pass silently.
        """
        data, keys = front.data, front.keys
        before = len(self.problems)
        version = data.get("format_version")
        if version is None:
            self.problem(self.source_path, keys.line(), "missing format_version (it must be 1)")
        elif not _is_int(version) or version < 1:
            self.problem(
                self.source_path,
                keys.line("format_version"),
                f"format_version must be {FORMAT_VERSION}, not {version!r}",
            )
        elif version > FORMAT_VERSION:
            self.problem(
                self.source_path,
                keys.line("format_version"),
                f"format_version {version} is newer than this fwlearn understands "
                f"({FORMAT_VERSION}): upgrade fwlearn to use this lesson",
            )
            return None  # its keys may be valid in that version: do not report them
        self._unknown_keys(data, TOP_KEYS, keys, ())
        lesson_id = self._required(data, "id", str, keys)
        if lesson_id is not None and not ID_PATTERN.match(lesson_id):
            self.problem(
                self.source_path,
                keys.line("id"),
                f'id "{lesson_id}" must be lowercase letters, digits and "-" (e.g. "training")',
            )
        title = self._required(data, "title", str, keys)
        if title is not None and not title.strip():
            self.problem(self.source_path, keys.line("title"), "title is empty")
        order = self._required(data, "order", int, keys)
        summary = self._required(data, "summary", str, keys)
        requires = data.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
            self.problem(
                self.source_path, keys.line("requires"), "requires must be a list of lesson ids"
            )
            requires = []
        timeout = data.get("timeout", DEFAULT_TIMEOUT)
        if not _is_number(timeout) or timeout <= 0:
            self.problem(
                self.source_path,
                keys.line("timeout"),
                "timeout must be a positive number of seconds",
            )
            timeout = DEFAULT_TIMEOUT
        exercise = self._exercise(data.get("exercise"), keys)
        if len(self.problems) > before:
            return None
        return {
            "format_version": version,
            "id": lesson_id,
            "title": title,
            "order": order,
            "summary": summary,
            "requires": tuple(requires),
            "timeout": float(timeout),
            "exercise": exercise,
        }

    def _exercise(self, table: Any, keys: _KeyLines) -> Exercise | None:
        """``[exercise]``: ``task``, ``hint`` (required), ``sides`` (the files the learner edits,
        default both), ``fails_initially`` (default false: when true, ``fwlearn check`` verifies
        that the starting code fails the check), ``[exercise.solution]`` (one path per side in
        ``sides``), and one or more ``[[exercise.check]]`` conditions."""
        if table is None:
            self.problem(
                self.source_path,
                keys.line(),
                "missing [exercise] table (task, hint, solution, check)",
            )
            return None
        if not isinstance(table, dict):
            self.problem(self.source_path, keys.line("exercise"), "exercise must be a table")
            return None
        self._unknown_keys(table, EXERCISE_KEYS, keys, ("exercise",))
        task = self._required(table, "task", str, keys, ("exercise",))
        hint = self._required(table, "hint", str, keys, ("exercise",))
        for name, value in (("task", task), ("hint", hint)):
            if value is not None and not value.strip():
                self.problem(
                    self.source_path, keys.line("exercise", name), f"exercise.{name} is empty"
                )
        sides = table.get("sides", list(SIDES))
        if (
            not isinstance(sides, list)
            or not sides
            or not all(s in SIDES for s in sides)
            or len(set(sides)) != len(sides)
        ):
            self.problem(
                self.source_path,
                keys.line("exercise", "sides"),
                f'exercise.sides must list "keras" and/or "pytorch", not {sides!r}',
            )
            sides = list(SIDES)
        sides_t = tuple(s for s in SIDES if s in sides)
        fails_initially = table.get("fails_initially", False)
        if not isinstance(fails_initially, bool):
            self.problem(
                self.source_path,
                keys.line("exercise", "fails_initially"),
                "exercise.fails_initially must be true or false",
            )
        solution = self._solution(table.get("solution"), sides_t, keys)
        checks = self._checks(table.get("check"), sides_t, keys)
        if task is None or hint is None or solution is None or checks is None:
            return None
        return Exercise(task, hint, sides_t, bool(fails_initially), solution, checks)

    def _solution(
        self, table: Any, sides: tuple[str, ...], keys: _KeyLines
    ) -> dict[str, Path] | None:
        where = keys.line("exercise", "solution")
        if table is None:
            self.problem(
                self.source_path,
                keys.line("exercise"),
                "missing [exercise.solution]: one file per side the learner edits",
            )
            return None
        if not isinstance(table, dict):
            self.problem(self.source_path, where, "exercise.solution must be a table")
            return None
        solution: dict[str, Path] = {}
        ok = True
        for side, value in table.items():
            line = keys.line("exercise", "solution", side)
            if side not in SIDES:
                self.problem(
                    self.source_path,
                    line,
                    f'unknown key "{side}" in [exercise.solution] (expected keras or pytorch)',
                )
                ok = False
            elif side not in sides:
                self.problem(
                    self.source_path,
                    line,
                    f"a solution for {side}, but exercise.sides does not include {side}",
                )
                ok = False
            elif not isinstance(value, str) or not value:
                self.problem(self.source_path, line, f"exercise.solution.{side} must be a path")
                ok = False
            else:
                relative = Path(value)
                path = self.folder / relative
                if relative.is_absolute() or ".." in relative.parts:
                    self.problem(
                        self.source_path,
                        line,
                        f"solution path {value!r} must stay in the lesson folder",
                    )
                    ok = False
                elif not path.is_file():
                    self.problem(
                        path, None, f"missing solution file (exercise.solution.{side} in lesson.md)"
                    )
                    ok = False
                else:
                    try:
                        self._compile(path, _read_text(path, self, "solution file"))
                    except _Unreadable:
                        ok = False
                    solution[side] = path
        for side in sides:
            if side not in table:
                self.problem(
                    self.source_path,
                    where,
                    f"missing exercise.solution.{side} (the exercise edits {side})",
                )
                ok = False
        return solution if ok else None

    def _checks(
        self, entries: Any, sides: tuple[str, ...], keys: _KeyLines
    ) -> tuple[Condition, ...] | None:
        """Each ``[[exercise.check]]``: ``side`` (keras | pytorch | both, default both),
        ``metric`` (a final metric, val_/test_ prefixed) or ``fact`` (a report_fact name), and
        ``min`` / ``max`` / ``equals``. All must hold on every side they name."""
        if entries is None:
            self.problem(
                self.source_path,
                keys.line("exercise"),
                "missing [[exercise.check]]: at least one condition that says the exercise is done",
            )
            return None
        if not isinstance(entries, list) or not entries:
            self.problem(
                self.source_path,
                keys.line("exercise", "check"),
                "exercise.check must be one or more [[exercise.check]] tables",
            )
            return None
        conditions: list[Condition] = []
        ok = True
        for number, entry in enumerate(entries):
            path = ("exercise", "check", number)
            line = keys.line(*path)
            if not isinstance(entry, dict):
                self.problem(self.source_path, line, "each exercise.check must be a table")
                ok = False
                continue
            before = len(self.problems)
            self._unknown_keys(entry, CHECK_KEYS, keys, path)
            side = entry.get("side", "both")
            if side not in (*SIDES, "both"):
                self.problem(
                    self.source_path,
                    keys.line(*path, "side"),
                    f"check side must be keras, pytorch or both, not {side!r}",
                )
            elif side != "both" and side not in sides:
                self.problem(
                    self.source_path,
                    keys.line(*path, "side"),
                    f"a check on {side}, but exercise.sides does not include {side}",
                )
            metric, fact = entry.get("metric"), entry.get("fact")
            if (metric is None) == (fact is None):
                self.problem(self.source_path, line, "a check needs exactly one of metric or fact")
            for name, value in (("metric", metric), ("fact", fact)):
                if value is not None and (not isinstance(value, str) or not value):
                    self.problem(
                        self.source_path, keys.line(*path, name), f"check {name} must be a name"
                    )
            low, high, equals = entry.get("min"), entry.get("max"), entry.get("equals")
            if low is None and high is None and equals is None:
                self.problem(self.source_path, line, "a check needs min, max or equals")
            for name, value in (("min", low), ("max", high)):
                if value is not None and not _is_number(value):
                    self.problem(
                        self.source_path, keys.line(*path, name), f"check {name} must be a number"
                    )
            if len(self.problems) > before:
                ok = False
                continue
            conditions.append(
                Condition(
                    side=side,
                    metric=metric,
                    fact=fact,
                    min=None if low is None else float(low),
                    max=None if high is None else float(high),
                    equals=equals,
                )
            )
        return tuple(conditions) if ok else None

    def _required(
        self,
        table: dict[str, Any],
        name: str,
        kind: type,
        keys: _KeyLines,
        path: tuple[str, ...] = (),
    ) -> Any:
        dotted = ".".join((*path, name))
        if name not in table:
            self.problem(self.source_path, keys.line(*path), f"missing required field {dotted}")
            return None
        value = table[name]
        good = _is_int(value) if kind is int else isinstance(value, kind)
        if not good:
            self.problem(
                self.source_path,
                keys.line(*path, name),
                f"{dotted} must be {'an integer' if kind is int else 'a string'}, not {value!r}",
            )
            return None
        return value

    def _unknown_keys(
        self, table: dict[str, Any], allowed: set[str], keys: _KeyLines, path: tuple[Any, ...]
    ) -> None:
        for name in table:
            if name not in allowed:
                where = (
                    "the front matter"
                    if not path
                    else "[" + ".".join(str(p) for p in path if isinstance(p, str)) + "]"
                )
                known = ", ".join(sorted(allowed))
                self.problem(
                    self.source_path,
                    keys.line(*path, name),
                    f'unknown key "{name}" in {where} (known keys: {known})',
                )

    # -- code files -----------------------------------------------------------------------------

    def _code_files(self) -> dict[str, CodeFile] | None:
        files: dict[str, CodeFile] = {}
        for side in SIDES:
            path = self.folder / CODE_FILES[side]
            try:
                source = _read_text(path, self, f"{side} program ({path.name} is required)")
            except _Unreadable:
                continue
            sections = self._sections(path, source)
            self._compile(path, source)
            if sections is not None:
                files[side] = CodeFile(side, path, source, sections)
        if len(files) != len(SIDES):
            return None
        return files if self._sections_match(files["keras"], files["pytorch"]) else None

    def _compile(self, path: Path, source: str) -> bool:
        try:
            compile(source, str(path), "exec", dont_inherit=True)
        except SyntaxError as exc:
            self.problem(path, exc.lineno, f"syntax error: {exc.msg}")
            return False
        except ValueError as exc:  # e.g. a NUL byte
            self.problem(path, None, f"cannot compile: {exc}")
            return False
        return True

    def _sections(self, path: Path, source: str) -> tuple[Section, ...] | None:
        lines = source.splitlines()
        markers: list[tuple[str, int]] = []
        ok = True
        seen: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            match = SECTION_MARKER.match(line.rstrip())
            if not match:
                continue
            rest = match.group("rest")
            title = rest.strip()
            if not title or (rest and not rest[0].isspace()):
                self.problem(path, number, "a section marker needs a title: '# %% Title'")
                ok = False
                continue
            if title in seen:
                self.problem(
                    path, number, f'section "{title}" appears twice (first at line {seen[title]})'
                )
                ok = False
                continue
            seen[title] = number
            markers.append((title, number))
        if not ok:
            return None
        sections = []
        for i, (title, start) in enumerate(markers):
            end = markers[i + 1][1] - 1 if i + 1 < len(markers) else len(lines)
            sections.append(Section(title, start, end))
        return tuple(sections)

    def _sections_match(self, keras: CodeFile, pytorch: CodeFile) -> bool:
        """Both files need the same titles in the same order: the app aligns them by title."""
        for i, (left, right) in enumerate(zip(keras.sections, pytorch.sections), start=1):
            if left.title != right.title:
                self.problem(
                    pytorch.path,
                    right.line,
                    f'section {i} is "{right.title}" but in {keras.path.name} it is "{left.title}" '
                    f"({keras.path.name}:{left.line}); both files need the same sections in the same order",
                )
                return False
        if len(keras.sections) != len(pytorch.sections):
            longer, shorter = (
                (keras, pytorch)
                if len(keras.sections) > len(pytorch.sections)
                else (pytorch, keras)
            )
            extra = longer.sections[len(shorter.sections)]
            self.problem(
                longer.path,
                extra.line,
                f'section "{extra.title}" has no counterpart in {shorter.path.name}; '
                "both files need the same sections in the same order",
            )
            return False
        return True

    # -- lesson.md: prose -----------------------------------------------------------------------

    def _prose(
        self, front: _FrontMatter, titles: tuple[str, ...] | None
    ) -> tuple[str, dict[str, str], tuple[Pitfall, ...]]:
        """Split the body at ``## Title`` headings (outside code fences) and find pitfall notes."""
        chunks: list[tuple[str | None, int, list[str]]] = [(None, front.body_start, [])]
        fence: str | None = None
        heading_lines: dict[str, int] = {}
        for index, line in enumerate(front.body):
            number = front.body_start + index
            fence_match = FENCE.match(line)
            if fence_match:
                marker = fence_match.group("fence")
                if fence is None:
                    fence = marker
                elif marker[0] == fence[0] and len(marker) >= len(fence):
                    fence = None
            heading = HEADING.match(line) if fence is None and not fence_match else None
            if heading:
                title = heading.group("title")
                if titles is not None and title not in titles:
                    known = ", ".join(f'"{t}"' for t in titles) or "none"
                    self.problem(
                        self.source_path,
                        number,
                        f'unknown section "{title}": a "## " heading must name a section of the '
                        f"code files (sections: {known})",
                    )
                elif title in heading_lines:
                    self.problem(
                        self.source_path,
                        number,
                        f'section "{title}" already has prose (line {heading_lines[title]})',
                    )
                else:
                    heading_lines[title] = number
                chunks.append((title, number + 1, []))
                continue
            chunks[-1][2].append(line)
        intro = _clean("\n".join(chunks[0][2]))
        prose = {title: _clean("\n".join(body)) for title, _, body in chunks[1:] if title}
        pitfalls: list[Pitfall] = []
        for title, start, body in chunks:
            pitfalls.extend(_pitfalls(title, start, body))
        return intro, prose, tuple(pitfalls)


def _pitfalls(section: str | None, start: int, lines: list[str]) -> Iterable[Pitfall]:
    """Blockquotes whose first line starts with **Pitfall:** (fenced code is skipped)."""
    fence: str | None = None
    quote: list[str] = []
    quote_start = 0
    for index, line in enumerate([*lines, ""]):
        fence_match = FENCE.match(line)
        if fence_match:
            fence = None if fence else fence_match.group("fence")
        is_quote = fence is None and line.lstrip().startswith(">")
        if is_quote:
            if not quote:
                quote_start = start + index
            quote.append(re.sub(r"^\s*> ?", "", line))
            continue
        if quote:
            label = PITFALL_LABEL.match(quote[0])
            if label:
                text = "\n".join([quote[0][label.end() :], *quote[1:]]).strip()
                yield Pitfall(section, text, quote_start)
            quote = []


def _clean(text: str) -> str:
    return text.strip("\n").rstrip() + ("\n" if text.strip() else "")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
