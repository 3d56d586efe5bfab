"""A snippet that calls ``report()`` a million times, through the CLI and through the app.

    .venv/bin/python bench/report_flood.py [--reports 1000000] [--only cli app esc]

cli: ``fwlearn run`` (human and ``--json`` to /dev/null): wall time, peak RSS of the CLI
process, and the time from the snippet's last report to the run's end. app: the same snippet
in the app at 80x24 (Pilot): time from the snippet's last report to the side showing its
state, and the app's RSS before and at its peak. esc: an endless flood, Esc pressed after 3 s:
time until the side shows "cancelled".
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FIXTURE_PACK = HERE.parent / "tests" / "tui" / "fixtures" / "pack"
FLOOD = (
    "import time\n"
    "from fwlearn import report\n"
    "for i in range(1, {n} + 1):\n"
    "    report(epoch=i, loss=1.0 / i)\n"
    "print('worker-done', repr(time.time()), flush=True)\n"
)
ENDLESS = (
    "from fwlearn import report\ni = 0\nwhile True:\n    i += 1\n    report(epoch=i, loss=1 / i)\n"
)


def bench_cli(n: int, folder: Path) -> None:
    snippet = folder / "flood.py"
    snippet.write_text(FLOOD.format(n=n), encoding="utf-8")
    for extra in ([], ["--json"]):
        out = folder / "out.txt"
        started = time.time()
        with out.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "-m", "fwlearn", "run", "--timeout", "900", str(snippet), *extra],
                stdout=sink,
                stderr=subprocess.DEVNULL,
            )
            _, status, usage = os.wait4(proc.pid, 0)  # as /usr/bin/time: this process's peak
        ended = time.time()
        done = re.search(r"worker-done (\d+\.\d+)", out.read_text(errors="replace"))
        lag = ended - float(done.group(1)) if done else float("nan")
        label = "fwlearn run --json" if extra else "fwlearn run"
        print(
            f"{label:<20} {n:,} reports: {ended - started:6.1f} s, "
            f"exit {os.waitstatus_to_exitcode(status)}, last report -> exit {lag:.2f} s, "
            f"peak RSS {usage.ru_maxrss / 1024:.0f} MB"
        )


async def bench_app(n: int, home: Path, escape: bool) -> None:
    os.environ["FWLEARN_HOME"] = str(home)
    os.environ["FWLEARN_NO_WARM"] = "1"
    from fwlearn.lessons import load_pack
    from fwlearn.store import DB_NAME, Store
    from fwlearn.tui.app import FwlearnApp

    pack = home / "pack"
    shutil.copytree(FIXTURE_PACK, pack, dirs_exist_ok=True)
    for lesson in pack.glob("*/lesson.md"):  # the fixture's 30 s timeout is too short here
        lesson.write_text(re.sub(r"(?m)^timeout = .*$", "timeout = 900", lesson.read_text()))
    app = FwlearnApp(load_pack(pack), Store(home / DB_NAME), warm=False)

    def rss() -> float:
        return (
            int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGESIZE") / 2**20
        )

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        while type(app.screen).__name__ != "LessonScreen":
            await pilot.pause(0.05)
        await pilot.pause(0.5)
        screen: Any = app.screen
        screen.query_one("#code-keras").load(ENDLESS if escape else FLOOD.format(n=n))
        base = peak = rss()
        started = time.time()
        await pilot.press("f5")
        run = screen.runs["keras"]
        pressed = 0.0
        while run.end is None or run.running:
            await pilot.pause(0.05)
            peak = max(peak, rss())
            if escape and not pressed and time.time() - started > 3:
                pressed = time.time()
                await pilot.press("escape")
        shown = time.time()
        if escape:
            print(
                f"app, endless flood: Esc -> {run.state} shown in {shown - pressed:.2f} s; "
                f"RSS {base:.0f} MB before, peak {peak:.0f} MB"
            )
            return
        log = screen.query_one("#log-keras").text
        done = re.search(r"worker-done (\S+)", log)
        lag = shown - float(done.group(1)) if done else float("nan")
        print(
            f"app, {n:,} reports: {run.state} after {shown - started:.1f} s; last report -> "
            f"state shown {lag:.2f} s; RSS {base:.0f} MB before, peak {peak:.0f} MB"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument(
        "--only", nargs="+", choices=("cli", "app", "esc"), default=["cli", "app", "esc"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fwlearn-bench-") as folder:
        if "cli" in args.only:
            bench_cli(args.reports, Path(folder))
        if "app" in args.only:
            asyncio.run(bench_app(args.reports, Path(folder), escape=False))
        if "esc" in args.only:
            asyncio.run(bench_app(args.reports, Path(folder), escape=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
