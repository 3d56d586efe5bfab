"""lesson.md's TOML front matter: finding it, locating its keys, and its top-level fields.

tomllib parses the TOML but gives no positions, so ``KeyLines`` scans the text to point each
problem at a line. The ``[exercise]`` table is read by ``fwlearn.lessons.exercise_fields`` with
the helpers here (``required``, ``unknown_keys``).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .model import DEFAULT_PROSE_TOLERANCE, FORMAT_VERSION, LESSON_TIMEOUT, RESERVED_NAMES
from .problems import ProblemLog
from .values import is_finite_number, is_int, is_number

FRONT_MATTER_FENCE = "+++"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOML_POSITION = re.compile(r"\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)\s*$")
TOP_KEYS = {
    "format_version",
    "id",
    "title",
    "order",
    "summary",
    "requires",
    "timeout",
    "exercise",
    "data",
    "prose_tolerance",
    "keras_backends",  # read by keras_backends.py
    "pinned_keras_backend",  # read by keras_backends.py
}
TABLE_HEADER = re.compile(r"^(\[\[?)\s*([^\]]+?)\s*\]\]?")
KEY = re.compile(
    r"""^((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
KeyPath = tuple[str | int, ...]


@dataclass
class KeyLines:
    """Where each key of the front matter is, to point a problem at a line.

    The scan is line based: headers set the current table (``[[a.b]]`` numbers its entries:
    ``("a", "b", 0)``), ``key =`` lines record a path. It is a heuristic only used for messages;
    it falls back to the closest enclosing table.
    """

    offset: int  # lesson.md line of TOML line 1, minus 1
    lines: dict[KeyPath, int] = field(default_factory=dict)

    @classmethod
    def scan(cls, text: str, offset: int) -> KeyLines:
        """Index the keys of ``text``, whose line 1 is lesson.md line ``offset + 1``."""
        index = cls(offset)
        table: KeyPath = ()
        counters: dict[KeyPath, int] = {}
        in_string: str | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = TABLE_HEADER.match(line)
            if header:
                path: KeyPath = tuple(_split_key(header.group(2)))
                if header.group(1) == "[[":
                    count = counters.get(path, -1) + 1
                    counters[path] = count
                    table = (*path, count)
                else:
                    table = path
                index.lines.setdefault(table, number)
                continue
            key = KEY.match(line)
            if key:
                index.lines.setdefault((*table, *_split_key(key.group(1))), number)
                rest = line[key.end() :]
                for quote in ('"""', "'''"):
                    if rest.count(quote) % 2 == 1:
                        in_string = quote
        return index

    def line(self, *path: str | int) -> int:
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


@dataclass
class FrontMatter:
    """The parsed TOML, where its keys are, and the Markdown body after the closing fence."""

    data: dict[str, Any]
    keys: KeyLines
    body: list[str]
    body_start: int  # lesson.md line of body[0]
    head: list[str] = field(default_factory=list)  # lesson.md's lines up to the closing fence

    def source_line(self, number: int) -> str:
        """lesson.md line ``number`` of the front matter ("" past it)."""
        return self.head[number - 1] if 0 < number <= len(self.head) else ""


@dataclass(frozen=True)
class TopFields:
    """The top-level fields, checked and converted (the exercise is read separately)."""

    format_version: int
    id: str
    title: str
    order: int
    summary: str
    requires: tuple[str, ...]
    timeout: float
    data: tuple[str, ...] = ()
    prose_tolerance: float = DEFAULT_PROSE_TOLERANCE


def read_front_matter(text: str, log: ProblemLog) -> FrontMatter | None:
    """The TOML between the two ``+++`` lines at the top, or None (the problem is recorded)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        log.problem(
            log.source_path, 1, "lesson.md must start with a '+++' line (TOML front matter)"
        )
        return None
    close = next((i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE), None)
    if close is None:
        log.problem(
            log.source_path, 1, "the front matter is never closed: add a '+++' line after it"
        )
        return None
    toml_text = "\n".join(lines[1:close]) + "\n"
    offset = 1  # TOML line 1 is lesson.md line 2
    try:
        data = tomllib.loads(toml_text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = TOML_POSITION.search(message)
        line: int | None = getattr(exc, "lineno", None)
        if match:
            line = int(match.group("line"))
            message = message[: match.start()] + f" (column {match.group('column')})"
        log.problem(
            log.source_path,
            line + offset if line else None,
            f"bad TOML in the front matter: {message}",
        )
        return None
    keys = KeyLines.scan(toml_text, offset)
    lesson_id = data.get("id")
    if isinstance(lesson_id, str) and ID_PATTERN.match(lesson_id):
        log.lesson_id = lesson_id  # later problems name the lesson
    return FrontMatter(data, keys, lines[close + 1 :], close + 2, lines[: close + 1])


def read_top_fields(front: FrontMatter, log: ProblemLog) -> TopFields | None:
    """Check the top level against format_version 1 and convert it.

    ``format_version`` (must be 1), ``id`` (lowercase letters, digits, "-"; unique in the pack),
    ``title``, ``order`` (int, position in the course), ``summary``, ``requires`` (optional list
    of ids), ``timeout`` (optional seconds per side, default 60; finite: a NaN timeout would
    never fire), ``[exercise]`` (required, read elsewhere). Any other key is an error: a typo
    must not pass silently. None when a field is wrong, or when the lesson is in a newer format
    (its keys may be valid there, so they are not judged: one problem says to upgrade).
    """
    data, keys, source = front.data, front.keys, log.source_path
    before = len(log)
    version = data.get("format_version")
    if version is None:
        log.problem(source, keys.line(), "missing format_version (it must be 1)")
    elif not is_int(version) or version < 1:
        log.problem(
            source,
            keys.line("format_version"),
            f"format_version must be {FORMAT_VERSION}, not {version!r}",
        )
    elif newer_format(front):
        log.problem(
            source,
            keys.line("format_version"),
            f"format_version {version} is newer than this fwlearn understands "
            f"({FORMAT_VERSION}): upgrade fwlearn to use this lesson",
        )
        return None
    unknown_keys(data, TOP_KEYS, keys, (), log)
    lesson_id = required(data, "id", str, keys, log)
    if lesson_id is not None and not ID_PATTERN.match(lesson_id):
        log.problem(
            source,
            keys.line("id"),
            f'id "{lesson_id}" must be lowercase letters, digits and "-" (e.g. "training")',
        )
    title = required(data, "title", str, keys, log)
    if title is not None and not title.strip():
        log.problem(source, keys.line("title"), "title is empty")
    order = required(data, "order", int, keys, log)
    summary = required(data, "summary", str, keys, log)
    requires = data.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        log.problem(source, keys.line("requires"), "requires must be a list of lesson ids")
        requires = []
    timeout = data.get("timeout", LESSON_TIMEOUT)
    if not is_finite_number(timeout) or timeout <= 0:
        shown = f", not {timeout!r}" if is_number(timeout) else ""
        log.problem(
            source,
            keys.line("timeout"),
            f"timeout must be a positive number of seconds{shown}",
        )
        timeout = LESSON_TIMEOUT
    data_entries = read_data(front, log)
    tolerance = data.get("prose_tolerance", DEFAULT_PROSE_TOLERANCE)
    if not is_finite_number(tolerance) or not 0 <= tolerance < 1:
        log.problem(
            source,
            keys.line("prose_tolerance"),
            "prose_tolerance must be a relative tolerance between 0 and 1 "
            f"(e.g. 0.02 for 2%), not {tolerance!r}",
        )
        tolerance = DEFAULT_PROSE_TOLERANCE
    if len(log) > before or not is_int(version):
        return None
    if lesson_id is None or title is None or order is None or summary is None:
        return None  # cannot happen: each None above recorded a problem
    return TopFields(
        version,
        lesson_id,
        title,
        order,
        summary,
        tuple(requires),
        float(timeout),
        data=data_entries,
        prose_tolerance=float(tolerance),
    )


def read_data(front: FrontMatter, log: ProblemLog) -> tuple[str, ...]:
    """``data = ["points.csv", "images/"]``: what a run's working directory gets besides the program.

    Each entry must be a relative path that stays inside the lesson folder (no ``..``, no
    absolute path, no link leading out: a run copies what it names, and a pack must not reach
    into the author's home) and that exists, so a typo fails at load time and not as a
    FileNotFoundError in the learner's run. The lesson's own files (lesson.md, the programs,
    ``solution/``, ``wrong/``, reference.json) cannot be data: a run must not see them.
    """
    raw = front.data.get("data", [])
    where = front.keys.line("data")
    if not isinstance(raw, list) or not all(isinstance(entry, str) for entry in raw):
        log.problem(log.source_path, where, 'data must be a list of paths, e.g. ["points.csv"]')
        return ()
    folder = log.folder.resolve()
    entries: list[str] = []
    for entry in raw:
        parts = PurePosixPath(entry.replace("\\", "/")).parts
        name = "/".join(part for part in parts if part != ".")
        if not name or entry.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            log.problem(
                log.source_path,
                where,
                f'data entry "{entry}" must be a path inside the lesson folder (no "..", '
                "not absolute)",
            )
        elif parts[0] in RESERVED_NAMES:
            log.problem(
                log.source_path,
                where,
                f'data entry "{entry}" is part of the lesson itself, not data for its runs',
            )
        elif name in entries:
            log.problem(log.source_path, where, f'data entry "{entry}" is listed twice')
        elif not (log.folder / name).exists():
            log.problem(
                log.source_path, where, f'data entry "{entry}": no such file in {log.folder}'
            )
        elif not (log.folder / name).resolve().is_relative_to(folder):
            log.problem(
                log.source_path,
                where,
                f'data entry "{entry}" leads outside the lesson folder (a link?)',
            )
        else:
            entries.append(name)
    return tuple(entries)


def newer_format(front: FrontMatter) -> bool:
    """Whether the lesson declares a format_version newer than this fwlearn understands."""
    version = front.data.get("format_version")
    return is_int(version) and version > FORMAT_VERSION


def required(
    table: dict[str, Any],
    name: str,
    kind: type[Any],
    keys: KeyLines,
    log: ProblemLog,
    path: tuple[str, ...] = (),
) -> Any:
    """``table[name]`` when it is there with the right type (str or int), else None (recorded)."""
    dotted = ".".join((*path, name))
    if name not in table:
        log.problem(log.source_path, keys.line(*path), f"missing required field {dotted}")
        return None
    value = table[name]
    good = is_int(value) if kind is int else isinstance(value, kind)
    if not good:
        log.problem(
            log.source_path,
            keys.line(*path, name),
            f"{dotted} must be {'an integer' if kind is int else 'a string'}, not {value!r}",
        )
        return None
    return value


def unknown_keys(
    table: dict[str, Any], allowed: set[str], keys: KeyLines, path: KeyPath, log: ProblemLog
) -> None:
    """Record every key of ``table`` not in ``allowed`` (a typo must not be silently ignored)."""
    for name in table:
        if name not in allowed:
            where = (
                "the front matter"
                if not path
                else "[" + ".".join(str(p) for p in path if isinstance(p, str)) + "]"
            )
            known = ", ".join(sorted(allowed))
            log.problem(
                log.source_path,
                keys.line(*path, name),
                f'unknown key "{name}" in {where} (known keys: {known})',
            )
