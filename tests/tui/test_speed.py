"""What keeps the app fast, checked as behaviour (timings live in ``bench/``, not here).

- Before the first frame the UI imports nothing the home screen does not need (the lesson
  screen, plotext, tree-sitter) and starts no warm spare; the lesson screen arrives afterwards.
- A lesson's spares start only after the lesson screen has painted.
- A flooding snippet leaves keys working, the log capped, and memory flat.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fwlearn.engine.pool import WarmPool
from fwlearn.lessons import builtin_pack_dir, load_pack
from fwlearn.store import DB_NAME, Store
from fwlearn.tui.app import FwlearnApp
from fwlearn.tui.screens.lesson import LessonScreen
from fwlearn.tui.widgets.code_pane import CodePane
from fwlearn.tui.widgets.run_log import RunLog

FIXTURE_PACK = Path(__file__).parent / "fixtures" / "pack"

PROBE = """
import asyncio, json, os, sys
from fwlearn.lessons import load_pack
from fwlearn.tui.app import FwlearnApp
from fwlearn.store import Store

LATE = ("fwlearn.tui.screens.lesson", "textual_plotext", "plotext", "tree_sitter")
seen = {}

class Probe(FwlearnApp):
    CSS_PATH = os.path.join(os.path.dirname(sys.modules["fwlearn.tui.app"].__file__), "fwlearn.tcss")

    def on_ready(self):
        seen["at_first_frame"] = sorted(m for m in LATE if m in sys.modules)
        seen["pool_at_first_frame"] = self.pool_started
        super().on_ready()

async def main():
    app = Probe(load_pack(sys.argv[1]), Store(sys.argv[2]), warm=True, installed={"torch", "keras", "tensorflow"})
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(200):
            await pilot.pause(0.05)
            if "fwlearn.tui.screens.lesson" in sys.modules:
                break
        seen["later"] = sorted(m for m in LATE if m in sys.modules)
        seen["pool_later"] = app.pool_started
    print(json.dumps(seen))

asyncio.run(main())
"""


def test_first_frame_comes_before_the_lesson_screen_and_the_pool(tmp_path: Path) -> None:
    env = {**os.environ, "FWLEARN_HOME": str(tmp_path)}
    env.pop("FWLEARN_NO_WARM", None)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(FIXTURE_PACK), str(tmp_path / DB_NAME)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["at_first_frame"] == []
    assert seen["pool_at_first_frame"] is False
    # Imported in the background once the first frame is out; still no pool on the home screen.
    assert "fwlearn.tui.screens.lesson" in seen["later"]
    assert seen["pool_later"] is False


async def test_spares_start_only_after_the_lesson_screen_painted(
    home: Path, monkeypatch: pytest.MonkeyPatch, wait: Callable[..., Any]
) -> None:
    monkeypatch.delenv("FWLEARN_NO_WARM")
    wanted: list[tuple[bool, list[Any]]] = []
    app = FwlearnApp(
        load_pack(builtin_pack_dir()),
        Store(home / DB_NAME),
        warm=True,
        installed={"torch", "keras", "tensorflow"},
    )
    painted: set[int] = set()

    def screen_changed(screen: Any) -> None:
        # A screen's layout-refresh signal goes out after a refresh has painted it.
        def laid_out(laid: Any) -> None:
            if laid.is_current:
                painted.add(id(laid))

        screen.screen_layout_refresh_signal.subscribe(app, laid_out, immediate=True)

    def want(pool: WarmPool, keys: Any) -> None:  # record instead of starting frameworks
        screen = app.screen
        wanted.append((isinstance(screen, LessonScreen) and id(screen) in painted, list(keys)))

    monkeypatch.setattr(WarmPool, "want", want)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen_change_signal.subscribe(app, screen_changed, immediate=True)
        await pilot.pause()
        assert not app.pool_started
        await pilot.press("enter")
        await wait(pilot, lambda: bool(wanted))
        painted_first, keys = wanted[0]
        assert keys, "the lesson should want spares for its frameworks"
        assert painted_first, "spares were asked for before the lesson screen painted"


FLOOD = "for i in range({n}):\n    print(f'line {{i}}: the quick brown fox jumps over the dog')\n"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
@pytest.mark.slow
async def test_a_flood_keeps_keys_working_the_log_capped_and_memory_flat(
    make_app: Callable[..., FwlearnApp], wait: Callable[..., Any]
) -> None:
    lines = 600_000
    app = make_app(real_engine=True)  # the flood is the real engine reading a real program
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        await wait(pilot, lambda: isinstance(app.screen, LessonScreen))
        screen = app.screen
        assert isinstance(screen, LessonScreen)
        screen.query_one("#code-keras", CodePane).load(FLOOD.format(n=lines))
        log = screen.query_one("#log-keras", RunLog)
        section = screen.section_index
        assert screen.start_run("keras")
        await wait(pilot, lambda: log.lines_seen > 60_000, timeout=60)
        early = rss_mb()
        await pilot.press("f3")  # next step: a key handled while the flood goes on
        assert screen.section_index == section + 1
        await wait(pilot, lambda: not screen.runs["keras"].running, timeout=120)
        await wait(pilot, lambda: f"line {lines - 1}:" in log.text)  # the last lines flushed
        grown = rss_mb() - early
        assert screen.runs["keras"].state == "ok"
        assert log.lines_seen >= lines
        assert log.line_count <= log.max_lines
        assert f"line {lines - 1}:" in log.text
        # Kept uncapped, 600k lines would be ~60+ MB of strings; the log keeps 2,000.
        assert grown < 30, f"RSS grew {grown:.0f} MB during the flood"
