"""Lesson packs: the format, the loader and validator, and the built-in lessons (stdlib only)."""
