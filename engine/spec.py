"""What to run and under which limits: ``RunSpec``, its checks, and the allowed values.

The one home of the engine's choices (frameworks, Keras backends, devices, default limits):
the CLI and the app validate and list them from here.
"""

from __future__ import annotations

import ast
import itertools
import re
import sys
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

FRAMEWORKS = ("keras", "pytorch", "python")
KERAS_BACKENDS = ("tensorflow", "torch", "jax")
DEVICES = ("auto", "cpu", "cuda")

DEFAULT_TIMEOUT = 120.0
DEFAULT_MEMORY_MB = 4096
DEFAULT_MAX_PROCESSES = 64  # a DataLoader with 8 workers is 9
DEFAULT_MAX_THREADS = 1024  # a keras fit uses ~24-40; torch adds a pool per worker

_RUN_COUNTER = itertools.count(1)


class UsageError(ValueError):
    """A run was asked for with options that cannot work; the message says why."""


@dataclass
class RunSpec:
    """What to run and under which limits. ``source`` wins over the file at ``path``."""

    path: Path | str | None = None
    source: str | None = None
    framework: str | None = None  # keras | pytorch | python; inferred from imports when None
    keras_backend: str = "tensorflow"
    device: str = "auto"
    timeout: float | None = DEFAULT_TIMEOUT
    memory_mb: int | None = DEFAULT_MEMORY_MB
    threads: int | None = None  # None: fit the cores to the runs going on at once
    max_processes: int = DEFAULT_MAX_PROCESSES  # the snippet and everything it starts
    max_threads: int = DEFAULT_MAX_THREADS  # counted over all those processes
    network: bool = False  # True: the snippet may reach the network
    data_files: tuple[Path | str, ...] = ()  # copied into the working directory, never linked
    env: dict[str, str] = field(default_factory=dict)  # extra variables, secrets allowed
    run_id: str | None = None

    def resolved(self) -> RunSpec:
        """Fill in inferred fields and check the options, raising ``UsageError``."""
        source = self.source
        path = Path(self.path) if self.path is not None else None
        if source is None:
            if path is None:
                raise UsageError("nothing to run: give a file or source code")
            try:
                source = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise UsageError(f"no such file: {path}") from None
            except UnicodeDecodeError as exc:
                raise UsageError(
                    f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})"
                ) from None
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        framework = self.framework or infer_framework(source)
        if framework not in FRAMEWORKS:
            raise UsageError(
                f"unknown framework {framework!r} (choose from {', '.join(FRAMEWORKS)})"
            )
        if self.keras_backend not in KERAS_BACKENDS:
            raise UsageError(
                f"unknown Keras backend {self.keras_backend!r} (choose from {', '.join(KERAS_BACKENDS)})"
            )
        if self.device not in DEVICES:
            raise UsageError(f"unknown device {self.device!r} (choose from {', '.join(DEVICES)})")
        if self.timeout is not None and self.timeout <= 0:
            raise UsageError("the timeout must be a positive number of seconds")
        if self.memory_mb is not None and self.memory_mb < 64:
            raise UsageError("the memory cap must be at least 64 MB")
        return replace(
            self,
            path=path,
            source=source,
            framework=framework,
            data_files=tuple(self.data_files),
            env=dict(self.env),
            run_id=self.run_id or f"r{next(_RUN_COUNTER)}-{uuid.uuid4().hex[:6]}",
        )

    def limits_shown(self, network: str | None = None, sandbox: Any = None) -> dict[str, Any]:
        """The limits in force, as the learner is shown them.

        ``sandbox`` is the worker's report (see ``sandbox.Report``): "sandbox" is its one-line
        summary ("on", "partial (off: ...)", "off") for the status bar, "sandbox_checks" each
        protection with why it is off, for ``fwlearn doctor``.
        """
        linux = sys.platform.startswith("linux")
        checks = dict(sandbox) if isinstance(sandbox, dict) else {}
        summary = str(checks.pop("summary", "unknown"))
        return {
            "timeout_s": self.timeout,
            "memory_mb": self.memory_mb if linux else None,
            "max_processes": self.max_processes if linux else None,
            "max_threads": self.max_threads if linux else None,
            "network": network or ("allowed" if self.network else "unknown"),
            "sandbox": summary,
            "sandbox_checks": {str(k): str(v) for k, v in checks.items()},
        }


def infer_framework(source: str) -> str:
    """keras if the code imports keras or tensorflow, pytorch if it imports torch, else python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        tree = None
    names: set[str] = set()
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    else:  # still say something useful for a file that does not parse
        names.update(re.findall(r"^\s*(?:import|from)\s+(\w+)", source, re.MULTILINE))
    if names & {"keras", "tensorflow"}:
        return "keras"
    if "torch" in names:
        return "pytorch"
    return "python"
