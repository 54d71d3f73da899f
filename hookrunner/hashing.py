"""Names for content: git's blob id, and a digest for everything else.

Imports nothing costly: the hash functions come from their own C modules,
since hashlib would load OpenSSL first, which costs a hook a few
milliseconds on every commit.
"""

from __future__ import annotations

try:
    from _sha1 import sha1  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover (CPython always has it)
    from hashlib import sha1
try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover
    from hashlib import blake2b


def blob_id(data: bytes) -> str:
    """The id git gives a blob with this content."""
    ident: str = sha1(b"blob %d\0" % len(data) + data).hexdigest()
    return ident


def digest(data: bytes) -> str:
    """A 256-bit name for ``data``."""
    return blake2b(data, digest_size=32).hexdigest()


def digest_of(material: object) -> str:
    # repr of str, int, float, bool, None, list, tuple and dict (in insertion
    # order) is exact and stable.
    return digest(repr(material).encode("utf-8", "surrogateescape"))


def config_digest(table: bytes, pre_commit: bytes | None = None) -> str:
    """Names a run's configuration: the table's file and, when the repository
    has one, its ``.pre-commit-config.yaml`` (its hooks may be the tasks)."""
    return digest(table) if pre_commit is None else digest_of([digest(table), digest(pre_commit)])
