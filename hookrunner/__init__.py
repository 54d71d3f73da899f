"""paratools: run format, lint and test checks concurrently (the ``hookrunner`` command)."""

from __future__ import annotations

__version__ = "0.1.0"
