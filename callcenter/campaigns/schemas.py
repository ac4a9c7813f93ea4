"""Request and response shapes of the outbound API: campaigns, call lists, leads, do-not-call."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from callcenter.campaigns.enums import RETRY_OUTCOMES, CampaignKind, CampaignMode
from callcenter.queues.schemas import QueueName
from crm.schemas import Flag, Id, Input, Output, Patch, Short

# The abandon cap the rules allow: 3 % of answered calls over a rolling day; lower is fine.
MAX_ABANDON_CAP = 0.03
GAP_KEYS = (*(str(o) for o in RETRY_OUTCOMES), "answered")
Gap = Annotated[int, Field(strict=True, ge=0, le=30 * 24 * 60)]
Weekday = Annotated[int, Field(strict=True, ge=1, le=7)]
Minute = Annotated[int, Field(strict=True, ge=0, le=24 * 60)]
Script = Annotated[str, StringConstraints(max_length=20_000)]
CallerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class DispositionIn(Input):
    """One choice agents have after a call; flags say what it does to the lead."""

    code: Code
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    final: Flag = False
    success: Flag = False
    callback: Flag = False
    dnc: Flag = False
    dnc_global: Flag = False


class _CampaignFields(Input):
    """Checks shared by a new campaign and a change to one."""

    @field_validator("weekdays", check_fields=False)
    @classmethod
    def _weekdays(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("name at least one ISO weekday (1 = Monday ... 7 = Sunday)")
        return sorted(set(value))

    @field_validator("retry_gaps_min", check_fields=False)
    @classmethod
    def _gaps(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        unknown = sorted(set(value or {}) - set(GAP_KEYS))
        if unknown:
            raise ValueError(
                f"unknown outcome(s) {', '.join(unknown)}; known: {', '.join(GAP_KEYS)}"
            )
        return value

    @field_validator("abandon_cap", check_fields=False)
    @classmethod
    def _cap(cls, value: float | None) -> float | None:
        if value is not None and not 0 < value <= MAX_ABANDON_CAP:
            raise ValueError(
                f"the abandon cap is a share above 0 and at most {MAX_ABANDON_CAP}"
                " (3 % of answered calls)"
            )
        return value

    @model_validator(mode="after")
    def _hours(self) -> Any:
        start = getattr(self, "hours_start_min", None)
        end = getattr(self, "hours_end_min", None)
        if start is not None and end is not None and start >= end:
            raise ValueError("hours_start_min must be before hours_end_min")
        return self


class CampaignCreate(_CampaignFields):
    """A new campaign (a draft until started)."""

    name: Short
    list_id: Id
    kind: CampaignKind = CampaignKind.OUTBOUND
    mode: CampaignMode
    queue: QueueName
    agents: list[Short] = []
    teams: list[Short] = []
    hours_start_min: Minute = 9 * 60
    hours_end_min: Minute = 20 * 60
    weekdays: list[Weekday] = [1, 2, 3, 4, 5, 6]
    retry_gaps_min: dict[str, Gap] = {}
    max_attempts: Annotated[int, Field(strict=True, ge=1, le=100)] = 5
    dispositions: list[DispositionIn] | None = None
    script: Script = ""
    caller_id: CallerId | None = None
    ring_timeout_s: Annotated[int, Field(strict=True, ge=5, le=120)] = 25
    detect_machines: Flag = False
    abandon_cap: Annotated[float, Field(strict=True)] = MAX_ABANDON_CAP


class CampaignUpdate(_CampaignFields, Patch):
    """A change to a draft or paused campaign: fields left out stay as they are."""

    NOT_NULL = (
        "name",
        "list_id",
        "kind",
        "mode",
        "queue",
        "agents",
        "teams",
        "hours_start_min",
        "hours_end_min",
        "weekdays",
        "retry_gaps_min",
        "max_attempts",
        "dispositions",
        "script",
        "ring_timeout_s",
        "detect_machines",
        "abandon_cap",
    )

    name: Short | None = None
    list_id: Id | None = None
    kind: CampaignKind | None = None
    mode: CampaignMode | None = None
    queue: QueueName | None = None
    agents: list[Short] | None = None
    teams: list[Short] | None = None
    hours_start_min: Minute | None = None
    hours_end_min: Minute | None = None
    weekdays: list[Weekday] | None = None
    retry_gaps_min: dict[str, Gap] | None = None
    max_attempts: Annotated[int, Field(strict=True, ge=1, le=100)] | None = None
    dispositions: list[DispositionIn] | None = None
    script: Script | None = None
    caller_id: CallerId | None = None
    ring_timeout_s: Annotated[int, Field(strict=True, ge=5, le=120)] | None = None
    detect_machines: Flag | None = None
    abandon_cap: Annotated[float, Field(strict=True)] | None = None


class CampaignOut(Output):
    """A campaign as stored."""

    id: int
    name: str
    list_id: int
    kind: str
    mode: str
    state: str
    queue: str
    agents: list[str]
    teams: list[str]
    hours_start_min: int
    hours_end_min: int
    weekdays: list[int]
    retry_gaps_min: dict[str, int]
    max_attempts: int
    dispositions: list[dict[str, Any]]
    script: str
    caller_id: str | None
    ring_timeout_s: int
    detect_machines: bool
    abandon_cap: float
    dial_ratio: float
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    stopped_at: datetime | None


class CampaignSummaryOut(CampaignOut):
    """A campaign with its list's progress: leads by state and penetration."""

    leads: int
    leads_by_state: dict[str, int]
    tried: int
    penetration: float


class LeadOut(Output):
    """One lead of a list."""

    id: int
    list_id: int
    number: str
    name: str | None
    customer_id: int | None
    contact_id: int | None
    time_zone: str
    state: str
    attempts: int
    next_at: datetime | None
    due_at: datetime | None
    last_attempt_at: datetime | None
    last_outcome: str | None
    disposition: str | None
    owner: str | None
    origin: str
    fields: dict[str, Any] | None
    note: str | None
    created_at: datetime


class LeadIn(Input):
    """One lead added to a list through the API."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None
    customer_id: Id | None = None
    time_zone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    note: Annotated[str, StringConstraints(max_length=20_000)] | None = None


class QueryIn(Input):
    """The CRM query a list is built from."""

    kind: Literal["customers", "open_callbacks", "tickets_resolved"]
    category: Short | None = None
    days_ago: Annotated[int, Field(strict=True, ge=0, le=365)] | None = None

    def stored(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class QueryListCreate(Input):
    """A call list built from a CRM query (and built again on demand)."""

    name: Short
    query: QueryIn


class CallListOut(Output):
    """A call list with its leads by state."""

    id: int
    name: str
    source: str
    query: dict[str, Any] | None
    created_at: datetime
    created_by: str | None
    leads: int = 0
    leads_by_state: dict[str, int] = {}
    tried: int = 0


class RowNote(Output):
    """A line of an import and what happened to it."""

    line: int
    message: str


class ImportOut(Output):
    """What a CSV import stored: leads, blocked ones, skipped rows, and notes per line."""

    call_list: CallListOut
    created: int
    blocked: int
    skipped: int
    notes: list[RowNote]


class BuildOut(Output):
    """What building a list from its query added."""

    call_list: CallListOut
    added: int
    blocked: int
    already: int
    no_number: int


class DncIn(Input):
    """A number nobody may call (on the global list or a campaign's)."""

    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None


class DncOut(Output):
    """A do-not-call entry."""

    id: int
    number: str
    campaign_id: int | None
    reason: str | None
    added_at: datetime
    added_by: str | None


class DncImportOut(Output):
    """What a do-not-call import added."""

    added: int
    already: int
