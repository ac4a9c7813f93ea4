"""Redis clients for the processes that share a bus (CALLCENTER_BUS_URL), made alike."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from callcenter.settings import masked_url

# Every key this product writes starts with this, so one Redis may serve other things too.
KEY_PREFIX = "cc:"

# A Redis that does not answer in this many seconds is treated as down (logged, retried):
# the callers (a bus reader, a lease renewal) each decide what that means for them.
CONNECT_TIMEOUT_S = 2.0
COMMAND_TIMEOUT_S = 5.0


def key(*parts: object) -> str:
    """`key("lease", "pbx", "pbx1")` -> `cc:lease:pbx:pbx1`."""
    return KEY_PREFIX + ":".join(str(part) for part in parts)


def async_client(
    url: str, *, command_timeout_s: float | None = COMMAND_TIMEOUT_S
) -> aioredis.Redis:
    """An asyncio client for `url` (bytes in and out); `command_timeout_s=None` for one that
    blocks on XREAD/BLPOP for longer than the usual timeout."""
    return aioredis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=command_timeout_s,
        health_check_interval=10,
        retry_on_timeout=False,
    )


def sync_client(url: str) -> redis.Redis:
    """A blocking client for `url`, for threads and command-line tools."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=COMMAND_TIMEOUT_S,
        health_check_interval=10,
    )


def describe(url: str) -> str:
    """`url` fit for a log line (password hidden)."""
    return masked_url(url)
