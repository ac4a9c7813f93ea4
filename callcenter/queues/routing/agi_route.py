"""The FastAGI script `route`: the call's headers in, the decision's variables out."""

from __future__ import annotations

import logging

from callcenter.agi.protocol import AgiRequest
from callcenter.agi.server import AgiChannel, Script
from callcenter.db import utc_now
from callcenter.queues.routing.facts import RouteRequest
from callcenter.queues.routing.service import Router

log = logging.getLogger(__name__)


def route_request(request: AgiRequest) -> RouteRequest:
    """The routing question in an AGI request: argument 1 the dialled number (else the
    DNID, else the extension), argument 2 the IVR's digits."""
    args = request.args
    dialed = (args[0] if args else "") or request.get("dnid") or request.get("extension")
    return RouteRequest(
        caller=request.get("callerid"),
        dialed=dialed,
        at=utc_now(),
        digits=args[1] if len(args) > 1 else "",
        caller_name=request.get("calleridname"),
        uniqueid=request.get("uniqueid"),
        channel=request.get("channel"),
    )


def route_script(router: Router) -> Script:
    """`agi://host:4573/route`: answer every variable, then store the decision."""

    async def route(request: AgiRequest, channel: AgiChannel) -> None:
        question = route_request(request)
        decision, elapsed_ms = await router.route(question)
        answered = await channel.set_variables(decision.variables())
        if not answered:
            log.info("caller %s hung up while being routed", question.uniqueid or "?")
        router.remember(question, decision, elapsed_ms)

    return route
