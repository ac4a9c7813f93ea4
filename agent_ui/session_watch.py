"""An open websocket lives only as long as the session or token it was opened with."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from callcenter.deps import SignedInUser, identify
from callcenter.events import UserSessionsEnded

if TYPE_CHECKING:
    from callcenter.services import Services

log = logging.getLogger(__name__)


async def until_signed_out(
    state: Services, viewer: SignedInUser, cookie: str | None, authorization: str | None
) -> None:
    """Return once `viewer`'s credentials no longer hold (the socket then closes, 4401).

    At once when this process ends their sessions or revokes their tokens (the bus says
    so); a change made elsewhere (`callcenter users revoke`, another server) is found by
    re-checking every `session_recheck_s` seconds: one query, nothing written.
    """
    ended, unsubscribe = state.bus.queue(UserSessionsEnded)
    loop = asyncio.get_running_loop()
    every_s = state.settings.session_recheck_s
    try:
        check_at = loop.time() + _spread(every_s)
        while True:
            try:
                news = await asyncio.wait_for(ended.get(), max(0.0, check_at - loop.time()))
            except TimeoutError:
                news = None
            if news is not None and news.user_id != viewer.id:
                continue  # someone else's: keep the periodic check where it was
            try:
                valid = await asyncio.to_thread(_still_valid, state, viewer, cookie, authorization)
            except SQLAlchemyError as exc:
                # A busy or lost database says nothing about the session: try again later.
                log.warning("could not re-check the session of %s: %s", viewer.username, exc)
                valid = True
            if not valid:
                return
            check_at = loop.time() + _spread(every_s)
    finally:
        unsubscribe()


def _spread(every_s: float) -> float:
    """The wait before the next re-check: `every_s` on average, spread over half to one and
    a half times it, so a floor's sockets opened together do not all query at one moment
    (a thousand re-checks at once stall the screen pops)."""
    return every_s * (0.5 + random.random())


def _still_valid(
    state: Services, viewer: SignedInUser, cookie: str | None, authorization: str | None
) -> bool:
    with state.sessions() as session:
        now = identify(session, state.session_keys.signer(), cookie, authorization, touch=False)
    # A new role changes what the socket may show: it is opened again under the new one.
    return now is not None and now.id == viewer.id and now.role == viewer.role
