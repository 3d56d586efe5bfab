"""The installed fwlearn's version, for ``--version`` and ``fwlearn doctor``."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    """The distribution's version; "dev" when run from a tree that was never installed."""
    try:
        return metadata.version("fwlearn")
    except metadata.PackageNotFoundError:
        return "dev"
