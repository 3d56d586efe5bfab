"""The headless commands never load Textual: they must start fast and work without a terminal.

``import textual.app`` alone costs 250 ms (210-440 ms over 5 runs on 2 busy cores, measured with
``python -X importtime -c 'import textual.app'``, cumulative column); only
``fwlearn`` with no subcommand opens the app and imports it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import contextlib, io, json, sys
from fwlearn import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        cli.main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich", "fwlearn"))
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": loaded}))
"""


@pytest.mark.parametrize(
    "argv", [["list"], ["list", "--json"], ["progress"], ["check", "--help"], ["doctor", "--help"]]
)
def test_headless_commands_load_no_textual(argv: list[str], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={"FWLEARN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["code"] == 0, report["out"]
    assert report["out"].strip()  # the command did its job: it printed something
    assert [m for m in report["loaded"] if not m.startswith("fwlearn")] == []
    assert not [m for m in report["loaded"] if m.startswith("fwlearn.tui")]
