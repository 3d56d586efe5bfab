"""The section grammar of a code file: percent cells, a line ``# %% Title``.

One grammar for two readers. The loader reads an author's file and is strict: it reports a
marker without a title or glued to ``%%`` (``# %%Title``), and a title used twice. The lesson
screen searches the learner's *edited* text to put the cursor on a section, and must keep
finding it through small damage: there ``section_line`` accepts any marker whose stripped title
matches, malformed or not. Both go through ``find_markers``, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECTION_MARKER = re.compile(r"^# %%(?P<rest>.*)$")


@dataclass(frozen=True)
class Marker:
    """One ``# %%`` line: its 1-based number, its title (stripped) and whether it is valid.

    ``well_formed`` is what the loader requires: a title, separated from ``%%`` by whitespace.
    """

    line: int
    title: str
    well_formed: bool


def find_markers(text: str) -> list[Marker]:
    """Every line starting with ``# %%``, in order, well-formed or not."""
    markers: list[Marker] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = SECTION_MARKER.match(line.rstrip())
        if match is None:
            continue
        rest = match.group("rest")
        title = rest.strip()
        markers.append(Marker(number, title, bool(title) and rest[0].isspace()))
    return markers


def section_line(text: str, title: str | None) -> int | None:
    """1-based line of the first ``# %% title`` marker in ``text`` (None: no such marker, e.g.
    the learner deleted it). Lenient on purpose: ``# %%Train`` still finds "Train"."""
    if title is None:
        return None
    return next((m.line for m in find_markers(text) if m.title == title), None)
