"""Which log lines are framework internals, and folding them under one line.

After an exception the learner needs their own frames and the error; the frames inside keras,
torch or the standard library, and the C++ log lines TensorFlow writes to stderr
(``W0000 00:00:1733… 123 local_rendezvous.cc:412] …``), pushed exactly those off a 3-line log at
80x24. ``LineFolder`` replaces each run of such lines with one "… N framework lines hidden"
line. It is fed batch by batch, as the log flushes, so it keeps its place inside a traceback
between batches. Pure text in, text out: no textual here.
"""

from __future__ import annotations

import re
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import fwlearn.engine

# absl (TF 2.16+): "W0000 00:00:1733077000.123456   12345 local_rendezvous.cc:412] ..."
# older TF: "2024-12-01 20:15:00.123456: W tensorflow/core/...cc:123] ..."
NATIVE_LOG = re.compile(
    r"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+\s+\S+:\d+\]"
    r"|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWEF] \S+:\d+\]"
    r"|WARNING: All log messages before absl::InitializeLog)"
)
TRACEBACK_START = "Traceback (most recent call last):"
FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+')
PLACEHOLDER_MARK = "  … "
_ENGINE_DIR = str(Path(fwlearn.engine.__file__).resolve().parent)
_INTERNAL_ROOTS = tuple(
    {
        str(Path(p).resolve())
        for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"])
    }
    | {_ENGINE_DIR}
)


def is_internal_path(path: str) -> bool:
    """A frame in an installed package, the standard library or fwlearn's engine: not the
    learner's code (a helper module next to the lesson is theirs, and stays)."""
    if path.startswith("<") or "site-packages" in path or "dist-packages" in path:
        return True
    return path.startswith(_INTERNAL_ROOTS)


def placeholder(count: int, key: str) -> str:
    noun = "line" if count == 1 else "lines"
    return f"{PLACEHOLDER_MARK}{count} framework {noun} hidden ({key} shows them)"


def is_placeholder(line: str) -> bool:
    return line.startswith(PLACEHOLDER_MARK) and "framework line" in line


@dataclass
class LineFolder:
    """Stateful: a traceback can span two batches. ``key`` is named in the placeholder."""

    key: str = "f"
    in_traceback: bool = False
    in_internal_frame: bool = False
    hidden: int = 0  # hidden lines in the run that is open at the end of the last batch
    total_hidden: int = 0

    def reset(self) -> None:
        self.in_traceback = self.in_internal_frame = False
        self.hidden = self.total_hidden = 0

    def feed(self, lines: Iterable[str]) -> list[str] | None:
        """The lines to show for ``lines``; an open run of hidden lines ends the result as a
        placeholder. None when the batch continues the run the previous batch's placeholder
        stands for: the caller re-folds everything so that one line counts it all."""
        shown: list[str] = []
        emitted = self.hidden > 0  # the last batch ended in the placeholder of an open run
        for line in lines:
            if self._hide(line):
                if emitted:
                    return None
                self.hidden += 1
                self.total_hidden += 1
                continue
            if self.hidden and not emitted:
                shown.append(placeholder(self.hidden, self.key))
            self.hidden, emitted = 0, False
            shown.append(line)
        if self.hidden and not emitted:
            shown.append(placeholder(self.hidden, self.key))
        return shown

    def _hide(self, line: str) -> bool:
        if NATIVE_LOG.match(line):
            return True
        if line.startswith(TRACEBACK_START):
            self.in_traceback, self.in_internal_frame = True, False
            return False
        if not self.in_traceback:
            return False
        frame = FRAME.match(line)
        if frame:
            self.in_internal_frame = is_internal_path(frame.group("path"))
            return self.in_internal_frame
        if line.startswith(" "):  # a frame's source line, its ^^^ marks, "[Previous line …]"
            return self.in_internal_frame
        self.in_traceback = self.in_internal_frame = False  # the exception line ends it
        return False


def fold_all(lines: Iterable[str], key: str = "f") -> tuple[list[str], LineFolder]:
    """Fold a whole log from scratch; the folder is returned to continue from."""
    folder = LineFolder(key=key)
    shown = folder.feed(lines)
    assert shown is not None  # a fresh folder has no open run to continue
    return shown, folder
