"""``python -m fwlearn`` is the ``fwlearn`` command."""

from fwlearn.cli import main

main()
