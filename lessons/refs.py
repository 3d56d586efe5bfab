"""Numbers in the prose bound to runs: the one home of the reference grammar (FORMAT.md, "Numbers
in the prose").

A lesson quotes what its programs report as a reference, not as a typed number, so the prose
cannot drift from the runs unnoticed: ``fwlearn check`` compares each reference with a fresh run
(``fwlearn.prose_check``) and the app renders it from the recorded values (``recorded``)::

    {keras.metric.val_accuracy:.3f}          the starting keras program's final val_accuracy
    {solution.pytorch.fact.test_mse:.4f}     a fact of the pytorch solution's run
    {keras.metric.val_loss@adam:.3f}         the run labelled "adam" (fwlearn.run_label)
    {keras@torch.fact.padding_effect:.2f}    pinned to the torch Keras backend
    {~keras.fact.ms_per_step:.1f}            a value that varies from run to run (a timing)
    {article:0.01}  {literal:0.85}           quoted from a seed article / a deliberate literal
    {{  }}                                   literal braces

References never apply inside code spans or fences (Python's ``{x}`` in code stays code). Any
other ``{`` or ``}`` in the prose is a malformed reference, reported by the loader at its line,
as ``str.format`` refuses a stray brace: a typo such as ``{keras.metrc.loss}`` must not reach
the learner as raw text. A decimal with two or more digits after the point, outside code and
outside a reference, is a number nobody checks: ``bare_decimals`` finds them for ``check``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fwlearn.engine.spec import KERAS_BACKENDS

from .frontmatter import FrontMatter
from .model import SIDES
from .prose import fenced
from .values import is_number, same_value

PROGRAMS = ("start", "solution")
KINDS = ("metric", "fact")
QUOTES = {"article": "article", "literal": ""}  # kind -> the mark shown after the value
DEFAULT_FORMAT = ".4g"
NOT_RECORDED = "(not recorded)"

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
RUN_REF = re.compile(
    rf"""^(?P<varies>~)?(?:(?P<program>solution)\.)?
    (?P<side>{_NAME})(?:@(?P<backend>{_NAME}))?
    \.(?P<kind>{_NAME})
    \.(?P<name>{_NAME})(?:@(?P<label>[A-Za-z0-9_.-]+))?
    (?::(?P<format>.*))?$""",
    re.VERBOSE,
)
QUOTE_REF = re.compile(r"^(?P<kind>article|literal):(?P<text>.*\d.*)$")
BARE_DECIMAL = re.compile(r"(?<![\w.])\d*\.\d{2,}(?!\w|\.\d)")
LINK_TARGET = re.compile(r"\]\([^)\s]*\)|<[a-z]+://[^>\s]*>")
BACKTICKS = re.compile(r"`+")
BLANK_LINE = re.compile(r"\n[ \t]*\n")
BRACE = re.compile(r"[{}]")
BRACE_OR_EOL = re.compile(r"[{}\n]")


class Missing:
    """No value: the run did not report it, or nothing was recorded."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


@dataclass(frozen=True)
class Reference:
    """One ``{...}`` in the prose: a run value (``kind`` metric/fact) or a quoted number.

    ``backend`` is the Keras backend the reference is pinned to (None: the one being shown or
    checked); ``label`` a run label (None: the rule a check without ``run`` follows).
    ``quoted`` is the text of an ``article``/``literal`` reference, shown as written.
    ``varies``: a ``~`` reference, a value no two runs repeat (a time, a speed-up): the prose
    shows the recorded run's value, and ``check`` requires the run to report it but does not
    compare the two (a timing recorded on one machine is no bound for another).
    """

    line: int
    text: str  # as written, braces included, e.g. "{keras.metric.val_accuracy:.3f}"
    kind: str  # metric | fact | article | literal
    side: str | None = None
    program: str = "start"
    backend: str | None = None
    name: str = ""
    label: str | None = None
    format: str = DEFAULT_FORMAT
    quoted: str = ""
    varies: bool = False

    @property
    def from_run(self) -> bool:
        return self.kind in KINDS

    def show(self, value: object) -> str:
        """``value`` with the reference's format (a list or a string as it is)."""
        if value is MISSING:
            return NOT_RECORDED
        if is_number(value):
            return format(value, self.format)
        return str(value)


@dataclass(frozen=True)
class Malformed:
    """A brace that is not a valid reference, at lesson.md ``line``."""

    line: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"malformed reference {self.text}: {self.reason}"


@dataclass(frozen=True)
class Piece:
    """A run of text that is all code or all prose; ``line`` is the line of its first char."""

    text: str
    code: bool
    line: int


def pieces(text: str, first_line: int = 1) -> list[Piece]:
    """Split Markdown into code (fences, code spans) and prose, keeping every character.

    Fences follow ``prose.fenced`` (the rule the section reader uses); a code span is a run of
    n backticks closed by the next run of exactly n before a blank line, as in CommonMark;
    an unclosed run is literal text.
    """
    lines = text.split("\n")
    out: list[Piece] = []
    block: list[str] = []
    block_line = first_line
    for index, (line, code) in enumerate(zip(lines, fenced(lines))):
        end = "\n" if index < len(lines) - 1 else ""
        if code:
            out.extend(_spans("".join(block), block_line))
            block = []
            out.append(Piece(line + end, True, first_line + index))
            block_line = first_line + index + 1
        else:
            block.append(line + end)
    out.extend(_spans("".join(block), block_line))
    return [piece for piece in out if piece.text]


def _spans(text: str, line: int) -> Iterator[Piece]:
    position = start = 0
    while True:
        opening = BACKTICKS.search(text, position)
        if opening is None:
            break
        width = len(opening.group())
        limit = BLANK_LINE.search(text, opening.end())
        stop = limit.start() if limit else len(text)
        closing = next(
            (m for m in BACKTICKS.finditer(text, opening.end(), stop) if len(m.group()) == width),
            None,
        )
        if closing is None:
            position = opening.end()
            continue
        yield Piece(text[start : opening.start()], False, line + text.count("\n", 0, start))
        yield Piece(
            text[opening.start() : closing.end()],
            True,
            line + text.count("\n", 0, opening.start()),
        )
        position = start = closing.end()
    yield Piece(text[start:], False, line + text.count("\n", 0, start))


Token = tuple[int, int, "Reference | Malformed | str"]  # (start, end, what) in a prose piece


def _tokens(piece: Piece) -> Iterator[Token]:
    """The braces of a prose piece: an escaped brace (its literal text), a reference, or an error."""
    text, position = piece.text, 0
    while True:
        match = BRACE.search(text, position)
        if match is None:
            return
        at = match.start()
        line = piece.line + text.count("\n", 0, at)
        if text.startswith(("{{", "}}"), at):
            yield at, at + 2, text[at]
            position = at + 2
            continue
        if text[at] == "}":
            yield at, at + 1, Malformed(line, "}", "a lone '}' (write '}}' for a brace)")
            position = at + 1
            continue
        close = BRACE_OR_EOL.search(text, at + 1)
        if close is None or text[close.start()] != "}":
            yield (
                at,
                at + 1,
                Malformed(line, "{", "a '{' without its '}' on the line (write '{{' for a brace)"),
            )
            position = at + 1
            continue
        yield at, close.end(), parse(text[at : close.end()], line)
        position = close.end()


def parse(text: str, line: int) -> Reference | Malformed:
    """One ``{...}`` (braces included) as a Reference, or why it is not one."""
    inner = text[1:-1]
    quote = QUOTE_REF.match(inner)
    if quote:
        return Reference(line, text, quote["kind"], quoted=quote["text"])
    if inner.startswith(tuple(f"{kind}:" for kind in QUOTES)):
        return Malformed(line, text, "a quoted number must contain digits, e.g. {article:0.01}")
    match = RUN_REF.match(inner)
    if match is None:
        return Malformed(line, text, _expected())
    side, backend, kind = match["side"], match["backend"], match["kind"]
    if side not in SIDES:
        return Malformed(line, text, f'unknown side "{side}" ({_expected()})')
    if kind not in KINDS:
        return Malformed(line, text, f'unknown kind "{kind}" (metric or fact)')
    if backend is not None and (side != "keras" or backend not in KERAS_BACKENDS):
        return Malformed(
            line,
            text,
            f'"@{backend}": only keras takes a backend ({", ".join(KERAS_BACKENDS)})',
        )
    spec = match["format"] if match["format"] is not None else DEFAULT_FORMAT
    try:
        format(1.5, spec)
    except (ValueError, TypeError) as exc:
        return Malformed(line, text, f'bad format spec ":{spec}" ({exc})')
    return Reference(
        line,
        text,
        kind,
        side=side,
        program="solution" if match["program"] else "start",
        backend=backend,
        name=match["name"],
        label=match["label"],
        format=spec,
        varies=match["varies"] is not None,
    )


def _expected() -> str:
    return (
        "expected {[~][solution.]keras|pytorch[@backend].metric|fact.NAME[@run][:format]}, "
        "{article:NUMBER} or {literal:NUMBER}"
    )


def scan(text: str, first_line: int = 1) -> tuple[list[Reference], list[Malformed]]:
    """Every reference in ``text`` (whose first line is ``first_line``) and every bad brace."""
    references: list[Reference] = []
    malformed: list[Malformed] = []
    for piece in pieces(text, first_line):
        if piece.code:
            continue
        for _start, _end, what in _tokens(piece):
            if isinstance(what, Reference):
                references.append(what)
            elif isinstance(what, Malformed):
                malformed.append(what)
    return references, malformed


def bare_decimals(text: str, first_line: int = 1) -> list[tuple[int, str]]:
    """(line, number) of each decimal with 2+ digits after the point that no reference binds.

    Code, references and link targets are skipped (a URL's "2.13" is no claim about a run).
    """
    found: list[tuple[int, str]] = []
    for piece in pieces(text, first_line):
        if piece.code:
            continue
        prose = list(piece.text)
        for start, end, _what in _tokens(piece):
            prose[start:end] = " " * (end - start)
        plain = LINK_TARGET.sub(lambda m: " " * len(m.group()), "".join(prose))
        for match in BARE_DECIMAL.finditer(plain):
            found.append((piece.line + plain.count("\n", 0, match.start()), match.group()))
    return found


ValueOf = Callable[[Reference], object]  # MISSING when there is none


def render(text: str, recorded: ValueOf, yours: ValueOf | None = None) -> str:
    """``text`` with each reference replaced by its value: what the learner reads.

    ``recorded`` gives the reference run's value (MISSING: "(not recorded)"), ``yours`` the
    learner's own run's, shown beside it ("0.969 (yours: 0.955)") when there is one. A quoted
    number is shown as written, an article's marked as such. A malformed brace (the loader
    refuses such a lesson) is left as written.
    """
    out: list[str] = []
    for piece in pieces(text):
        if piece.code:
            out.append(piece.text)
            continue
        position = 0
        for start, end, what in _tokens(piece):
            out.append(piece.text[position:start])
            position = end
            if isinstance(what, str):
                out.append(what)
            elif isinstance(what, Malformed):
                out.append(piece.text[start:end])
            else:
                out.append(_shown(what, recorded, yours))
        out.append(piece.text[position:])
    return "".join(out)


def _shown(reference: Reference, recorded: ValueOf, yours: ValueOf | None) -> str:
    if not reference.from_run:
        mark = QUOTES[reference.kind]
        return f"{reference.quoted} ({mark})" if mark else reference.quoted
    shown = reference.show(recorded(reference))
    mine = yours(reference) if yours is not None else MISSING
    if mine is not MISSING:
        shown += f" (yours: {reference.show(mine)})"
    return shown


def agree(reference: Reference, recorded: object, fresh: object, tolerance: float) -> bool:
    """Whether a fresh run still says what the prose quotes: the same text once formatted as
    the reference formats it, or numbers within ``tolerance`` of each other (relative)."""
    if reference.show(recorded) == reference.show(fresh):
        return True
    if is_number(recorded) and is_number(fresh):
        return math.isclose(recorded, fresh, rel_tol=tolerance)
    return same_value(recorded, fresh)


def front_texts(front: FrontMatter) -> list[tuple[str, int]]:
    """The texts of a lesson that may hold references, each with its first lesson.md line:
    the Markdown body, and the exercise's task and hint (a ``\"\"\"`` string starts on the line
    after its key, as TOML drops that first newline)."""
    texts = [("\n".join(front.body), front.body_start)]
    exercise = front.data.get("exercise")
    if isinstance(exercise, dict):
        for key in ("task", "hint"):
            value = exercise.get(key)
            if isinstance(value, str):
                line = front.keys.line("exercise", key)
                raw = front.source_line(line).rstrip()
                opens_alone = raw.endswith(('= """', "= '''"))
                texts.append((value, line + 1 if opens_alone else line))
    return texts


def malformed_in(front: FrontMatter) -> list[Malformed]:
    """Every bad brace of a lesson (the loader reports each at its line)."""
    return [bad for text, line in front_texts(front) for bad in scan(text, line)[1]]
