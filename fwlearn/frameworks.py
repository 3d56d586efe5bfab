"""Frameworks, Keras backends, devices and sides: the one place the app and the CLI read them.

The names are *defined* below this layer and re-exported here, so each has exactly one home:
the engine validates a ``RunSpec`` against ``FRAMEWORKS``/``KERAS_BACKENDS``/``DEVICES`` and may
import nothing above it; the lesson format names its two ``SIDES``. Everything above (the
command line, the app) imports them from here.

Whether a framework is installed is asked of ``importlib.util.find_spec`` and its version of
``importlib.metadata``: neither imports it, so the app and ``fwlearn doctor`` stay free of
torch/tensorflow (a test checks ``sys.modules``).
"""

from __future__ import annotations

import importlib.util
from functools import cache
from importlib import metadata, resources

from fwlearn.engine.spec import DEVICES, FRAMEWORKS, KERAS_BACKENDS
from fwlearn.lessons import SIDES

# `fwlearn run LESSON --side`: one side, or both one after the other.
SIDE_CHOICES = (*SIDES, "both")

# How the app names each side, and the shortest form (a chart legend squeezed into 80 columns).
SIDE_LABELS = {"keras": "Keras", "pytorch": "PyTorch"}
SIDE_SHORT = {"keras": "K", "pytorch": "PT"}

# The import name each Keras backend needs (tensorflow ships as tensorflow or tensorflow-cpu).
BACKEND_PACKAGES = {backend: backend for backend in KERAS_BACKENDS}

# What `fwlearn doctor` lists, installed against tested.
FRAMEWORK_PACKAGES = (
    "torch",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "jax",
    "scikit-learn",
    "pandas",
)

# How a learner gets each missing piece (shown by the app next to the side that cannot run).
INSTALL = {
    "torch": "pip install 'fwlearn[torch]'  (or: pip install torch)",
    "keras": "pip install 'fwlearn[tensorflow-cpu]'  (or, with torch only: pip install keras)",
    "tensorflow": "pip install tensorflow-cpu",
    "jax": "pip install jax",
}

# Label in the app's header -> distributions that provide it (first one installed wins).
VERSION_LABELS = (
    ("keras", "keras"),
    ("tf", "tensorflow"),
    ("tf", "tensorflow-cpu"),
    ("torch", "torch"),
)


def installed_frameworks() -> set[str]:
    """Top-level packages present (torch, keras and every Keras backend), found without
    importing them."""
    names = {"torch", "keras", *BACKEND_PACKAGES.values()}
    return {name for name in sorted(names) if importlib.util.find_spec(name)}


def installed_keras_backends(installed: set[str] | None = None) -> list[str]:
    """The Keras backends that can run here, in ``KERAS_BACKENDS`` order: what the app offers
    (the engine accepts all of them and says so when one is missing)."""
    have = installed_frameworks() if installed is None else installed
    return [b for b in KERAS_BACKENDS if BACKEND_PACKAGES[b] in have]


def installed_version(package: str) -> str | None:
    """The installed version of a distribution, None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


@cache
def installed_versions() -> dict[str, str]:
    """Short label -> version of the frameworks installed (``keras``, ``tf``, ``torch``)."""
    found: dict[str, str] = {}
    for label, dist in VERSION_LABELS:
        version = installed_version(dist)
        if version is not None:
            found.setdefault(label, version)
    return found


@cache
def tested_versions() -> dict[str, str]:
    """The pins in the constraints file this fwlearn was tested with (lower-case names)."""
    pins: dict[str, str] = {}
    try:
        text = resources.files("fwlearn").joinpath("constraints.txt").read_text(encoding="utf-8")
    except OSError:
        return pins
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


__all__ = [
    "BACKEND_PACKAGES",
    "DEVICES",
    "FRAMEWORKS",
    "FRAMEWORK_PACKAGES",
    "INSTALL",
    "KERAS_BACKENDS",
    "SIDES",
    "SIDE_CHOICES",
    "installed_frameworks",
    "installed_keras_backends",
    "installed_version",
    "installed_versions",
    "tested_versions",
]
