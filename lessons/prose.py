"""lesson.md's Markdown body: the intro, the prose of each section, and the pitfall notes.

Code fences matter twice: a ``## `` line or a ``> **Pitfall:**`` line inside a fence is code, not
a heading or a note. Both readings use one fence tracker (``fenced``), which follows the
CommonMark rule that a fence closes only with the same character, at least as long, and nothing
after it: a ```` ``` ```` fence is not closed by ``~~~`` (the pitfall scanner used to accept that,
and then read a quote inside the fence as a pitfall).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .model import Pitfall
from .problems import ProblemLog

HEADING = re.compile(r"^## (?P<title>.+?)\s*#*\s*$")
FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
PITFALL_LABEL = re.compile(r"^\*\*Pitfall:?\*\*:?\s*", re.IGNORECASE)


@dataclass
class _Chunk:
    """The lines under one heading (title None: the intro), with their fence flags."""

    title: str | None
    start: int  # lesson.md line of lines[0]
    lines: list[str] = field(default_factory=list)
    code: list[bool] = field(default_factory=list)


def fenced(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it is code: a fence line or a line inside a fence.

    An unclosed fence runs to the end, as in CommonMark.
    """
    flags: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = FENCE.match(line)
        if fence is None:
            if match and not (match["fence"][0] == "`" and "`" in match["info"]):
                fence = match["fence"]
            flags.append(fence is not None)
            continue
        flags.append(True)
        if (
            match
            and match["fence"][0] == fence[0]
            and len(match["fence"]) >= len(fence)
            and not match["info"].strip()
        ):
            fence = None
    return flags


def read_prose(
    body: list[str], body_start: int, titles: tuple[str, ...] | None, log: ProblemLog
) -> tuple[str, dict[str, str], tuple[Pitfall, ...]]:
    """Split the body at ``## Title`` headings outside code and find the pitfall notes.

    ``titles`` are the code files' section titles each heading must name (None: the files did
    not load, so headings are not checked but pitfalls still are). Returns the intro, the prose
    per section title, and the pitfalls in order.
    """
    chunks = [_Chunk(None, body_start)]
    heading_lines: dict[str, int] = {}
    for index, (line, code) in enumerate(zip(body, fenced(body))):
        number = body_start + index
        heading = None if code else HEADING.match(line)
        if heading is None:
            chunks[-1].lines.append(line)
            chunks[-1].code.append(code)
            continue
        title = heading["title"]
        if titles is not None and title not in titles:
            known = ", ".join(f'"{t}"' for t in titles) or "none"
            log.problem(
                log.source_path,
                number,
                f'unknown section "{title}": a "## " heading must name a section of the '
                f"code files (sections: {known})",
            )
        elif title in heading_lines:
            log.problem(
                log.source_path,
                number,
                f'section "{title}" already has prose (line {heading_lines[title]})',
            )
        else:
            heading_lines[title] = number
        chunks.append(_Chunk(title, number + 1))
    intro = _clean("\n".join(chunks[0].lines))
    prose = {c.title: _clean("\n".join(c.lines)) for c in chunks[1:] if c.title}
    pitfalls = tuple(pitfall for chunk in chunks for pitfall in _pitfalls(chunk))
    return intro, prose, pitfalls


def _pitfalls(chunk: _Chunk) -> Iterator[Pitfall]:
    """Blockquotes outside code whose first line starts with **Pitfall:**."""
    quote: list[str] = []
    quote_start = 0
    for index, (line, code) in enumerate(zip([*chunk.lines, ""], [*chunk.code, False])):
        if not code and line.lstrip().startswith(">"):
            if not quote:
                quote_start = chunk.start + index
            quote.append(re.sub(r"^\s*> ?", "", line))
            continue
        if quote:
            label = PITFALL_LABEL.match(quote[0])
            if label:
                text = "\n".join([quote[0][label.end() :], *quote[1:]]).strip()
                yield Pitfall(chunk.title, text, quote_start)
            quote = []


def _clean(text: str) -> str:
    return text.strip("\n").rstrip() + ("\n" if text.strip() else "")
