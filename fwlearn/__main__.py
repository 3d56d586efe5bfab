"""``python -m fwlearn`` is the ``fwlearn`` command."""

from fwlearn.tui.cli import main

main()
