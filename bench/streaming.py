"""Streaming: a snippet printing lines as fast as it can, through the engine into the app's log.

    .venv/bin/python bench/streaming.py [--lines 200000] [--flood 1000000] [--runs 3]

The snippet is a plain ``for`` loop of ``print`` calls (~55 characters a line). Three ways:

headless   the real ``FwlearnApp`` under ``run_test`` at 80x24: a lesson is opened, its Keras
           side is the flood, F5 equivalent (``start_run``) runs it through the real engine into
           the real ``RunLog``. Meanwhile a separate thread sends a key (F12, bound to a probe
           action) every 20 ms through the driver, like a terminal's input thread: its delay is
           the time from sending to the app's handler running. CPU is this process's
           (the UI's; the snippet is a child). Lines/s count lines the log widget received,
           from its first flood line to its last.
memory     the same with ``--flood`` lines: the UI process's RSS before, at each quarter of
           the flood, and after, sampled every 50 ms.
terminal   ``python -m fwlearn`` on a real 80x24 pseudo-terminal with the same lesson: bytes the
           app wrote to the terminal per second of flood, and the UI process's CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, ClassVar

from _pty import Terminal, cpu_seconds
from textual import events
from textual.binding import Binding, BindingType

import fwlearn.tui.app
from fwlearn.lessons import load_pack
from fwlearn.store import DB_NAME, Store
from fwlearn.tui.app import FwlearnApp

FIXTURE_PACK = Path(__file__).resolve().parent.parent / "tests" / "tui" / "fixtures" / "pack"
FLOOD = """\
# %% Setup
import time
N, RATE = {n}, {rate}
# %% Train
t0 = time.perf_counter()
for i in range(N):
    print(f"line {{i}}: the quick brown fox jumps over the lazy dog")
    if RATE and i % 500 == 499:
        time.sleep(max(0.0, t0 + (i + 1) / RATE - time.perf_counter()))
print("flood done")
"""
KEY_EVERY = 0.02


class ProbeApp(FwlearnApp):
    """The real app plus one key whose handler notes when it ran."""

    CSS_PATH = str(Path(fwlearn.tui.app.__file__).parent / FwlearnApp.CSS_PATH)
    BINDINGS: ClassVar[list[BindingType]] = [
        *FwlearnApp.BINDINGS,
        Binding("f12", "probe", "probe", priority=True, show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled: list[float] = []

    def action_probe(self) -> None:
        self.handled.append(time.perf_counter())


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_pack(root: Path, lines: int, rate: int = 0) -> Path:
    """The fixture pack's first lesson, its Keras side replaced by the flood."""
    pack = root / "pack"
    shutil.copytree(FIXTURE_PACK / "01-basics", pack / "01-basics")
    (pack / "01-basics" / "in_keras.py").write_text(FLOOD.format(n=lines, rate=rate))
    return pack


async def headless(pack: Path, home: Path, keys: bool) -> dict[str, Any]:
    from fwlearn.tui.screens.lesson import LessonScreen
    from fwlearn.tui.widgets.run_log import RunLog

    app = ProbeApp(load_pack(pack), Store(home / DB_NAME), warm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lesson(app.pack.lessons[0].id)
        while not isinstance(app.screen, LessonScreen):
            await asyncio.sleep(0.02)
        await pilot.pause(0.5)
        screen = app.screen
        log = screen.query_one("#log-keras", RunLog)
        pushes: list[tuple[float, int]] = []
        push = log.push

        def counting_push(lines: Any) -> None:
            push(lines)
            pushes.append((time.perf_counter(), log.lines_seen))

        log.push = counting_push  # type: ignore[method-assign]
        samples: list[tuple[float, int]] = []
        sent: list[float] = []
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append((rss_mb(), log.lines_seen))
                time.sleep(0.05)

        def press() -> None:
            driver = app._driver
            assert driver is not None
            next_at = time.perf_counter()
            while not stop.is_set():
                next_at += KEY_EVERY
                time.sleep(max(0.0, next_at - time.perf_counter()))
                sent.append(time.perf_counter())
                driver.send_message(events.Key("f12", None))

        rss_before = rss_mb()
        threads = [threading.Thread(target=sample, daemon=True)]
        if keys:
            threads.append(threading.Thread(target=press, daemon=True))
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        screen.start_run("keras")
        while screen.runs["keras"].end is None:
            await asyncio.sleep(0.02)
        t1 = time.perf_counter()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        for thread in threads:
            thread.join()
        await pilot.pause(0.3)
        end = screen.runs["keras"].end
        text = log.text
        result = {
            "status": end.status,
            "lines_seen": log.lines_seen,
            "kept": log.line_count,
            "tail_ok": "flood done" in text,
            "wall": t1 - t0,
            "cpu": (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / (t1 - t0),
            "rss_before": rss_before,
            "samples": samples,
            "rss_after": rss_mb(),
        }
        flood = [(t, n) for t, n in pushes if n > 2]
        if len(flood) >= 2:
            (ta, na), (tb, nb) = flood[0], flood[-1]
            result["rate"] = (nb - na) / (tb - ta) if tb > ta else float("nan")
        else:
            result["rate"] = float("nan")
        handled = app.handled
        result["keys"] = [h - s for s, h in zip(sent, handled, strict=False)]
        result["keys_lost"] = len(sent) - len(handled)
    return result


def terminal_run(pack: Path, home: Path) -> dict[str, float]:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "FWLEARN_HOME": str(home),
        "FWLEARN_NO_WARM": "1",
    }
    term = Terminal([sys.executable, "-m", "fwlearn", "--no-warm", "--lessons", str(pack)], env=env)
    try:
        term.wait_for(("Quit",))
        term.press("\r")
        term.wait_for(("Results",))
        term.settle(1.0)
        idle_cpu0, idle_bytes0, idle_t0 = (
            cpu_seconds(term.proc.pid),
            term.bytes,
            time.perf_counter(),
        )
        term.settle(2.0)
        idle = (
            (cpu_seconds(term.proc.pid) - idle_cpu0) / (time.perf_counter() - idle_t0),
            (term.bytes - idle_bytes0) / (time.perf_counter() - idle_t0),
        )
        cpu0, bytes0, t0 = cpu_seconds(term.proc.pid), term.bytes, time.perf_counter()
        term.press("\x1b[15~")  # F5: run the Keras side
        term.wait_for(("ok in",), timeout=120)
        t1 = time.perf_counter()
        return {
            "wall": t1 - t0,
            "cpu": (cpu_seconds(term.proc.pid) - cpu0) / (t1 - t0),
            "bytes": (term.bytes - bytes0) / (t1 - t0),
            "idle_cpu": idle[0],
            "idle_bytes": idle[1],
        }
    finally:
        term.close()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")


def spread(values: list[float], fmt: str) -> str:
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}-{format(max(values), fmt)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=200_000, help="lines of the fast flood")
    parser.add_argument("--rate", type=int, default=100_000, help="lines/s of the paced flood")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of the paced flood")
    parser.add_argument("--flood", type=int, default=1_000_000, help="lines for the memory run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    paced_lines = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory(prefix="fwlearn-bench-") as tmp:
        root = Path(tmp)
        fast_pack = make_pack(root / "fast", args.lines)
        paced_pack = make_pack(root / "paced", paced_lines, args.rate)
        big_pack = make_pack(root / "big", args.flood)
        counter = iter(range(10_000))

        def home() -> Path:
            folder = root / f"home{next(counter)}"
            folder.mkdir()
            os.environ["FWLEARN_HOME"] = str(folder)
            return folder

        fast, paced, terms = [], [], []
        for _ in range(args.runs):
            fast.append(asyncio.run(headless(fast_pack, home(), keys=True)))
            paced.append(asyncio.run(headless(paced_pack, home(), keys=True)))
            terms.append(terminal_run(paced_pack, home()))
        memory = asyncio.run(headless(big_pack, home(), keys=False))

    print(
        f"$ {Path(sys.executable).name} bench/streaming.py --lines {args.lines} --rate {args.rate} "
        f"--seconds {args.seconds:g} --flood {args.flood} --runs {args.runs}"
    )
    print(
        f"snippet: a print loop, ~55 chars a line, through the engine into the app's log at 80x24; "
        f"median (min-max) of {args.runs}; {os.cpu_count()} cores"
    )
    bad = [r for r in fast + paced + [memory] if r["status"] != "ok" or not r["tail_ok"]]
    rows: list[tuple[str, str, str]] = []

    def section(title: str) -> None:
        rows.append((title, "", ""))

    def key_rows(runs: list[dict[str, Any]]) -> None:
        keys = [k for r in runs for k in r["keys"]]
        rows.append(
            (
                f"  key delay p95 (a key every {KEY_EVERY * 1000:.0f} ms)",
                spread([p95(r["keys"]) * 1000 for r in runs], ".1f") + " ms",
                "<= 50 ms",
            )
        )
        lost = sum(r["keys_lost"] for r in runs)
        rows.append(
            (
                "  key delay max; keys lost",
                f"{max(keys) * 1000:.1f} ms of {len(keys)}; {lost}",
                "0 lost",
            )
        )

    section(f"fast flood: {args.lines:,} lines as fast as print goes (headless)")
    rows.append(
        ("  lines/s received by the log", spread([r["rate"] for r in fast], ",.0f"), ">= 100,000")
    )
    rows.append(("  Run to End", spread([r["wall"] for r in fast], ".2f") + " s", ""))
    key_rows(fast)
    rows.append(("  UI CPU", spread([r["cpu"] * 100 for r in fast], ".0f") + " %", ""))
    rows.append(
        (
            "  log lines kept / received",
            f"{fast[0]['kept']:,} / {fast[0]['lines_seen']:,}",
            "capped",
        )
    )
    section(f"paced flood: {args.rate:,} lines/s for {args.seconds:g} s")
    rows.append(
        (
            "  lines/s received (headless)",
            spread([r["rate"] for r in paced], ",.0f"),
            "(the snippet's pace)",
        )
    )
    key_rows(paced)
    rows.append(
        ("  UI CPU (headless)", spread([r["cpu"] * 100 for r in paced], ".0f") + " %", "< 30 %")
    )
    rows.append(
        (
            "  UI CPU (real 80x24 pty)",
            spread([t["cpu"] * 100 for t in terms], ".0f") + " %",
            "< 30 %",
        )
    )
    rows.append(
        (
            "  to the terminal (80x24 pty)",
            spread([t["bytes"] / 1000 for t in terms], ".1f") + " KB/s",
            "<= 150 KB/s",
        )
    )
    rows.append(
        (
            "  idle lesson screen (pty): CPU; bytes",
            f"{statistics.median(t['idle_cpu'] for t in terms) * 100:.1f} %; "
            f"{statistics.median(t['idle_bytes'] for t in terms) / 1000:.2f} KB/s",
            "",
        )
    )
    samples = memory["samples"]
    quarters = []
    for q in (0.25, 0.5, 0.75, 1.0):
        reached = [rss for rss, n in samples if n >= q * args.flood]
        quarters.append(f"{reached[0]:.0f}" if reached else "-")
    peak = max([rss for rss, _ in samples] or [memory["rss_before"]])
    section(f"memory: {args.flood:,}-line fast flood (headless)")
    rows.append(
        (
            "  UI RSS before; at 1/4, 1/2, 3/4, end",
            f"{memory['rss_before']:.0f}; {' / '.join(quarters)} MB",
            "flat",
        )
    )
    rows.append(
        (
            "  peak growth; lines/s; wall",
            f"+{peak - memory['rss_before']:.0f} MB; {memory['rate']:,.0f}; {memory['wall']:.2f} s",
            "",
        )
    )
    rows.append(("runs not ok or last line missing", str(len(bad)), "0"))
    width = max(len(r[0]) for r in rows) + 2
    vwidth = max(len(r[1]) for r in rows) + 2
    print(f"{'measure':<{width}}{'result':<{vwidth}}target")
    for name, value, target in rows:
        print(f"{name:<{width}}{value:<{vwidth}}{target}")


if __name__ == "__main__":
    main()
