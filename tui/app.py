"""FwlearnApp: what ``fwlearn`` with no arguments opens.

Start-up stays fast because this process never imports torch, tensorflow or keras (runs happen
in child processes; a test checks ``sys.modules``): whether a framework is installed is asked of
``importlib.util.find_spec`` and versions of ``importlib.metadata``, neither of which imports it.

The first frame is the home screen, so only what it needs is imported before it: the lesson and
help screens (tree-sitter, plotext, markdown, the engine's runner) are imported in a thread once
the first frame is painted, ready by the time a learner picks a lesson (measured: importing them
up front cost ~0.2 s of a 0.6-0.8 s start). The warm pool is created when a lesson first asks for
spares, and spares start only after the screen that wants them has painted: a spare importing a
framework competes with the UI for the 2 cores.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from fwlearn.frameworks import (
    INSTALL,
    KERAS_BACKENDS,
    SIDES,
    installed_frameworks,
    installed_keras_backends,
    installed_versions,
    tested_versions,
)
from fwlearn.store import APP_BUSY_TIMEOUT, Store
from fwlearn.tui.screens.browser import BrowserScreen

if TYPE_CHECKING:
    from fwlearn.engine import RunSpec
    from fwlearn.engine.pool import SpareKey, WarmPool
    from fwlearn.runstate import Engine, EngineRun

# Imported after the first frame (see the module docstring).
DEFERRED_MODULES = ("fwlearn.tui.screens.lesson", "fwlearn.tui.screens.help")


class FwlearnApp(App[None]):
    """Owns the lesson pack, the progress store and app-wide settings (the Keras backend)."""

    CSS_PATH = "fwlearn.tcss"
    TITLE = "fwlearn"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False)
    ]

    def __init__(
        self,
        pack: Any,
        store: Store,
        *,
        warm: bool = True,
        installed: Iterable[str] | None = None,
        engine: Engine | None = None,
    ) -> None:
        super().__init__()
        self.pack = pack
        self.store = store
        self._engine = engine  # None: the real engine (a test gives a scripted one)
        # Warm spares (pre-imported frameworks) cut a run's start from seconds to milliseconds.
        self._warm = warm
        self._pool: WarmPool | None = None
        self._wanted_spares: list[SpareKey] = []
        self.first_frame_at: float | None = None  # perf_counter() once the first frame is out
        self._store_failed_at = float("-inf")
        self._ui_thread = threading.get_ident()
        self.installed = set(installed) if installed is not None else installed_frameworks()
        # The app offers the backends installed; the engine accepts all of KERAS_BACKENDS.
        self.keras_backend = next(iter(installed_keras_backends(self.installed)), KERAS_BACKENDS[0])

    def on_mount(self) -> None:
        # Saves go to the store's writer thread: a second session holding the database's lock
        # must not freeze the UI (its failures arrive from that thread).
        self._ui_thread = threading.get_ident()
        self.store.on_error = self._store_failed_from_any_thread
        self.store.start_writer()
        self.push_screen(BrowserScreen())
        if self.store.notice:  # a damaged progress database was moved aside
            self.notify(
                self.store.notice, title="Progress", severity="warning", timeout=30, markup=False
            )

    def _store_failed_from_any_thread(self, message: str) -> None:
        if threading.get_ident() == self._ui_thread:
            self._store_failed(message)
        else:
            with contextlib.suppress(RuntimeError):  # the app has already stopped
                self.call_from_thread(self._store_failed, message)

    def _store_failed(self, message: str) -> None:
        """Say so (at most every 30 s: every keystroke batch would fail the same way)."""
        now = time.monotonic()
        if now - self._store_failed_at > 30:
            self._store_failed_at = now
            self.notify(
                message, title="Progress not saved", severity="error", timeout=15, markup=False
            )

    def on_ready(self) -> None:
        """The first frame has been painted: now import what the other screens need."""
        self.first_frame_at = time.perf_counter()
        self.run_worker(_import_deferred, name="import-screens", thread=True, exit_on_error=False)

    async def on_unmount(self) -> None:
        if self._pool is not None:
            await self._pool.close()
        # Queued saves land before the app ends (unless another session keeps the lock).
        await asyncio.to_thread(self.store.close)

    @property
    def pool_started(self) -> bool:
        """Whether the warm pool exists yet (start-up leaves it for later: it would import
        the engine's process code and spawn spares before the first frame)."""
        return self._pool is not None

    @property
    def pool(self) -> WarmPool:
        """The warm pool, created on first use (a lesson asking for spares, or a run)."""
        if self._pool is None:
            from fwlearn.engine.pool import WarmPool, pool_enabled_by_env

            self._pool = WarmPool(enabled=self._warm and pool_enabled_by_env())
        return self._pool

    def new_run(self, spec: RunSpec) -> EngineRun:
        """A run of ``spec``, not started yet: from the engine given, else a real ``Run`` on the
        warm pool. Raises ``UsageError`` for a spec the engine refuses."""
        if self._engine is not None:
            return self._engine.run(spec)
        from fwlearn.engine import Run

        # Interactive: the program's input() and pdb are answered in the app (InputLine),
        # and what it reads is echoed into its output, as a terminal shows typing.
        return Run(spec, pool=self.pool, interactive=True, echo=True)

    def want_spares(self, frameworks: Iterable[tuple[str, str]]) -> None:
        """Keep warm spares for these (framework, Keras backend) pairs (the open lesson's sides),
        none for the rest.

        New spares start after the next refresh, so the screen asking (a lesson being opened)
        paints before a spare starts importing a framework next to it; dropping spares is
        immediate (the app may be closing)."""
        from fwlearn.engine.pool import SpareKey

        keys = []
        for framework, backend in frameworks:
            if framework in SIDES and self.framework_problem(framework, backend) is None:
                keys.append(SpareKey.for_spec(framework, backend, "auto"))
        self._wanted_spares = keys
        if keys:
            self.call_after_refresh(self._apply_wanted_spares)
        else:
            self._apply_wanted_spares()

    def _apply_wanted_spares(self) -> None:
        """Apply the latest wish (an older deferred one may arrive after a newer one)."""
        if self._pool is not None or self._wanted_spares:
            self.pool.want(self._wanted_spares)

    # -- navigation -----------------------------------------------------------------------------

    def open_lesson(self, lesson_id: str) -> None:
        lesson = self.pack.get(lesson_id)
        if lesson is None:
            self.notify(f"no lesson {lesson_id!r}", severity="error")
            return
        from fwlearn.tui.screens.lesson import LessonScreen

        self.push_screen(LessonScreen(lesson))

    def action_help(self) -> None:
        from fwlearn.tui.screens.help import HelpScreen
        from fwlearn.tui.screens.lesson import LessonScreen

        self.push_screen(HelpScreen(lesson_first=isinstance(self.screen, LessonScreen)))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from fwlearn.tui.screens.lesson import LessonScreen

        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "every key fwlearn knows", self.action_help)
        if isinstance(screen, LessonScreen):
            for title, help_text, callback in screen.system_commands():
                yield SystemCommand(title, help_text, callback)

    # -- frameworks -----------------------------------------------------------------------------

    def framework_problem(self, framework: str, pinned: str | None = None) -> str | None:
        """Why ``framework`` cannot run here, with the install command; None when it can.
        ``pinned``: the Keras backend the lesson pins this side to (the b key cannot help)."""
        if framework == "pytorch" and "torch" not in self.installed:
            return f"PyTorch is not installed. Install it with: {INSTALL['torch']}"
        if framework == "keras":
            if "keras" not in self.installed:
                return f"Keras is not installed. Install it with: {INSTALL['keras']}"
            backend = pinned or self.keras_backend
            if backend not in self.installed:
                other = installed_keras_backends(self.installed)
                switch = f" or press b to use the {other[0]} backend" if other else ""
                if pinned:
                    switch = " (this side of the lesson always runs on it)"
                return (
                    f"Keras's {backend} backend is not installed "
                    f"({INSTALL.get(backend, 'pip install ' + backend)}){switch}."
                )
        return None

    def next_keras_backend(self) -> str:
        """Cycle through the backends that are installed (all of them when none is)."""
        usable = installed_keras_backends(self.installed) or list(KERAS_BACKENDS)
        index = usable.index(self.keras_backend) if self.keras_backend in usable else -1
        self.keras_backend = usable[(index + 1) % len(usable)]
        return self.keras_backend

    def environment_notes(self) -> list[str]:
        notes = []
        for framework in ("pytorch", "keras"):
            problem = self.framework_problem(framework)
            if problem:
                notes.append(problem)
        return notes

    def installed_versions_line(self) -> str:
        versions = installed_versions()
        return " ".join(f"{name} {version}" for name, version in versions.items()) or (
            "no framework installed"
        )

    def tested_with(self, lesson: Any) -> str:
        """Versions the lesson was tested with: the lesson's own, else the shipped pins."""
        tested = getattr(lesson, "tested_with", None) or tested_versions()
        shown = {
            k: v
            for k, v in tested.items()
            if k in ("keras", "tensorflow", "tensorflow-cpu", "torch")
        }
        return " · ".join(f"{k} {v}" for k, v in shown.items()) or "unknown"


def _import_deferred() -> None:
    for name in DEFERRED_MODULES:
        importlib.import_module(name)


def run_app(lessons_dir: str | Path | None = None, warm: bool = True) -> int:
    """Entry point of ``fwlearn`` with no subcommand."""
    from fwlearn.lessons import builtin_pack_dir, load_pack

    pack = load_pack(Path(lessons_dir) if lessons_dir else builtin_pack_dir())
    FwlearnApp(pack, Store.default(busy_timeout=APP_BUSY_TIMEOUT), warm=warm).run()
    return 0
