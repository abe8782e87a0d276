"""On-disk layout of a key directory: ``keys.json``, ``<kid>.pem`` files and a lock file.

Every write goes to a temporary file in the same directory and is moved into
place with :func:`os.replace`, so readers see either the old or the new file,
never a half-written one. Writers serialise with ``fcntl.flock`` on
``keys.lock``. Readers take no lock; they detect a change by comparing the
inode, mtime and size of ``keys.json`` (a replace always changes the inode).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .errors import CorruptKeyStore
from .jwks import PRIVATE_MEMBERS, jwk_matches_alg, jwk_thumbprint
from .rotation import KeyRecord, KeyState

__all__ = [
    "KEYS_FILE",
    "LOCK_FILE",
    "FileIdentity",
    "StoredState",
    "ensure_directory",
    "exclusive_lock",
    "file_identity",
    "pem_path",
    "read_state",
    "write_private_file",
    "write_state",
]

KEYS_FILE = "keys.json"
LOCK_FILE = "keys.lock"
FORMAT_VERSION = 1
_MTIME_STEP_NS = 1_000  # 1 µs; ext4, XFS, btrfs and tmpfs keep nanosecond mtimes
_KID = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url SHA-256, i.e. an RFC 7638 thumbprint

#: (inode, mtime in ns, size) of keys.json.
FileIdentity = tuple[int, int, int]


@dataclass(frozen=True)
class StoredState:
    """The parsed content of ``keys.json`` and the identity of the file it came from."""

    identity: FileIdentity | None = None
    records: tuple[KeyRecord, ...] = ()
    jwks: Mapping[str, dict[str, str]] = field(default_factory=dict)


def _identity(st: os.stat_result) -> FileIdentity:
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def file_identity(directory: Path) -> FileIdentity | None:
    """Identity of ``keys.json``, or None if it does not exist."""
    try:
        return _identity(os.stat(directory / KEYS_FILE))
    except FileNotFoundError:
        return None


def pem_path(directory: Path, kid: str) -> Path:
    """Path of the encrypted private key file of ``kid``."""
    if not _KID.match(kid):
        raise CorruptKeyStore(f"invalid kid {kid!r} in {directory / KEYS_FILE}")
    return directory / f"{kid}.pem"


def ensure_directory(directory: Path) -> None:
    """Create the key directory (mode 0700) or tighten an existing one to 0700."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(directory.stat().st_mode) != 0o700:
        os.chmod(directory, 0o700)


@contextmanager
def exclusive_lock(directory: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on the directory's lock file (blocks other writers)."""
    ensure_directory(directory)
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_private_file(path: Path, data: bytes, *, mtime_ns: int | None = None) -> None:
    """Atomically write ``data`` to ``path`` with mode 0600 (temp file, fsync, replace).

    ``mtime_ns``, if given, is set as the new file's modification time.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        if mtime_ns is not None:
            os.utime(tmp, ns=(mtime_ns, mtime_ns))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_state(directory: Path, records: Sequence[KeyRecord], jwks: Mapping[str, Mapping[str, str]]) -> None:
    """Atomically replace ``keys.json`` with ``records`` and their public JWKs.

    The new file's mtime is made strictly later than the old one's, so that a
    reader holding the identity of any earlier version sees a change even if
    the filesystem reuses the inode and the size happens to be equal.
    """
    entries = [{**asdict(r), "state": str(r.state), "jwk": dict(jwks[r.kid])} for r in records]
    document = {"version": FORMAT_VERSION, "keys": entries}
    previous = file_identity(directory)
    mtime_ns = time.time_ns() if previous is None else max(time.time_ns(), previous[1] + _MTIME_STEP_NS)
    write_private_file(directory / KEYS_FILE, (json.dumps(document, indent=2) + "\n").encode(), mtime_ns=mtime_ns)


def _parse_entry(entry: Mapping[str, Any]) -> tuple[KeyRecord, dict[str, str]]:
    jwk = entry["jwk"]
    if not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
        raise ValueError("jwk must be a public JWK object")
    record = KeyRecord(
        kid=str(entry["kid"]),
        alg=str(entry["alg"]),
        state=KeyState(entry["state"]),
        created_at=float(entry["created_at"]),
        published_at=float(entry["published_at"]),
        activated_at=None if entry.get("activated_at") is None else float(entry["activated_at"]),
        retired_at=None if entry.get("retired_at") is None else float(entry["retired_at"]),
        development=bool(entry.get("development", False)),
    )
    if not _KID.match(record.kid) or jwk_thumbprint(jwk) != record.kid:
        raise ValueError(f"kid {record.kid} is not the RFC 7638 thumbprint of its jwk")
    if not jwk_matches_alg(jwk, record.alg) or jwk.get("kid") != record.kid:
        raise ValueError(f"jwk of {record.kid} does not match its kid/alg")
    return record, {str(k): str(v) for k, v in jwk.items()}


def read_state(directory: Path) -> StoredState:
    """Parse ``keys.json``; an absent file is an empty store."""
    path = directory / KEYS_FILE
    try:
        with open(path, "rb") as handle:
            identity = _identity(os.fstat(handle.fileno()))
            raw = handle.read()
    except FileNotFoundError:
        return StoredState()
    try:
        document = json.loads(raw)
        if document.get("version") != FORMAT_VERSION:
            raise ValueError(f"unknown format version {document.get('version')!r}")
        parsed = [_parse_entry(entry) for entry in document["keys"]]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CorruptKeyStore(f"{path} is damaged ({error}); restore it from backup") from None
    if len({record.kid for record, _ in parsed}) != len(parsed):
        raise CorruptKeyStore(f"{path} lists a kid twice; restore it from backup")
    return StoredState(
        identity=identity,
        records=tuple(record for record, _ in parsed),
        jwks={record.kid: jwk for record, jwk in parsed},
    )
