"""A call function as the RPC between processes is, on one loop: for the consoles' facade."""

from __future__ import annotations

import json
from typing import Any

from agent_ui.console_ops import CallFunction, Handler


class Failed(Exception):
    """What an RPC reports of a handler's error: its class name and sentence."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind
        self.message = message


def loopback(handlers: dict[str, Handler]) -> CallFunction:
    """A call function as the RPC is: arguments and answers through JSON, errors by name."""

    async def call(method: str, **args: Any) -> Any:
        sent = json.loads(json.dumps(args))
        try:
            answer = await handlers[method](**sent)
        except Exception as exc:
            raise Failed(type(exc).__name__, str(exc)) from None
        return json.loads(json.dumps(answer))

    return call
