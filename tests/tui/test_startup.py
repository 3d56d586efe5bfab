"""The UI process never imports a framework, and reaches its first frame fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROBE = """
import asyncio, json, sys, time
t0 = time.perf_counter()
from fwlearn.lessons import load_pack
from fwlearn.tui.app import FwlearnApp
from fwlearn.store import Store
from fwlearn.tui.screens.lesson import LessonScreen

async def main():
    app = FwlearnApp(load_pack(sys.argv[1]), Store(sys.argv[2]), warm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first = time.perf_counter() - t0
        await pilot.press("enter")
        while not isinstance(app.screen, LessonScreen):
            await pilot.pause(0.05)
        await pilot.pause(0.2)  # a window for a stray import to happen: this tests an absence
    heavy = sorted(m for m in ("torch", "tensorflow", "keras", "jax") if m in sys.modules)
    print(json.dumps({"first_frame": first, "heavy": heavy}))

asyncio.run(main())
"""


def test_ui_process_never_imports_frameworks_and_starts_fast(tmp_path: Path) -> None:
    pack = Path(__file__).parent / "fixtures" / "pack"
    env = {**os.environ, "FWLEARN_HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(pack), str(tmp_path / "p.db")],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == []
    assert result["first_frame"] < 3.0  # ~0.6 s measured; generous for a busy 2-core box
