"""An open websocket lives only as long as the session or token it was opened with."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Row, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from callcenter.deps import SignedInUser
from callcenter.events import UserSessionsEnded
from callcenter.users.auth import SessionSigner, WebSession
from callcenter.users.models import User
from callcenter.users.service import user_for_token

if TYPE_CHECKING:
    from callcenter.services import Services

log = logging.getLogger(__name__)

# Users looked up per query: well under any database's limit on bound parameters.
_IDS_PER_QUERY = 500


@dataclass(eq=False)
class _OpenSocket:
    """One open websocket: who opened it, with what, and the future that ends it.

    A cookie is read once, when the socket opens, and again only after a key rotation:
    checking its signature costs about 60 us, a whole floor's every round.
    """

    viewer: SignedInUser
    cookie: str | None
    authorization: str | None
    signed_out: asyncio.Future[None] = field(repr=False)
    signer: SessionSigner | None = None
    web: WebSession | None = None
    expires_at: float = 0.0

    def read_cookie(self, signer: SessionSigner) -> None:
        """Read the cookie with `signer` (the deployment's current key)."""
        read = signer.read_with_expiry(self.cookie)
        self.signer = signer
        self.web, self.expires_at = read if read is not None else (None, 0.0)


class SessionWatch:
    """Every open websocket of this process, closed when its credentials stop holding.

    At once for a user whose sessions this process ends or whose tokens it revokes (the bus
    says so). A change made elsewhere (`callcenter users revoke`, another server) is found
    by re-checking all open sockets together every `session_recheck_s` seconds: one thread
    hop and one query per 500 users, nothing written. (A check per socket cost a thousand
    thread hops and queries per interval at a full floor, and delayed the screen pops.)
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._open: set[_OpenSocket] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin watching (inside the running loop)."""
        self._task = asyncio.get_running_loop().create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching; sockets still open are left to the hub's own closing."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def until_signed_out(
        self, viewer: SignedInUser, cookie: str | None, authorization: str | None
    ) -> None:
        """Return once `viewer`'s credentials no longer hold (the socket then closes, 4401)."""
        socket = _OpenSocket(
            viewer, cookie, authorization, asyncio.get_running_loop().create_future()
        )
        if not authorization:
            socket.read_cookie(self._services.session_keys.signer())
        self._open.add(socket)
        try:
            await socket.signed_out
        finally:
            self._open.discard(socket)

    async def _watch(self) -> None:
        ended, unsubscribe = self._services.bus.queue(UserSessionsEnded)
        loop = asyncio.get_running_loop()
        every_s = self._services.settings.session_recheck_s
        try:
            next_round = loop.time() + every_s
            while True:
                try:
                    news = await asyncio.wait_for(ended.get(), max(0.0, next_round - loop.time()))
                except TimeoutError:
                    news = None
                if news is None:
                    next_round = loop.time() + every_s
                    await self._check(list(self._open))
                    continue
                users = {news.user_id}
                while not ended.empty():
                    users.add(ended.get_nowait().user_id)
                await self._check([s for s in self._open if s.viewer.id in users])
        finally:
            unsubscribe()

    async def _check(self, sockets: list[_OpenSocket]) -> None:
        if not sockets:
            return
        try:
            ended = await asyncio.to_thread(self._ended, sockets)
        except SQLAlchemyError as exc:
            # A busy or lost database says nothing about the sessions: try again next round.
            log.warning("could not re-check %d open sockets' sessions: %s", len(sockets), exc)
            return
        for socket in ended:
            if not socket.signed_out.done():
                socket.signed_out.set_result(None)

    def _ended(self, sockets: list[_OpenSocket]) -> list[_OpenSocket]:
        """The sockets whose session or token no longer holds (runs in a worker thread)."""
        signer = self._services.session_keys.signer()
        with self._services.sessions() as session:
            by_token = [s for s in sockets if s.authorization]
            by_cookie = [s for s in sockets if not s.authorization]
            return _ended_tokens(session, by_token) + _ended_cookies(session, signer, by_cookie)


def _ended_cookies(
    session: Session, signer: SessionSigner, sockets: list[_OpenSocket]
) -> list[_OpenSocket]:
    for socket in sockets:
        if socket.signer is not signer:  # the key was rotated since: read it again
            socket.read_cookie(signer)
    wanted = sorted({s.web.user_id for s in sockets if s.web is not None})
    users = dict(_users_now(session, wanted))
    now = time.time()
    ended = []
    for socket in sockets:
        web = socket.web
        user = users.get(web.user_id) if web is not None else None
        if (
            web is None  # forged, or signed with a key since rotated
            or now >= socket.expires_at
            or user is None
            or not user.active
            or user.session_generation != web.generation
            # A new role changes what the socket may show: it is opened again under it.
            or user.role != socket.viewer.role
        ):
            ended.append(socket)
    return ended


def _users_now(session: Session, ids: list[int]) -> Iterable[tuple[int, Row[int, bool, int, str]]]:
    """What decides whether a user's sessions hold, without loading whole users."""
    columns = (User.id, User.active, User.session_generation, User.role)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start : start + _IDS_PER_QUERY]
        for row in session.execute(select(*columns).where(User.id.in_(chunk))):
            yield row.id, row


def _ended_tokens(session: Session, sockets: list[_OpenSocket]) -> list[_OpenSocket]:
    ended = []
    for socket in sockets:
        scheme, _, token = (socket.authorization or "").partition(" ")
        user = (
            user_for_token(session, token.strip(), touch=False)
            if scheme.lower() == "bearer" and token.strip()
            else None
        )
        if user is None or user.id != socket.viewer.id or user.role != socket.viewer.role:
            ended.append(socket)
    return ended
