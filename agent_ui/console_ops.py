"""What pages and routes ask of the agents' consoles, here or in the PBX's process.

The consoles (screens, wrap-up timers, pops) run in one process: the web app's own in a
single process, the active `cti run` of the PBX with several. Routes ask through
`ConsoleOps`: `LocalConsoleOps` on the consoles in this process, `RemoteConsoleOps` through a
call function (`await call("consoles.snapshot", user_id=3)`) that reaches
`console_handlers(consoles)` where they run. Answers are plain data or copies: changing the
call on screen is an operation of its own, never a change to an object handed out.

Errors over the remote path: a handler raises; the call function raises an exception with
`kind` (the class name) and `message` (the sentence), as `console_wire.error_kind` gives;
`RemoteConsoleOps` raises the known class again with the same sentence (and status).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from agent_ui.console_state import LiveCall, PopCard
from agent_ui.console_wire import (
    ConsolesUnreachable,
    call_data,
    call_from,
    card_data,
    card_from,
    rebuilt_error,
)
from agent_ui.consoles import Consoles

log = logging.getLogger(__name__)

Snapshot = dict[str, Any]
CallFunction = Callable[..., Awaitable[Any]]
Handler = Callable[..., Awaitable[Any]]


class ConsoleOps(Protocol):
    """Everything routes and pages ask of the agents' consoles."""

    async def snapshot(self, user_id: int) -> Snapshot:
        """What a fresh console tab needs: state, call, pop, queues' waiting callers."""
        ...

    async def snapshots(self, user_ids: Iterable[int]) -> dict[int, Snapshot]:
        """The snapshots of several agents at once (the wallboard, the agent lists)."""
        ...

    async def call_on_screen(self, user_id: int) -> str | None:
        """The Linkedid of the call the agent's console shows, if any: the call to act on."""
        ...

    async def in_wrap_up(self, user_id: int) -> bool:
        """Whether the agent's after-call work is running."""
        ...

    async def finish_wrap_up(self, user_id: int) -> None:
        """The agent is done with after-call work (ConsoleError when not in wrap-up)."""
        ...

    async def consulting(self, user_id: int, target: str | None) -> None:
        """The agent's attended transfer to `target` is under way (None: it is over)."""
        ...

    async def call_of(self, user_id: int, linkedid: str) -> LiveCall | None:
        """A copy of the agent's current or previous call with that Linkedid, else None."""
        ...

    async def choose_customer(self, user_id: int, linkedid: str, customer_id: int) -> LiveCall:
        """The agent says who is calling; the call after the change (ConsoleError: gone)."""
        ...

    async def decline_offer(self, user_id: int, linkedid: str) -> LiveCall | None:
        """The offered ticket is not linked on answer; the call after the change, or None."""
        ...

    async def show_card(self, user_id: int, linkedid: str, found: PopCard) -> bool:
        """The fresh card on every tab's pop of that call; False when it left the screen."""
        ...

    async def tell(self, user_id: int, kind: str, payload: dict[str, Any]) -> None:
        """A numbered frame of `kind` for the agent's consoles (a supervisor's notice)."""
        ...

    async def campaign_next(self, user_id: int, username: str) -> Snapshot:
        """The agent's next preview lead on their screen (the campaign frame shown)."""
        ...

    async def campaign_call(self, user_id: int, username: str, lead_id: int) -> int:
        """Dial the previewed lead: the attempt, once the PBX accepted the call."""
        ...

    async def campaign_skip(self, user_id: int, username: str, lead_id: int) -> Snapshot:
        """Put the previewed lead back; the next one on screen."""
        ...

    async def campaign_disposed(
        self, user_id: int, username: str, lead_id: int, mode: str
    ) -> Snapshot:
        """The lead's disposition is stored: wrap-up over, the next lead (or wait for it)."""
        ...


class LocalConsoleOps:
    """The consoles of this process, asked on its event loop."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    async def snapshot(self, user_id: int) -> Snapshot:
        return self.consoles.snapshot(user_id)

    async def snapshots(self, user_ids: Iterable[int]) -> dict[int, Snapshot]:
        return {user_id: self.consoles.snapshot(user_id) for user_id in user_ids}

    async def call_on_screen(self, user_id: int) -> str | None:
        screen = self.consoles.find(user_id)
        call = screen.call if screen is not None else None
        return call.linkedid if call is not None else None

    async def in_wrap_up(self, user_id: int) -> bool:
        screen = self.consoles.find(user_id)
        return screen is not None and screen.wrap_up.active

    async def finish_wrap_up(self, user_id: int) -> None:
        await self.consoles.finish_wrap_up(user_id)

    async def consulting(self, user_id: int, target: str | None) -> None:
        self.consoles.consulting(user_id, target)

    async def call_of(self, user_id: int, linkedid: str) -> LiveCall | None:
        call = self.consoles.call_of(user_id, linkedid)
        return dataclasses.replace(call) if call is not None else None

    async def choose_customer(self, user_id: int, linkedid: str, customer_id: int) -> LiveCall:
        return dataclasses.replace(self.consoles.choose_customer(user_id, linkedid, customer_id))

    async def decline_offer(self, user_id: int, linkedid: str) -> LiveCall | None:
        call = self.consoles.call_of(user_id, linkedid)
        if call is None:
            return None
        call.link_on_answer = False
        return dataclasses.replace(call)

    async def show_card(self, user_id: int, linkedid: str, found: PopCard) -> bool:
        return self.consoles.show_card(user_id, linkedid, found)

    async def tell(self, user_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.consoles.hub.publish(user_id, kind, payload)

    async def campaign_next(self, user_id: int, username: str) -> Snapshot:
        return await self.consoles.campaigns.next_lead(user_id, username)

    async def campaign_call(self, user_id: int, username: str, lead_id: int) -> int:
        return await self.consoles.campaigns.call(user_id, username, lead_id)

    async def campaign_skip(self, user_id: int, username: str, lead_id: int) -> Snapshot:
        return await self.consoles.campaigns.skip(user_id, username, lead_id)

    async def campaign_disposed(
        self, user_id: int, username: str, lead_id: int, mode: str
    ) -> Snapshot:
        screen = self.consoles.find(user_id)
        if screen is not None and screen.wrap_up.active:
            # The disposition was the after-call work: free for the next lead's call.
            await self.consoles.finish_wrap_up(user_id)
        return await self.consoles.campaigns.disposed(user_id, username, lead_id, mode)


class RemoteConsoleOps:
    """The consoles of another process, through `call` (method name, keyword arguments).

    `unreachable`: what `call` raises when nobody answers; it becomes ConsolesUnreachable
    (503, one sentence).
    """

    def __init__(
        self,
        call: CallFunction,
        *,
        unreachable: tuple[type[BaseException], ...] = (TimeoutError,),
    ) -> None:
        self._call = call
        self._unreachable = unreachable

    async def _ask(self, method: str, **args: Any) -> Any:
        try:
            return await self._call(f"consoles.{method}", **args)
        except self._unreachable as exc:
            log.warning("console request %s not answered: %s", method, exc)
            raise ConsolesUnreachable(
                "the agents' consoles are not reachable now (is `callcenter cti run` running?)"
            ) from None
        except Exception as exc:
            kind, message = getattr(exc, "kind", None), getattr(exc, "message", None)
            if isinstance(kind, str) and isinstance(message, str):
                raise rebuilt_error(kind, message) from None
            raise

    async def snapshot(self, user_id: int) -> Snapshot:
        answer: Snapshot = await self._ask("snapshot", user_id=user_id)
        return answer

    async def snapshots(self, user_ids: Iterable[int]) -> dict[int, Snapshot]:
        answer = await self._ask("snapshots", user_ids=list(user_ids))
        return {int(user_id): snapshot for user_id, snapshot in answer.items()}

    async def call_on_screen(self, user_id: int) -> str | None:
        answer: str | None = await self._ask("call_on_screen", user_id=user_id)
        return answer

    async def in_wrap_up(self, user_id: int) -> bool:
        return bool(await self._ask("in_wrap_up", user_id=user_id))

    async def finish_wrap_up(self, user_id: int) -> None:
        await self._ask("finish_wrap_up", user_id=user_id)

    async def consulting(self, user_id: int, target: str | None) -> None:
        await self._ask("consulting", user_id=user_id, target=target)

    async def call_of(self, user_id: int, linkedid: str) -> LiveCall | None:
        return call_from(await self._ask("call_of", user_id=user_id, linkedid=linkedid))

    async def choose_customer(self, user_id: int, linkedid: str, customer_id: int) -> LiveCall:
        answer = await self._ask(
            "choose_customer", user_id=user_id, linkedid=linkedid, customer_id=customer_id
        )
        call = call_from(answer)
        assert call is not None, "choose_customer answers a call or raises"
        return call

    async def decline_offer(self, user_id: int, linkedid: str) -> LiveCall | None:
        return call_from(await self._ask("decline_offer", user_id=user_id, linkedid=linkedid))

    async def show_card(self, user_id: int, linkedid: str, found: PopCard) -> bool:
        answer = await self._ask(
            "show_card", user_id=user_id, linkedid=linkedid, found=card_data(found)
        )
        return bool(answer)

    async def tell(self, user_id: int, kind: str, payload: dict[str, Any]) -> None:
        await self._ask("tell", user_id=user_id, kind=kind, payload=payload)

    async def campaign_next(self, user_id: int, username: str) -> Snapshot:
        answer: Snapshot = await self._ask("campaign_next", user_id=user_id, username=username)
        return answer

    async def campaign_call(self, user_id: int, username: str, lead_id: int) -> int:
        answer = await self._ask(
            "campaign_call", user_id=user_id, username=username, lead_id=lead_id
        )
        return int(answer)

    async def campaign_skip(self, user_id: int, username: str, lead_id: int) -> Snapshot:
        answer: Snapshot = await self._ask(
            "campaign_skip", user_id=user_id, username=username, lead_id=lead_id
        )
        return answer

    async def campaign_disposed(
        self, user_id: int, username: str, lead_id: int, mode: str
    ) -> Snapshot:
        answer: Snapshot = await self._ask(
            "campaign_disposed", user_id=user_id, username=username, lead_id=lead_id, mode=mode
        )
        return answer


def console_handlers(consoles: Consoles) -> dict[str, Handler]:
    """What the consoles' process answers, by method name: JSON-able arguments and answers,
    errors raised as they are (the RPC reports their class name and sentence)."""
    ops = LocalConsoleOps(consoles)

    async def snapshots(user_ids: list[int]) -> dict[str, Snapshot]:
        found = await ops.snapshots(int(user_id) for user_id in user_ids)
        return {str(user_id): snapshot for user_id, snapshot in found.items()}

    async def call_of(user_id: int, linkedid: str) -> dict[str, Any] | None:
        return call_data(await ops.call_of(user_id, linkedid))

    async def choose_customer(user_id: int, linkedid: str, customer_id: int) -> dict[str, Any]:
        return call_data(await ops.choose_customer(user_id, linkedid, customer_id)) or {}

    async def decline_offer(user_id: int, linkedid: str) -> dict[str, Any] | None:
        return call_data(await ops.decline_offer(user_id, linkedid))

    async def show_card(user_id: int, linkedid: str, found: dict[str, Any]) -> bool:
        return await ops.show_card(user_id, linkedid, card_from(found))

    return {
        "consoles.snapshot": ops.snapshot,
        "consoles.snapshots": snapshots,
        "consoles.call_on_screen": ops.call_on_screen,
        "consoles.in_wrap_up": ops.in_wrap_up,
        "consoles.finish_wrap_up": ops.finish_wrap_up,
        "consoles.consulting": ops.consulting,
        "consoles.call_of": call_of,
        "consoles.choose_customer": choose_customer,
        "consoles.decline_offer": decline_offer,
        "consoles.show_card": show_card,
        "consoles.tell": ops.tell,
        "consoles.campaign_next": ops.campaign_next,
        "consoles.campaign_call": ops.campaign_call,
        "consoles.campaign_skip": ops.campaign_skip,
        "consoles.campaign_disposed": ops.campaign_disposed,
    }
