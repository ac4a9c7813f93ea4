"""The channel variables the routing FastAGI server answers in, as the dialplan reads them."""

from __future__ import annotations

# Every one is set on every answer (empty when there is nothing to say), in this order.
# docs/asterisk/extensions.conf [from-trunk] reads them; PRIORITY is the exception: Asterisk's
# own ${PRIORITY} is the dialplan step, so the dialplan reads QUEUE_PRIO (app_queue does too).
ROUTE_VARIABLES: tuple[str, ...] = (
    "QUEUE",
    "PRIORITY",
    "CUSTOMER_ID",
    "PREFERRED_MEMBER",
    "ROUTE_REASON",
    "QUEUE_PRIO",
    "QUEUE_MAX_PENALTY",
    "QUEUE_MIN_PENALTY",
    "ROUTE_RULE",
    "PREFERRED_EXTENSION",
)
