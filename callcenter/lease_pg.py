"""A lease on PostgreSQL (a session advisory lock) for `callcenter worker` without Redis."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from callcenter.lease import POLL_S, RENEW_S

log = logging.getLogger(__name__)


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for `name`."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class PgLease:
    """`pg_try_advisory_lock` on a dedicated connection kept open: the lock is the holder's
    as long as its session lives, and PostgreSQL frees it when the session ends (a crash
    included). The holder checks its connection every `renew_s`; one that fails (or does not
    answer within `renew_s`) counts the lease lost."""

    def __init__(
        self, engine: Engine, name: str, *, renew_s: float = RENEW_S, poll_s: float = POLL_S
    ) -> None:
        self.engine = engine
        self.name = name
        self.lock = lock_id(name)
        self.renew_s = renew_s
        self.poll_s = poll_s
        self._connection: Connection | None = None

    async def acquire(self, stop: asyncio.Event | None = None) -> bool:
        """Wait until the lock is ours (True) or `stop` is set (False), polling."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                if await asyncio.to_thread(self._try_lock):
                    return True
            except SQLAlchemyError as error:
                log.warning("could not ask PostgreSQL for the lease %s: %s", self.name, error)
                await asyncio.to_thread(self._close)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_s):
                    await stop.wait()
        return False

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[asyncio.Event]:
        """Check the session while inside; the event is set once it is lost."""
        lost = asyncio.Event()
        task = asyncio.create_task(self._keep(lost), name=f"lease {self.name}")
        try:
            yield lost
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def release(self) -> None:
        """Unlock and close the session."""
        await asyncio.to_thread(self._close, True)

    async def _keep(self, lost: asyncio.Event) -> None:
        while True:
            await asyncio.sleep(self.renew_s)
            try:
                async with asyncio.timeout(self.renew_s):
                    await asyncio.to_thread(self._check)
            except (SQLAlchemyError, TimeoutError) as error:
                log.warning("lease %s lost: its PostgreSQL session failed (%s)", self.name, error)
                # Its session is dropped (in the background: it may hang), and the lock with it.
                connection, self._connection = self._connection, None
                if connection is not None:
                    asyncio.get_running_loop().run_in_executor(None, _quietly_close, connection)
                lost.set()
                return

    def _try_lock(self) -> bool:
        if self._connection is None:
            self._connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        query = text("SELECT pg_try_advisory_lock(:lock)")
        return bool(self._connection.execute(query, {"lock": self.lock}).scalar())

    def _check(self) -> None:
        if self._connection is None:
            raise SQLAlchemyError("no session")
        self._connection.execute(text("SELECT 1"))

    def _close(self, unlock: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if unlock:
            with contextlib.suppress(SQLAlchemyError):
                connection.execute(text("SELECT pg_advisory_unlock(:lock)"), {"lock": self.lock})
        _quietly_close(connection)


def _quietly_close(connection: Connection) -> None:
    with contextlib.suppress(SQLAlchemyError):
        connection.close()
