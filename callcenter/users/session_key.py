"""The key that signs session cookies: from the environment, or generated once and kept.

No key ships with the code. `CALLCENTER_SECRET_KEY` wins when set. Otherwise a SQLite
deployment keeps a random key in a file beside its database (mode 0600), made on first
start; an in-memory database gets a key for the life of the process. Any other database
serves several processes, which must share one key, so it refuses to start without one.
Rotating the kept key (`callcenter session-key rotate`) signs everyone out: running web
apps see the new file within a second.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from callcenter.settings import Settings
from callcenter.users.auth import SessionSigner

KEY_FILE_SUFFIX = ".session-key"
KEY_BYTES = 32
# A rotated key file is noticed this soon by every process that reads it.
RECHECK_S = 1.0


class SessionKeyError(Exception):
    """The session key cannot be had; the message is one sentence for the operator."""


def new_key() -> str:
    """A fresh random key (256 bits, URL-safe text)."""
    return secrets.token_urlsafe(KEY_BYTES)


def key_file_for(database_url: str) -> Path | None:
    """Where a SQLite file database keeps its session key; None for an in-memory one.

    Raises SessionKeyError for a database that is not SQLite: it needs the key set.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise SessionKeyError(f"cannot read the database URL {database_url!r}") from exc
    if url.get_backend_name() != "sqlite":
        raise SessionKeyError(
            "CALLCENTER_SECRET_KEY is not set: with a database other than SQLite every web "
            "process must share one key (make one with `callcenter session-key generate`)"
        )
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve().with_name(Path(database).name + KEY_FILE_SUFFIX)


def read_key_file(path: Path) -> str:
    """The key kept in `path`; refuses a file others may read or one too short to trust."""
    try:
        info = path.stat()
    except OSError as exc:
        raise SessionKeyError(f"cannot read the session key file {path}: {exc.strerror}") from exc
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SessionKeyError(
            f"the session key file {path} may be read by others "
            f"(mode {stat.S_IMODE(info.st_mode):o}): run chmod 600 on it"
        )
    key = path.read_text(encoding="ascii").strip()
    if len(key) < KEY_BYTES:
        raise SessionKeyError(f"the session key file {path} holds no usable key")
    return key


def write_key_file(path: Path, key: str) -> None:
    """Write `key` to `path` atomically, readable by this user alone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key + "\n")
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def ensure_key_file(path: Path) -> str:
    """The key in `path`, made first when there is none."""
    if not path.exists():
        try:
            write_key_file(path, new_key())
        except FileExistsError:  # another process is making it at this moment
            time.sleep(0.05)
    return read_key_file(path)


class SessionKeys:
    """The signer of session cookies under the current key, following a rotated key file."""

    def __init__(
        self,
        key: str | None = None,
        path: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if (key is None) == (path is None):
            raise ValueError("give a key or a key file")
        self.path = path
        self._clock = clock
        self._stamp: tuple[int, int] | None = None
        self._checked = clock()
        if path is not None:
            key = ensure_key_file(path)
            self._stamp = _stamp(path)
        assert key is not None
        self._signer = SessionSigner(key)

    def signer(self) -> SessionSigner:
        """The signer for now: a key file rotated on disk takes effect within a second."""
        if self.path is not None and self._clock() - self._checked >= RECHECK_S:
            self._checked = self._clock()
            stamp = _stamp(self.path)
            if stamp != self._stamp:
                self._signer = SessionSigner(read_key_file(self.path))
                self._stamp = stamp
        return self._signer


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def session_keys(settings: Settings) -> SessionKeys:
    """The deployment's session keys; raises SessionKeyError when none can be had."""
    if settings.secret_key is not None:
        return SessionKeys(key=settings.secret_key.get_secret_value())
    path = key_file_for(settings.database_url)
    if path is None:
        # In-memory database: sessions cannot outlive it anyway.
        return SessionKeys(key=new_key())
    try:
        return SessionKeys(path=path)
    except OSError as exc:
        raise SessionKeyError(f"cannot keep a session key in {path}: {exc.strerror}") from exc


def rotate(settings: Settings) -> Path:
    """Replace the kept key with a new one; every session signed with the old one ends."""
    if settings.secret_key is not None:
        raise SessionKeyError(
            "the key comes from CALLCENTER_SECRET_KEY: set a new value there and restart "
            "the web processes"
        )
    path = key_file_for(settings.database_url)
    if path is None:
        raise SessionKeyError("an in-memory database keeps no session key to rotate")
    write_key_file(path, new_key())
    return path
