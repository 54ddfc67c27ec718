"""The SHA-256 of local files (id-card images), hashed once per version of the file.

Why a cache: every plan fingerprints the account section, and a local id-card image is part
of it by its content's hash; the controller plans the same mini-programs thousands of times,
and hashing their images again each time was ~5 % of its CPU (bench/README.md). A file is
hashed again as soon as anything about it changes: device, inode (a file replaced by a
rename), size, modification or change time.

Filesystem timestamps are coarse (a kernel tick): a same-size rewrite within the tick of the
hashed version would keep its times. So a version is cached only once it is older than
`SETTLED` seconds when hashed (git's "racy" entries): any later write gets later times.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

#: A file's times must be this much older than the hash for the digest to be cached.
SETTLED = 2.0
#: At most this many files are remembered (the cache starts over beyond it).
LIMIT = 4096

_Key = tuple[int, int, int, int, int]

_cache: dict[str, tuple[_Key, str]] = {}
_guard = threading.Lock()


def _key(stat: os.stat_result) -> _Key:
    return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def cached_sha256(path: Path) -> str | None:
    """The digest of `path` if this very version of it was hashed before (one stat)."""
    name = os.fspath(path)
    with _guard:
        known = _cache.get(name)
    if known is None:
        return None
    try:
        key = _key(os.stat(name))
    except OSError:
        return None
    return known[1] if known[0] == key else None


def file_sha256(path: Path) -> str:
    """The SHA-256 (hex) of the file's content; raises OSError when it cannot be read."""
    found = cached_sha256(path)
    if found is not None:
        return found
    name = os.fspath(path)
    digest = hashlib.sha256()
    with open(name, "rb") as handle:
        before = _key(os.fstat(handle.fileno()))
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
        after = _key(os.fstat(handle.fileno()))
    hexdigest = digest.hexdigest()
    settled = time.time_ns() - max(before[3], before[4]) > SETTLED * 1e9
    if before == after and settled:
        with _guard:
            if len(_cache) >= LIMIT:
                _cache.clear()
            _cache[name] = (before, hexdigest)
    return hexdigest
