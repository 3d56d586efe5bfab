"""The layering contract (issue 13): tui -> core -> lessons -> engine, and nothing back up.

``lint-imports`` (import-linter) reads ``.importlinter``. It finds a package by walking its
folder, and the installed ``fwlearn`` is assembled from four folders (``fwlearn/``, ``engine/``,
``lessons/``, ``tui/``, see pyproject's ``package-dir``), so run on the checkout it would see
only ``fwlearn/*.py``. The test therefore lints a copy laid out as the wheel installs it.
"""

from __future__ import annotations

import ast
import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


# mypy on the copy laid out as installed: there, ``fwlearn.engine.Run`` is a real type in the app
# and the core, where pyproject's config (each folder checked as its own package, since mypy
# cannot follow package-dir) sees the lower layers as Any. Same strictness as pyproject's.
MYPY_INSTALLED = """\
[mypy]
python_version = 3.10
check_untyped_defs = True
warn_redundant_casts = True
warn_unused_ignores = False
[mypy-fwlearn.engine.*,fwlearn.lessons.*]
strict = True
[mypy-textual_plotext.*,tomli]
ignore_missing_imports = True
"""


@pytest.mark.slow
def test_types_hold_across_the_layers(tmp_path: Path) -> None:
    """A name that moved (``LABELS`` left code_pane.py once, and a dialog still imported it) or a
    wrong argument type across layers fails here. ~40 s on 2 cores, hence ``slow``."""
    site = _installed_layout(tmp_path / "site")
    (site / "mypy.ini").write_text(MYPY_INSTALLED, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            "mypy.ini",
            "--no-incremental",
            "-p",
            "fwlearn",
        ],
        cwd=site,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "MYPYPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success: no issues found" in done.stdout


def _source_files() -> list[Path]:
    folders = ("engine", "lessons", "fwlearn", "tui")
    return [
        path
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        if "builtin" not in path.parts
    ]


def test_each_constant_has_one_home() -> None:
    """A module-level CONSTANT name is defined in one module only: two definitions of SIDES or
    KERAS_BACKENDS drifted apart once (3 backends in the engine, 2 in the app). Two different ideas
    with one name get two names (that ambiguity is how the drift hid)."""
    homes: dict[str, list[str]] = {}
    for path in _source_files():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id.isupper():
                    homes.setdefault(target.id, []).append(str(path.relative_to(ROOT)))
    twice = {name: where for name, where in homes.items() if len(where) > 1}
    assert not twice, twice


def test_modules_stay_readable_and_the_ui_keeps_off_sqlite() -> None:
    """No module past ~450 lines, the lesson screen under 300, and no tui/ module talks to SQLite
    (the store's writer thread does, so a locked database cannot freeze the UI)."""
    long = {
        str(path.relative_to(ROOT)): lines
        for path in _source_files()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert not long, long
    screen = ROOT / "tui" / "screens" / "lesson.py"
    assert len(screen.read_text(encoding="utf-8").splitlines()) < 300
    for path in (ROOT / "tui").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        } | {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert "sqlite3" not in imported, path
