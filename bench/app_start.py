"""App start to first full frame, and the UI process's memory with two lessons opened.

    .venv/bin/python bench/app_start.py [--runs 7]

Each run starts a fresh ``python -m fwlearn --no-warm`` on a pseudo-terminal of 80x24, exactly
as a learner's terminal would run it, and times from spawning the process to the moment the
whole home screen (title, lesson table, footer) has been written to the terminal. Then it opens
lesson 1, goes back, opens lesson 2, and reads the UI process's resident memory (``VmRSS``) and
its peak (``VmHWM``) from ``/proc``; ``/proc/PID/maps`` tells whether a framework's shared
library was ever loaded into the UI process.

Side by side, alternating with the app, it times the same thing for a minimal Textual app with a
syntax-highlighting ``TextArea.code_editor`` (the floor this machine allows).
Warm spares are off (``--no-warm``): they live in child processes, so they do not change the UI's
memory, and importing frameworks in the background would only add noise on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from _pty import COLUMNS, ROWS, Terminal, heavy_libraries, proc_status

APP_HOME = ("Keras and PyTorch, side by side", "Quit")  # title bar and footer
LESSON = ("Results", "Keras")  # the lesson screen's tabs (narrow layout at 80 columns)
MINIMAL = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import TextArea

    CODE = "def greet(name):\\n    return f'hello {name}'\\n\\nprint(greet('fwlearn_minimal'))\\n"

    class Minimal(App):
        def compose(self):
            yield TextArea.code_editor(CODE, language="python")

    Minimal().run()
    """
)
MINIMAL_MARKERS = ("fwlearn_minimal",)


def app_run(env: dict[str, str]) -> dict[str, float | str]:
    term = Terminal([sys.executable, "-m", "fwlearn", "--no-warm"], env)
    try:
        first = term.wait_for(APP_HOME)
        term.settle(0.3)
        home_rss = proc_status(term.proc.pid)["VmRSS"]
        began = time.perf_counter()
        term.press("\r")  # open lesson 1
        term.wait_for(LESSON)
        open_first = time.perf_counter() - began
        term.settle(0.5)
        term.press("\x1b")  # leave the editor, so q is a command
        term.settle(0.3)
        term.press("q")
        term.wait_for(APP_HOME)
        term.settle(0.3)
        term.press("j")
        term.settle(0.2)
        term.press("\r")  # open lesson 2
        term.wait_for(LESSON)
        term.settle(1.0)
        status = proc_status(term.proc.pid)
        heavy = heavy_libraries(term.proc.pid)
    finally:
        term.close()
    return {
        "first": first,
        "open": open_first,
        "home_rss": home_rss / 1024,
        "rss": status["VmRSS"] / 1024,
        "hwm": status["VmHWM"] / 1024,
        "heavy": ",".join(heavy) or "none",
    }


def minimal_run(path: Path, env: dict[str, str]) -> float:
    term = Terminal([sys.executable, str(path)], env)
    try:
        return term.wait_for(MINIMAL_MARKERS)
    finally:
        term.close()


def fmt(values: list[float], unit: str, scale: float = 1.0, digits: int = 2) -> str:
    v = [x * scale for x in values]
    return f"{statistics.median(v):.{digits}f} {unit} ({min(v):.{digits}f}-{max(v):.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fwlearn-bench-") as tmp:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLUMNS": str(COLUMNS),
            "LINES": str(ROWS),
            "FWLEARN_HOME": tmp,  # a fresh progress store, never the learner's
            "FWLEARN_NO_WARM": "1",
        }
        env.pop("TEXTUAL", None)
        minimal = Path(tmp) / "minimal_app.py"
        minimal.write_text(MINIMAL)
        apps, floors = [], []
        for _ in range(args.runs):
            floors.append(minimal_run(minimal, env))
            apps.append(app_run(env))
    heavy = sorted({str(a["heavy"]) for a in apps})
    print(f"$ {Path(sys.executable).name} bench/app_start.py --runs {args.runs}")
    print(
        f"fresh process on an {COLUMNS}x{ROWS} pty each run; median (min-max) of {args.runs} runs,"
        f" {os.cpu_count()} cores"
    )
    rows = [
        ("first frame, fwlearn home", fmt([float(a["first"]) for a in apps], "s"), "<= 0.6 s"),
        ("first frame, minimal TextArea app", fmt(floors, "s"), "(floor)"),
        ("open lesson 1 (Enter to its frame)", fmt([float(a["open"]) for a in apps], "s"), ""),
        ("UI RSS at the home screen", fmt([float(a["home_rss"]) for a in apps], "MB", 1, 0), ""),
        ("UI RSS, two lessons opened", fmt([float(a["rss"]) for a in apps], "MB", 1, 0), "<= 120"),
        ("UI peak RSS (VmHWM)", fmt([float(a["hwm"]) for a in apps], "MB", 1, 0), ""),
        ("framework libraries in the UI", " / ".join(heavy), "none"),
    ]
    print(f"{'measure':<38}{'result':<28}target")
    for name, value, target in rows:
        print(f"{name:<38}{value:<28}{target}")


if __name__ == "__main__":
    main()
