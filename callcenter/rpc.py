"""Requests to the one process that holds a resource (a PBX link), and its replies, over Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from callcenter.redis_link import async_client, key

log = logging.getLogger(__name__)

Handler = Callable[..., Awaitable[Any]]

# How long a reply waits in Redis for a caller that may have gone (seconds).
REPLY_TTL_S = 30
# The service says it is there this often, for this long: a caller finding nobody there
# fails at once instead of waiting for its timeout.
ALIVE_EVERY_S = 1.0
ALIVE_TTL_S = 3
# Waits between attempts to reach a Redis that went away: doubling, capped.
RETRY_FIRST_S = 0.2
RETRY_CAP_S = 5.0

# Push the request only when a service is there; refresh the queue's expiry (a queue nobody
# serves any more disappears instead of piling up). KEYS: alive, queue; ARGV: payload, ttl.
_PUSH_IF_SERVED = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""


class RpcUnavailable(Exception):
    """No reply in time. `taken` says whether a service took the request (it may then have
    acted); when False, it was withdrawn or never queued and will never be executed."""

    def __init__(self, message: str, *, taken: bool | None) -> None:
        super().__init__(message)
        self.taken = taken


class RpcFailed(Exception):
    """The handler raised: `kind` is the exception's class name, `message` its sentence,
    `detail` its plain attributes (so a caller can raise the same error again)."""

    def __init__(self, kind: str, message: str, detail: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.detail = dict(detail or {})


def queue_key(name: str) -> str:
    return key("rpc", name)


def reply_key(request_id: str) -> str:
    return key("rpc", "reply", request_id)


def alive_key(name: str) -> str:
    return key("rpc", "alive", name)


class RpcService:
    """Serves `handlers` to callers of `name`: one task per request, at most `concurrency`
    at once; a request whose caller gave up (deadline passed) is dropped unexecuted.

    `client` must not time out on its own blocking reads (`async_client(...,
    command_timeout_s=None)`): BLPOP waits up to `poll_s` for the next request.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        name: str,
        handlers: Mapping[str, Handler],
        *,
        concurrency: int = 128,
        poll_s: float = 1.0,
    ) -> None:
        self.client = client
        self.name = name
        self.handlers = dict(handlers)
        self.poll_s = poll_s
        self.served = 0
        self.dropped = 0
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Take and serve requests until cancelled; a lost Redis is retried, never fatal."""
        alive = asyncio.create_task(self._say_alive(), name=f"rpc {self.name} alive")
        try:
            await self._take_requests()
        finally:
            alive.cancel()
            for task in [alive, *self._tasks]:
                task.cancel()
            await asyncio.gather(alive, *self._tasks, return_exceptions=True)
            with contextlib.suppress(RedisError, OSError):
                await self.client.delete(alive_key(self.name))

    async def _take_requests(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            await self._slots.acquire()
            try:
                taken = await self.client.blpop([queue_key(self.name)], timeout=self.poll_s)
            except (RedisError, OSError) as exc:
                self._slots.release()
                log.warning(
                    "rpc %s: Redis unreachable (%s); retrying in %.1f s", self.name, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(RETRY_CAP_S, delay * 2)
                continue
            except BaseException:
                self._slots.release()
                raise
            delay = RETRY_FIRST_S
            if taken is None:
                self._slots.release()
                continue
            task = asyncio.create_task(self._serve(taken[1]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _say_alive(self) -> None:
        while True:
            try:
                await self.client.set(alive_key(self.name), b"1", ex=ALIVE_TTL_S)
            except (RedisError, OSError) as exc:
                log.debug("rpc %s: could not say alive: %s", self.name, exc)
            await asyncio.sleep(ALIVE_EVERY_S)

    async def _serve(self, raw: bytes | str) -> None:
        try:
            request = json.loads(raw)
            request_id, method = str(request["id"]), str(request["method"])
            args, deadline = dict(request["args"]), float(request["deadline"])
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("rpc %s: dropped a malformed request (%s): %r", self.name, exc, raw[:200])
            self._slots.release()
            return
        try:
            left = deadline - time.time()
            if left <= 0:
                self.dropped += 1
                log.warning(
                    "rpc %s: dropped %s unexecuted: its caller gave up %.1f s ago",
                    self.name, method, -left,
                )  # fmt: skip
                return
            reply = await self._answer(method, args, left)
            self.served += 1
            await self._reply(request_id, reply)
        finally:
            self._slots.release()

    async def _answer(self, method: str, args: dict[str, Any], left: float) -> dict[str, Any]:
        handler = self.handlers.get(method)
        if handler is None:
            return _error("UnknownMethod", f"{self.name} has no method {method!r}", {})
        deadline = asyncio.timeout(left)
        try:
            async with deadline:
                return {"result": await handler(**args)}
        except TimeoutError as exc:
            if not deadline.expired():
                return _error(type(exc).__name__, str(exc), vars(exc))
            log.warning("rpc %s: %s outlived its caller's deadline; abandoned", self.name, method)
            return _error("TimeoutError", f"{method} did not finish in time", {})
        except Exception as exc:  # the handler's failure is the caller's answer
            log.info("rpc %s: %s raised %s: %s", self.name, method, type(exc).__name__, exc)
            return _error(
                type(exc).__name__, str(exc), vars(exc) if hasattr(exc, "__dict__") else {}
            )

    async def _reply(self, request_id: str, reply: dict[str, Any]) -> None:
        try:
            body = json.dumps(reply)
        except (TypeError, ValueError) as exc:
            body = json.dumps(_error("TypeError", f"the reply is not plain data: {exc}", {}))
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.rpush(reply_key(request_id), body)
                pipe.expire(reply_key(request_id), REPLY_TTL_S)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("rpc %s: could not reply to %s: %s", self.name, request_id, exc)


def _error(kind: str, message: str, detail: Mapping[str, Any]) -> dict[str, Any]:
    plain = {
        name: value
        for name, value in detail.items()
        if not name.startswith("_") and isinstance(value, str | int | float | bool | None)
    }
    return {"error": {"kind": kind, "message": message, "detail": plain}}


class RpcClient:
    """Calls the service `name`; `client` should not time out on its own before `timeout_s`
    (`async_client(..., command_timeout_s=None)`): the wait is bounded here.

    `what` names the service in sentences: "the PBX link (pbx1) is not answering".
    """

    def __init__(self, client: aioredis.Redis, name: str, *, what: str | None = None) -> None:
        self.client = client
        self.name = name
        self.what = what or f"the service {name}"
        self._push = client.register_script(_PUSH_IF_SERVED)

    async def call(self, method: str, timeout_s: float = 5.0, **args: Any) -> Any:
        """The handler's result; `RpcUnavailable` when no reply comes within `timeout_s`,
        `RpcFailed` when the handler raised."""
        request_id = uuid.uuid4().hex
        payload = json.dumps(
            {"id": request_id, "method": method, "args": args, "deadline": time.time() + timeout_s}
        )
        try:
            async with asyncio.timeout(timeout_s + 1.0):
                queued = await self._push(
                    keys=[alive_key(self.name), queue_key(self.name)],
                    args=[payload, int(timeout_s) + REPLY_TTL_S],
                )
                if not queued:
                    raise RpcUnavailable(
                        f"{self.what} is not answering: no process serves it", taken=False
                    )
                got = await self.client.blpop([reply_key(request_id)], timeout=timeout_s)
        except (RedisError, OSError, TimeoutError) as exc:
            raise RpcUnavailable(
                f"{self.what} is not answering: Redis is unreachable ({_reason(exc)})", taken=None
            ) from exc
        if got is None:
            raise await self._gave_up(payload, timeout_s)
        reply = json.loads(got[1])
        if "error" in reply:
            error = reply["error"]
            raise RpcFailed(error["kind"], error["message"], error.get("detail"))
        return reply["result"]

    async def _gave_up(self, payload: str, timeout_s: float) -> RpcUnavailable:
        """Withdraw the request if nobody took it, so it can never run late."""
        try:
            withdrawn = await self.client.lrem(queue_key(self.name), 1, payload)
        except (RedisError, OSError):
            withdrawn = 0
            taken: bool | None = None
        else:
            taken = not withdrawn
        if withdrawn:
            return RpcUnavailable(
                f"{self.what} is not answering: nobody took the request within {timeout_s:g} s",
                taken=False,
            )
        return RpcUnavailable(
            f"{self.what} is not answering: no reply within {timeout_s:g} s", taken=taken
        )


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


@asynccontextmanager
async def serving(
    url: str, name: str, handlers: Mapping[str, Handler], **options: Any
) -> AsyncIterator[RpcService]:
    """Serve `handlers` as `name` on the Redis at `url` while the context lasts (what the
    active process of a resource starts; a standby never does)."""
    client = async_client(url, command_timeout_s=None)
    service = RpcService(client, name, handlers, **options)
    task = asyncio.create_task(service.run(), name=f"rpc {name}")
    try:
        yield service
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await client.aclose()
