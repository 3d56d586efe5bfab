"""The Textual app and the ``fwlearn`` command. Importing this package imports no textual."""
