"""What PBX commands need of an AMI link: the connection itself, or one reached by request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from callcenter.cti.frames import Frame, Wants
from callcenter.cti.protocol import ActionRefused, AmiAction, AmiMessage, Headers


class AmiCommands(Protocol):
    """`AmiConnection` in the PBX's process, `RemoteAmi` in the others."""

    action_timeout: float

    async def call(
        self,
        action: AmiAction,
        *,
        timeout: float | None = None,
        wait_connected: float | None = None,
    ) -> AmiMessage | list[AmiMessage]: ...

    async def request(self, headers: Headers, *, timeout: float | None = None) -> Frame: ...

    async def request_list(
        self, headers: Headers, *, timeout: float | None = None
    ) -> list[Frame]: ...

    async def call_followed(
        self, action: AmiAction, *, timeout: float | None = None
    ) -> tuple[AmiMessage, asyncio.Future[Frame]]: ...

    def watching(
        self, watcher: Callable[[Frame], None], events: Wants | None = None
    ) -> AbstractContextManager[None]: ...


class Requests:
    """`request` and `request_list` on top of a link's `call`: the same for the PBX's own
    connection and for the remote one."""

    async def call(
        self,
        action: AmiAction,
        *,
        timeout: float | None = None,
        wait_connected: float | None = None,
    ) -> AmiMessage | list[AmiMessage]:
        raise NotImplementedError

    async def request(self, headers: Headers, *, timeout: float | None = None) -> Frame:
        """Send a single-answer action; its response frame, or `ActionRefused`."""
        action = AmiAction(headers)
        answer = await self.call(action, timeout=timeout)
        assert isinstance(answer, AmiMessage)
        return accepted(answer, action.name)

    async def request_list(self, headers: Headers, *, timeout: float | None = None) -> list[Frame]:
        """Send an action answered by an event list; the events, the `...Complete` one last."""
        action = AmiAction(headers, as_list=True)
        answer = await self.call(action, timeout=timeout)
        if isinstance(answer, AmiMessage):
            accepted(answer, action.name)
            raise ActionRefused(action.name, "no event list followed")
        return [message.frame for message in answer[1:]]


def accepted(answer: AmiMessage, action: str) -> Frame:
    """The response frame of a successful action, or `ActionRefused` with the PBX's reason."""
    frame = answer.frame
    if frame.get("Response") != "Success":
        raise ActionRefused(action, frame.get("Message") or "no reason given")
    return frame
