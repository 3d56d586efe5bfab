"""The external-editor round trip (Ctrl+O): write the code out, hand the terminal to $EDITOR,
read the result back. Its own module because none of it is lesson logic or layout: the lesson
screen only says which text, which line, and what to do with the answer.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, SuspendNotSupported

from fwlearn.tui.widgets.side_pane import SidePane

# Editors that open a file at a line with ``+N`` / with ``-g FILE:N`` (and need ``--wait``).
PLUS_LINE_EDITORS = {"vi", "vim", "vim.basic", "vim.tiny", "nvim", "nano", "emacs", "micro"}
PLUS_LINE_EDITORS |= {"emacsclient", "view", "gvim"}
GOTO_EDITORS = {"code", "codium", "code-insiders"}


@dataclass(frozen=True)
class Edited:
    """How a round trip ended: the new text (None: keep the code), the editor's name, and
    what went wrong in words (``usage``: $EDITOR itself is not a usable command)."""

    text: str | None
    editor: str = ""
    problem: str | None = None
    usage: bool = False


def editor_command() -> str:
    return os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"


def editor_argv(command: str, path: Path, line: int) -> list[str]:
    """The command line that opens ``path`` at ``line`` in ``command`` ($EDITOR, which may
    carry options: ``"code --wait"``); an unknown editor just gets the file. ValueError when
    the command is empty or not shell-quoted properly."""
    argv = shlex.split(command)
    if not argv:
        raise ValueError("it is empty")
    name = Path(argv[0]).name
    if name in PLUS_LINE_EDITORS:
        return [*argv, f"+{line}", str(path)]
    if name in GOTO_EDITORS:
        wait = [] if {"-w", "--wait"} & set(argv) else ["--wait"]
        return [*argv, *wait, "-g", f"{path}:{line}"]
    return [*argv, str(path)]


def run_editor(argv: list[str]) -> str | None:
    """Run the editor to its end; what went wrong in words, or None when it exited with 0.

    A non-zero exit (vim's ``:cq``) means "do not take this": the caller keeps the code."""
    name = Path(argv[0]).name
    try:
        result = subprocess.run(argv, check=False)
    except FileNotFoundError:
        return (
            f"No editor {argv[0]!r} here. Set $EDITOR (or $VISUAL) to an installed one, "
            "e.g. EDITOR=nano; your code is unchanged."
        )
    except OSError as exc:
        return f"Could not start {argv[0]!r}: {exc.strerror or exc}; your code is unchanged."
    if result.returncode != 0:
        return f"{name} exited with status {result.returncode}; your code is unchanged."
    return None


def run_suspended(app: App[object], argv: list[str]) -> str | None:
    """Run the editor with the terminal handed over; what went wrong, or None.

    Everything is caught *inside* ``suspend()``: an exception escaping it skips Textual's
    resume, and the app stayed suspended (blank screen, keys echoed raw) with a missing
    editor. A headless app (tests) has no terminal to hand over, so the editor just runs.
    """
    if app.is_headless:
        return run_editor(argv)
    try:
        with app.suspend():
            problem = run_editor(argv)
    except SuspendNotSupported:
        return "This terminal cannot hand the screen to an external editor."
    return problem


def edit_externally(app: App[object], text: str, filename: str, line: int) -> Edited:
    """Edit ``text`` as ``filename`` in $VISUAL/$EDITOR at ``line``; the file lives only for
    the round trip."""
    command = editor_command()
    with tempfile.TemporaryDirectory(prefix="fwlearn-edit-") as folder:
        path = Path(folder) / filename
        path.write_text(text, encoding="utf-8")
        try:
            argv = editor_argv(command, path, line)
        except ValueError as exc:
            usage = f"$EDITOR is not a usable command ({exc}): {command!r}"
            return Edited(None, problem=usage, usage=True)
        problem = run_suspended(app, argv)
        if problem:
            return Edited(None, Path(argv[0]).name, problem)
        return Edited(path.read_text(encoding="utf-8"), Path(argv[0]).name)


def edit_side(app: App[object], pane: SidePane, filename: str, line: int) -> bool:
    """The lesson's Ctrl+O: edit ``pane``'s code as ``filename`` at ``line`` and load the result
    into it; failures become a notification. True when the code changed (the caller saves)."""
    edited = edit_externally(app, pane.text, filename, line)
    if edited.problem:
        timeout = app.NOTIFICATION_TIMEOUT if edited.usage else 10
        app.notify(edited.problem, title="Editor", severity="error", timeout=timeout, markup=False)
        return False
    if edited.text is None or edited.text == pane.text:
        return False
    pane.code.load(edited.text)
    pane.code.show_line(line)
    app.notify(f"{pane.label} code updated from {edited.editor}.")
    return True
