"""Watch on save: each side's working file, which the learner edits in their own editor.

Why: editing in $EDITOR worked, but saving there did not re-run (rustlings' watch mode is the
habit people bring). The app's Ctrl+O round trip writes a temporary file that lives only while
the editor runs, so it cannot be watched; with watch on, each side has a *working file* instead,
``<data home>/work/<lesson id>/<the lesson's file name>`` (e.g. ``in_keras.py``), shown to the
learner, kept with the code the app has, and watched: a save there loads into the app and runs
that side (``fwlearn/tui/watch.py``), or verifies the lesson again (``fwlearn verify --watch``).

Polling, not inotify: a ``stat`` of two small files every ``POLL_SECONDS`` costs nothing, needs
no dependency, and sees editors that save by writing a new file and renaming it over the old
one (the inode changes: part of the stamp). A file whose stamp changed is read; only a text that
differs from what was last synced counts as a change, so the app's own writes never echo back.
Textual-free and stdlib only: the CLI uses it without loading the app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fwlearn.paths import data_home

WORK_FOLDER = "work"
POLL_SECONDS = 0.5


def work_file(lesson_id: str, file_name: str, home: Path | None = None) -> Path:
    """Where a side's working file lives (``home``: the data home, ``$FWLEARN_HOME``)."""
    return (home or data_home()) / WORK_FOLDER / lesson_id / file_name


Stamp = tuple[int, int, int]  # inode, size, mtime in ns


@dataclass
class WorkFile:
    """One watched file: the text last written or read (``synced``) and the stat seen then."""

    path: Path
    synced: str | None = None
    stamp: Stamp | None = field(default=None, repr=False)

    def write(self, text: str) -> None:
        """Put ``text`` in the file (the app's code); not reported back as a change."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(text, encoding="utf-8")
        self.synced, self.stamp = text, _stamp(self.path)

    def read(self) -> str | None:
        """The file's text (and it counts as synced), None when it cannot be read."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        self.synced, self.stamp = text, _stamp(self.path)
        return text

    def saved(self) -> str | None:
        """The new text if the file was saved with other text since it was last synced."""
        stamp = _stamp(self.path)
        if stamp is None or stamp == self.stamp:
            return None  # unchanged, or gone for a moment (an editor replacing it)
        previous = self.synced
        text = self.read()
        return text if text is not None and text != previous else None


def _stamp(path: Path) -> Stamp | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


class WorkFiles:
    """The working files of a lesson's sides, by side."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self.files = {side: WorkFile(path) for side, path in paths.items()}

    def start(self, texts: dict[str, str]) -> None:
        """Write each side's code out (the app's code is the truth when watch is turned on)."""
        for side, text in texts.items():
            self.files[side].write(text)

    def adopt(self) -> dict[str, str]:
        """Read the files as they are (``verify --watch`` starts from them); None-free."""
        texts = {side: file.read() for side, file in self.files.items()}
        return {side: text for side, text in texts.items() if text is not None}

    def saved(self) -> dict[str, str]:
        """The sides whose file was saved with new text since the last look."""
        found = {side: file.saved() for side, file in self.files.items()}
        return {side: text for side, text in found.items() if text is not None}

    def mirror(self, side: str, text: str) -> None:
        """The app's code of ``side`` changed: the file follows, unless the file itself was
        saved meanwhile (then ``saved`` reports it and the learner's save wins)."""
        file = self.files[side]
        if text != file.synced and _stamp(file.path) == file.stamp:
            file.write(text)
