"""``fwlearn serve``: the app in a real headless browser, and the guard in front of it.

The browser test drives Debian's chromium through playwright's Python client (its bundled driver,
no browser download: ``executable_path``). xterm.js draws on a canvas, so the page has no text to
read; the test reads what the browser receives instead, the websocket's terminal frames, which is
exactly what xterm.js draws. ``make test`` installs chromium where it can (root and apt); where it
cannot, the test is skipped with the reason in the summary (pytest's ``-ra``), never silently.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fwlearn.cmd_serve import is_loopback

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "tests" / "tui" / "fixtures" / "pack"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """A running ``fwlearn serve`` on the numpy fixture pack; yields the URL it printed."""
    env = {**os.environ, "FWLEARN_HOME": str(tmp_path), "FWLEARN_NO_WARM": "1"}
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "fwlearn", "serve", "--port", str(port), "--lessons", str(PACK)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    assert server.stdout is not None
    url = ""
    deadline = time.monotonic() + 30
    while not url and time.monotonic() < deadline:
        line = server.stdout.readline()
        if not line:
            break
        if match := re.search(r"(http://\S+token=\S+)", line):
            url = match.group(1)
    try:
        assert url, "fwlearn serve printed no URL"
        yield url
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)


def test_only_loopback_is_served_without_a_flag() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")
    assert not is_loopback("gpu-box.example")
    done = subprocess.run(
        [sys.executable, "-m", "fwlearn", "serve", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refusing to bind to 0.0.0.0" in done.stderr
    assert "--allow-remote" in done.stderr


def test_the_page_and_its_websocket_need_this_launchs_token(served: str) -> None:
    import aiohttp

    base, token = served.split("/?token=")

    async def probe() -> dict[str, object]:
        seen: dict[str, object] = {}
        async with aiohttp.ClientSession() as plain:
            seen["no token"] = (await plain.get(f"{base}/")).status
            seen["wrong token"] = (await plain.get(f"{base}/?token=x{token}")).status
            seen["ws without cookie"] = (await plain.get(f"{base}/ws")).status
        async with aiohttp.ClientSession() as browser:
            page = await browser.get(served)
            seen["page"] = page.status
            seen["websocket url"] = re.findall(r'websocket-url="([^"]+)"', await page.text())
            try:
                await browser.ws_connect(f"{base}/ws", headers={"Origin": "http://evil.example"})
                seen["foreign origin"] = 101
            except aiohttp.WSServerHandshakeError as exc:
                seen["foreign origin"] = exc.status
            socket_ = await browser.ws_connect(f"{base}/ws", headers={"Origin": base})
            seen["same origin"] = 101
            await socket_.close()
        return seen

    seen = asyncio.run(probe())
    assert seen == {
        "no token": 403,
        "wrong token": 403,
        "ws without cookie": 403,
        "page": 200,
        "websocket url": [base.replace("http://", "ws://") + "/ws"],
        "foreign origin": 403,
        "same origin": 101,
    }


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium: `make test` installs it with apt where it can (root); "
    "otherwise: apt-get install chromium",
)
def test_a_lesson_runs_in_a_headless_browser(served: str) -> None:
    from playwright.sync_api import WebSocket, sync_playwright

    received: list[str] = []

    def watch(socket_: WebSocket) -> None:
        def frame(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                payload = payload.decode("utf-8", "replace")
            received.append(ANSI.sub("", payload))

        socket_.on("framereceived", frame)

    def screen() -> str:
        return "".join(received)

    def wait_for(text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in screen():
            assert time.monotonic() < deadline, f"{text!r} not in: {screen()[-3000:]!r}"
            page.wait_for_timeout(100)  # playwright's own event loop runs meanwhile

    with sync_playwright() as driver:
        browser = driver.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.on("websocket", watch)
        page.goto(served)
        wait_for("Basics")  # the lesson browser lists the fixture pack
        page.click(".textual-terminal")  # keys go to the terminal that has the focus
        page.keyboard.press("Enter")  # opens the lesson to continue (the first)
        wait_for("F3/F2: next/prev step")
        page.keyboard.press("F6")  # run the PyTorch side
        wait_for("epoch 2 loss 0.5000")
        browser.close()
