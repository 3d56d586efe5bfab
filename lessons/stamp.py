"""A lesson's check stamp: what in ``reference.json`` says ``fwlearn check`` passed on these files.

Running every program of the course on both Keras backends takes ~520 s on 2 cores for 11
lessons (``/usr/bin/time fwlearn check --jobs 2``), and each lesson adds ~40 s: more than the
test suite's 10-minute budget allows once the course has 20 lessons. So ``fwlearn check
--record`` stamps a lesson that passed completely (every program as expected, the prose's
numbers within tolerance, on every installed backend) with a fingerprint of its files and the
framework versions it ran on, and the suite checks that each stamp still matches the lesson
as it is: an edit to a program, a check, the prose or the data without a new full check fails
the suite, naming the command to run. The suite still runs a sample of lessons for real.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .model import REFERENCE_FILE

STAMP_KEY = "checked"
# Not part of what was checked: the record itself, and what Python leaves behind.
IGNORED_NAMES = {REFERENCE_FILE, "__pycache__", ".DS_Store"}


def fingerprint(folder: Path) -> str:
    """sha256 over every file of the lesson folder (relative path and bytes), reference.json
    and caches excepted: a change to any program, wrong answer, data file or lesson.md shows."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if set(relative.parts) & IGNORED_NAMES or path.suffix == ".pyc" or not path.is_file():
            continue
        digest.update(relative.as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def make_stamp(
    folder: Path, backends: Sequence[str], versions: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "fingerprint": fingerprint(folder),
        "keras_backends": sorted(backends),
        "versions": dict(sorted(versions.items())),
    }


def stamp_problem(
    folder: Path,
    record: Mapping[str, Any] | None,
    backends: Sequence[str],
    versions: Mapping[str, str],
) -> str | None:
    """Why the stamp does not vouch for the lesson as it is here (None: it does)."""
    stamp = (record or {}).get(STAMP_KEY)
    if not isinstance(stamp, Mapping):
        return "no full check recorded"
    if stamp.get("fingerprint") != fingerprint(folder):
        return "its files changed since its last full check"
    if sorted(stamp.get("keras_backends") or ()) != sorted(backends):
        return f"checked on Keras backends {stamp.get('keras_backends')}, not {sorted(backends)}"
    if _releases(stamp.get("versions") or {}) != _releases(versions):
        return f"checked with {stamp.get('versions')}, here {dict(versions)}"
    return None


def _releases(versions: Mapping[str, Any]) -> dict[str, str]:
    """Versions without their local build tag: torch 2.13.0+cpu (the CI's wheel) and
    2.13.0+cu121 (a GPU box's) are the same release of the same code."""
    return {name: str(version).split("+", 1)[0] for name, version in versions.items()}
