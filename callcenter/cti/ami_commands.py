"""What PBX commands need of an AMI link: the connection itself, or one reached by request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from callcenter.cti.frames import Frame
from callcenter.cti.protocol import AmiAction, AmiMessage, Headers


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

    def watching(self, watcher: Callable[[Frame], None]) -> AbstractContextManager[None]: ...
