"""Waiting in async tests for something another task makes true."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait (yielding to the loop) until `condition()` holds; fail the test after `timeout` s."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.002)
