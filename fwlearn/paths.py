"""Where fwlearn keeps the learner's data (progress, edits, run history)."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "FWLEARN_HOME"


def data_home() -> Path:
    """``$FWLEARN_HOME`` if set (tests, several installs side by side), else the platform's
    user data directory (e.g. ``~/.local/share/fwlearn``)."""
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("fwlearn", appauthor=False))
