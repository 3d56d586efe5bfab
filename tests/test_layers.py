"""The layering contract (issue 13): tui -> core -> lessons -> engine, and nothing back up.

``lint-imports`` (import-linter) reads ``.importlinter``. It finds a package by walking its
folder, and the installed ``fwlearn`` is assembled from four folders (``fwlearn/``, ``engine/``,
``lessons/``, ``tui/``, see pyproject's ``package-dir``), so run on the checkout it would see
only ``fwlearn/*.py``. The test therefore lints a copy laid out as the wheel installs it.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("engine", "lessons", "tui")


def _installed_layout(target: Path) -> Path:
    """``target/fwlearn`` with the core modules and the sub-packages where the wheel puts them."""
    package = target / "fwlearn"
    # Lesson programs (builtin/) are data run in child processes, not part of the import graph.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "builtin", "*.tcss", "*.md")
    shutil.copytree(ROOT / "fwlearn", package, ignore=ignore)
    for name in SUBPACKAGES:
        shutil.copytree(ROOT / name, package / name, ignore=ignore)
    return target


def _lint(site: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the copy at ``site``: its ``fwlearn`` shadows the editable install."""
    lint = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint), "--no-cache", "--config", str(ROOT / ".importlinter")],
        cwd=site,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layers_contract_holds(tmp_path: Path) -> None:
    done = _lint(_installed_layout(tmp_path / "site"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


def test_the_contract_sees_an_import_that_goes_up(tmp_path: Path) -> None:
    """The check has teeth: the engine importing the store is reported as broken."""
    site = _installed_layout(tmp_path / "site")
    runner = site / "fwlearn" / "engine" / "events.py"
    runner.write_text(runner.read_text(encoding="utf-8") + "\nimport fwlearn.store\n")
    done = _lint(site)
    assert done.returncode != 0
    assert "fwlearn.engine.events -> fwlearn.store" in done.stdout


def test_every_core_module_is_in_the_core_layer() -> None:
    """A new ``fwlearn/*.py`` must be placed in a layer, or the contract would not check it."""
    config = configparser.ConfigParser()
    config.read(ROOT / ".importlinter", encoding="utf-8")
    layers = config["importlinter:contract:layers"]["layers"].split()
    # Non-independent siblings share a layer: "a : b : c" (whitespace-split: a, :, b, :, c).
    tui, lessons = layers.index("fwlearn.tui"), layers.index("fwlearn.lessons")
    core = {name for name in layers[tui + 1 : lessons] if name != ":"}
    modules = {f"fwlearn.{path.stem}" for path in (ROOT / "fwlearn").glob("*.py")}
    assert modules - {"fwlearn.__init__"} == core
