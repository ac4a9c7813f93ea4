"""The router behind the FastAGI server: facts read off the loop, a decision within a budget,
the decision stored after the caller has it.

Database work runs in a small thread pool, so a slow query never holds the event loop (nor
the other calls being answered); a decision whose facts are not there within `budget_s`
(300 ms) is the default queue with reason `fallback`, and the log says why. Queue records
and rules change when an admin edits them: they are read again at most every `refresh_s`
seconds, so a call's own database work is the caller's lookup.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from callcenter.bus import Bus
from callcenter.events import CallRouted
from callcenter.queues.routing.decision import RouteDecision, fallback
from callcenter.queues.routing.engine import RoutingConfig, decide
from callcenter.queues.routing.facts import (
    CallerFacts,
    CrmFacts,
    Directory,
    LiveState,
    RouteRequest,
)
from callcenter.queues.routing.rules import Rule

log = logging.getLogger(__name__)

Decided = tuple[RouteRequest, RouteDecision, float]
RecordDecisions = Callable[[Sequence[Decided]], None]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Queue records and rules as read at `read_at` (monotonic seconds)."""

    directory: Directory
    rules: Sequence[Rule]
    read_at: float


class Router:
    """Decides where calls go; `route` on the event loop, `decide_now` anywhere."""

    def __init__(
        self,
        facts: CrmFacts,
        load_rules: Callable[[], Sequence[Rule]],
        live: LiveState,
        config: RoutingConfig,
        *,
        record: RecordDecisions | None = None,
        bus: Bus | None = None,
        server: str = "pbx",
        budget_s: float = 0.3,
        refresh_s: float = 5.0,
        workers: int = 4,
    ) -> None:
        self.facts = facts
        self.load_rules = load_rules
        self.live = live
        self.config = config
        self.record = record
        self.bus = bus
        self.server = server
        self.budget_s = budget_s
        self.refresh_s = refresh_s
        self.fallbacks = 0
        self._readers = ThreadPoolExecutor(workers, thread_name_prefix="routing-facts")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="routing-store")
        self._snapshot: Snapshot | None = None
        self._refreshing = threading.Lock()
        self._refresh_queued = False
        self._pending: list[Decided] = []
        self._pending_lock = threading.Lock()
        self._writing = False

    async def route(self, request: RouteRequest) -> tuple[RouteDecision, float]:
        """The decision for `request` and the milliseconds it took (the default queue with
        reason `fallback` when the facts are not there within the budget)."""
        started = time.perf_counter()
        deadline = time.monotonic() + self.budget_s
        loop = asyncio.get_running_loop()
        job = loop.run_in_executor(self._readers, self._gather, request.caller, deadline)
        try:
            gathered = await asyncio.wait_for(job, self.budget_s)
        except TimeoutError:
            why = f"the CRM's facts took over {self.budget_s * 1000:.0f} ms"
            decision = self._fallback(request, why)
        except Exception as exc:  # the database is down, a bug: the caller still gets a queue
            decision = self._fallback(request, f"the CRM's facts failed: {exc!r}")
        else:
            caller, snapshot = gathered
            decision = decide(
                request, caller, snapshot.directory, snapshot.rules, self.live, self.config
            )
        return decision, (time.perf_counter() - started) * 1000

    def decide_now(self, request: RouteRequest) -> RouteDecision:
        """The decision without a budget, on rules and queues read now (for "try a caller"):
        facts read in this thread."""
        directory, rules = self.facts.directory(), self.load_rules()
        caller = self.facts.caller(request.caller)
        return decide(request, caller, directory, rules, self.live, self.config)

    def rules_changed(self) -> None:
        """Read rules and queues again for the next call (an admin changed them here)."""
        self._snapshot = None

    def remember(self, request: RouteRequest, decision: RouteDecision, elapsed_ms: float) -> None:
        """After the caller has the answer: announce it on the bus, store it off the loop."""
        if self.bus is not None:
            self.bus.publish(_routed(request, decision, self.server))
        if self.record is None:
            return
        with self._pending_lock:
            self._pending.append((request, decision, elapsed_ms))
            if self._writing:
                return
            self._writing = True
        self._writer.submit(self._write_pending)

    def close(self) -> None:
        """Write what is pending, then stop the threads."""
        self._readers.shutdown(wait=False, cancel_futures=True)
        self._writer.shutdown(wait=True)

    def _fallback(self, request: RouteRequest, why: str) -> RouteDecision:
        self.fallbacks += 1
        log.warning(
            "routing call %s from %r to %r: default queue %s (fallback): %s",
            request.uniqueid or "?", request.caller, request.dialed,
            self.config.default_queue, why,
        )  # fmt: skip
        return fallback(self.config.default_queue, why)

    def warm(self) -> None:
        """Read queue records and rules now (at start: the first call need not); a failure
        is logged, and the first call tries again."""
        try:
            self._refresh()
        except Exception as exc:
            log.warning("routing could not read the queues and rules yet: %r", exc)

    def _gather(self, number: str, deadline: float | None) -> tuple[CallerFacts, Snapshot]:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError("queued behind slower requests")  # nobody waits for it now
        snapshot = self._snapshot or self._refresh()
        if time.monotonic() - snapshot.read_at >= self.refresh_s:
            # Stale: this call decides on it; a reader thread fetches the next one.
            with self._refreshing:
                queue_it, self._refresh_queued = not self._refresh_queued, True
            if queue_it:
                self._readers.submit(self._refresh_quietly)
        return self.facts.caller(number), snapshot

    def _refresh(self) -> Snapshot:
        snapshot = Snapshot(self.facts.directory(), tuple(self.load_rules()), time.monotonic())
        self._snapshot = snapshot
        return snapshot

    def _refresh_quietly(self) -> None:
        try:
            self._refresh()
        except Exception as exc:
            log.warning("routing goes on with the queues and rules read before: %r", exc)
        finally:
            with self._refreshing:
                self._refresh_queued = False

    def _write_pending(self) -> None:
        assert self.record is not None
        while True:
            with self._pending_lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._writing = False
                    return
            try:
                self.record(batch)
            except Exception:
                log.exception("could not store %d routing decisions", len(batch))


def _routed(request: RouteRequest, decision: RouteDecision, server: str) -> CallRouted:
    return CallRouted(
        at=request.at,
        server=server,
        uniqueid=request.uniqueid,
        caller=request.caller,
        dialed=request.dialed,
        queue=decision.queue,
        priority=decision.priority,
        customer_id=decision.customer_id,
        preferred_member=decision.preferred_member,
        preferred_username=decision.preferred_username,
        reason=str(decision.reason),
        rule=decision.rule_name,
        ticket_id=decision.ticket_id,
    )
