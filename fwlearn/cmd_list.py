"""``fwlearn list``: the lessons of a pack, the folders that did not load and why.

Never imports textual nor a framework (it must start fast and work in CI); the progress column
comes from the store, read only when a database already exists.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from fwlearn import jsonout
from fwlearn.console import EXIT_OK, clip, display_path, terminal_width
from fwlearn.lessons import Lesson
from fwlearn.packs import format_problem, open_pack
from fwlearn.paths import data_home
from fwlearn.store import DB_NAME, Store


def list_main(args: argparse.Namespace) -> int:
    """``fwlearn list``: with a progress column once the app has stored any progress."""
    return print_list(args, progress=stored_progress())


def print_list(args: argparse.Namespace, progress: Mapping[str, str] | None = None) -> int:
    """List the lessons and, separately, the folders that did not load and why.

    ``progress`` (lesson id -> a short word such as "done") comes from the progress store: when
    given, a progress column (and a ``progress`` JSON field) appears.
    """
    pack = open_pack(getattr(args, "list_lessons", None), getattr(args, "lessons", None))
    broken = pack.broken()
    if args.json:
        data = {
            "pack": str(pack.root),
            "lessons": [_lesson_json(lesson, progress) for lesson in pack.lessons],
            "broken": [
                {
                    "folder": str(folder),
                    "id": next((p.lesson_id for p in problems if p.lesson_id), None),
                    "problems": [str(p) for p in problems],
                }
                for folder, problems in broken.items()
            ],
            "problems": [str(p) for p in pack.problems],
        }
        print(jsonout.dumps(data, indent=2))
        return EXIT_OK
    width = terminal_width()
    if not pack.lessons and not broken:
        print(f"no lessons in {display_path(pack.root)}")
        return EXIT_OK
    id_width = min(18, max((len(lesson.id) for lesson in pack.lessons), default=2))
    title_width = min(24, max((len(lesson.title) for lesson in pack.lessons), default=5))
    progress_width = 13 if progress is not None else 0
    head = f"{'#':>3}  {'id':<{id_width}}  {'title':<{title_width}}  "
    if progress is not None:
        head += f"{'progress':<{progress_width}}"
    print(head + "summary")
    for lesson in pack.lessons:
        line = (
            f"{lesson.order:>3}  {clip(lesson.id, id_width):<{id_width}}  "
            f"{clip(lesson.title, title_width):<{title_width}}  "
        )
        if progress is not None:
            line += f"{clip(progress.get(lesson.id, 'not started'), progress_width - 1):<{progress_width}}"
        print(line + clip(lesson.summary, width - len(line)))
    other = [p for p in pack.problems if p.folder is None or p.folder not in broken]
    if broken:
        print(f"\nbroken ({len(broken)}; 'fwlearn check' shows every problem):")
        for folder, problems in broken.items():
            first = problems[0]
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            where = first.path.name + (f":{first.line}" if first.line else "")
            label = f"  {folder.name}: "
            print(label + clip(f"{where}: {first.message}{more}", width - len(label)))
    if other:
        print("\nproblems:")
        for problem in other:
            print(f"  {format_problem(problem)}")
    return EXIT_OK


def _lesson_json(lesson: Lesson, progress: Mapping[str, str] | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": lesson.id,
        "title": lesson.title,
        "order": lesson.order,
        "summary": lesson.summary,
        "requires": list(lesson.requires),
        "folder": str(lesson.folder),
        "exercise_sides": list(lesson.exercise.sides),
    }
    if progress is not None:
        data["progress"] = progress.get(lesson.id, "not started")
    return data


def stored_progress() -> dict[str, str] | None:
    """Lesson id -> state from the app's store; None (no column) when nothing is stored yet."""
    if not (data_home() / DB_NAME).exists():
        return None
    return {lesson_id: p.state for lesson_id, p in Store.default().all_lessons().items()}
