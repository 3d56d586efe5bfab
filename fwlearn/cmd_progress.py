"""``fwlearn progress`` and ``fwlearn progress --reset [LESSON]``: headless, never imports textual."""

from __future__ import annotations

import argparse
import sys
import time

from fwlearn.store import Store


def progress_main(args: argparse.Namespace) -> int:
    """Print the learner's progress, or reset it after asking (``--yes`` skips the question)."""
    store = Store.default()
    if store.notice:
        print(f"fwlearn: {store.notice}", file=sys.stderr)
    reset = getattr(args, "reset", None)
    if reset is not None:
        return _reset(
            store, None if reset == "__all__" else reset, bool(getattr(args, "yes", False))
        )
    lessons = store.all_lessons()
    print(f"progress in {store.path}")
    if not lessons:
        print("nothing yet: run `fwlearn` and open a lesson")
        return 0
    titles = _titles()
    print(f"{'lesson':<22}{'state':<13}{'keras':<7}{'pytorch':<9}{'check':<7}last run")
    for lesson_id, progress in sorted(lessons.items(), key=lambda kv: titles.get(kv[0], (999, ""))):
        runs = store.runs(lesson_id, limit=1)
        last = _when(runs[0].started) if runs else "-"
        print(
            f"{lesson_id:<22}{progress.state:<13}{_mark(progress.keras_ok):<7}"
            f"{_mark(progress.pytorch_ok):<9}{_mark(progress.check_passed):<7}{last}"
        )
    history = store.runs(limit=10)
    if history:
        print("\nrecent runs:")
        for run in history:
            metrics = ", ".join(
                f"{k} {v:.4g}" for k, v in run.metrics.items() if isinstance(v, (int, float))
            )
            print(
                f"  {_when(run.started)}  {run.lesson_id:<18}{run.side:<8}{run.status:<10}"
                f"{run.duration:6.1f} s  {metrics}"
            )
    return 0


def _reset(store: Store, lesson_id: str | None, yes: bool) -> int:
    what = (
        "ALL progress, saved edits and run history"
        if lesson_id is None
        else (f"progress, saved edits and run history of lesson {lesson_id!r}")
    )
    if not yes:
        if not sys.stdin.isatty():
            print(f"fwlearn: not resetting {what} without --yes", file=sys.stderr)
            return 2
        answer = input(f"Reset {what}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("nothing reset")
            return 1
    store.reset(lesson_id)
    print(f"reset {what}")
    return 0


def _titles() -> dict[str, tuple[int, str]]:
    """Lesson order for sorting; progress still prints if the lesson pack cannot be loaded."""
    try:
        from fwlearn.lessons import builtin_pack_dir, load_pack

        pack = load_pack(builtin_pack_dir())
        return {lesson.id: (lesson.order, lesson.title) for lesson in pack.lessons}
    except Exception:
        return {}


def _mark(flag: bool) -> str:
    return "yes" if flag else "-"


def _when(stamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp))
