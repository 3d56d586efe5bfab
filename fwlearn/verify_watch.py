"""``fwlearn verify LESSON --watch``: verify again each time a side's file is saved.

rustlings' watch mode, headless, and the same files as the app's watch on save
(``fwlearn/workfiles.py``): each side's working file under ``<data home>/work/<lesson>/``, made
from the learner's saved edit (else the starting file) when it does not exist yet, or the files
given with ``--keras``/``--pytorch``. Each round is a plain ``fwlearn verify`` of those files
(``cmd_verify.verify_main``, so the verdict is the app's); a saved working file also becomes the
learner's saved edit, so the app opens what was verified. Ctrl+C ends it (exit 130, as any
interrupted command); the last verdict is the exit status otherwise (``rounds``, for tests).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from fwlearn.console import display_path
from fwlearn.frameworks import SIDES
from fwlearn.lessons import Lesson
from fwlearn.packs import find_lesson, open_pack
from fwlearn.store import Store
from fwlearn.store_edits import source_hash
from fwlearn.workfiles import POLL_SECONDS, WorkFiles, work_file

Verify = Callable[[argparse.Namespace], int]


def watch_main(args: argparse.Namespace, verify: Verify, rounds: int | None = None) -> int:
    """Verify, then wait for a save and verify again, ``rounds`` times (None: until Ctrl+C)."""
    once = argparse.Namespace(**{**vars(args), "watch": False})
    pack = open_pack(getattr(args, "verify_lessons", None), getattr(args, "lessons", None))
    lesson = find_lesson(pack, args.target)
    if lesson is None:
        return verify(once)  # it says why the lesson cannot be verified
    given = {"keras": args.keras, "pytorch": args.pytorch}
    paths = {
        side: Path(given[side])
        if given[side]
        else work_file(lesson.id, lesson.files[side].path.name)
        for side in SIDES
    }
    files = WorkFiles(paths)
    for side in SIDES:
        if not paths[side].exists():
            files.files[side].write(_saved_or_start(lesson, side))
    files.adopt()
    for side in SIDES:
        setattr(once, side, str(paths[side]))
    shown = "  ".join(display_path(path) for path in paths.values())
    code = 0
    done = 0
    while rounds is None or done < rounds:
        code = verify(once)
        done += 1
        print(f"\nwatching {shown}: save one to verify again (Ctrl+C ends)", flush=True)
        if rounds is not None and done >= rounds:
            break
        saved = _wait_for_save(files)
        if not any(given.values()):
            _keep_as_edits(lesson, saved)
        print(f"\n↻ saved: {', '.join(display_path(paths[s]) for s in saved)}\n", flush=True)
    return code


def _wait_for_save(files: WorkFiles) -> dict[str, str]:
    while True:
        saved = files.saved()
        if saved:
            return saved
        time.sleep(POLL_SECONDS)


def _saved_or_start(lesson: Lesson, side: str) -> str:
    original = str(lesson.files[side].source)
    store = Store.default()
    try:
        return store.edit(lesson.id, side) or original
    finally:
        store.close()


def _keep_as_edits(lesson: Lesson, saved: dict[str, str]) -> None:
    """The saved working files are the learner's code now: the app opens them."""
    store = Store.default()
    try:
        for side, text in saved.items():
            original = str(lesson.files[side].source)
            if text == original:
                store.drop_edit(lesson.id, side)
            else:
                store.save_edit(lesson.id, side, text, source_hash(original))
    finally:
        store.close()
