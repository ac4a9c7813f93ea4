"""The CRM's closed vocabularies, stored as their string values."""

from __future__ import annotations

from enum import StrEnum


class CustomerKind(StrEnum):
    """Whether a customer is an organisation or a private person."""

    COMPANY = "company"
    PERSON = "person"


class CustomerCategory(StrEnum):
    """Where a customer stands with the business."""

    PROSPECT = "prospect"
    REGULAR = "regular"
    VIP = "vip"
    PARTNER = "partner"
    INACTIVE = "inactive"


class InteractionKind(StrEnum):
    """One entry of a customer's contact history."""

    CALL_IN = "call_in"
    CALL_OUT = "call_out"
    NOTE = "note"
    EMAIL = "email"
    VISIT = "visit"


class TicketType(StrEnum):
    """What a service request is about."""

    INCIDENT = "incident"
    REQUEST = "request"
    COMPLAINT = "complaint"
    INQUIRY = "inquiry"
    CALLBACK = "callback"


class TicketPriority(StrEnum):
    """How urgent a ticket is; each priority has its own SLA policy."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TicketStatus(StrEnum):
    """Where a ticket is in its workflow."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class TicketEventKind(StrEnum):
    """What a timeline entry records."""

    CREATED = "created"
    STATUS_CHANGED = "status_changed"
    REOPENED = "reopened"
    UPDATED = "updated"
    COMMENTED = "commented"
    CALL_LINKED = "call_linked"
    BREACHED = "breached"
    ESCALATED = "escalated"


class CallbackStatus(StrEnum):
    """Whether a promised call back is still owed."""

    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class CallbackOrigin(StrEnum):
    """Why a callback exists."""

    ABANDONED_CALL = "abandoned_call"
    REQUESTED = "requested"
    MANUAL = "manual"
    WEB = "web"  # "call me back" on the company's web site
