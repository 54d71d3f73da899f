"""Write a file so that a reader sees the old content or the new, never half."""

from __future__ import annotations

import contextlib
import os


def write_atomically(path: str | os.PathLike[str], data: bytes | str, mode: int = 0o644) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path``; on any
    failure the temporary file is removed and the error raised."""
    target = os.fspath(path)
    tmp = f"{target}.{os.getpid()}.tmp"
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with open(fd, "wb") as file:
            file.write(raw)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
