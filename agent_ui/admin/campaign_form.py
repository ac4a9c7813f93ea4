"""The campaign form as people type it: hours as 09:00, the abandon cap in percent, retry gaps
per outcome in minutes, dispositions as rows; read into the campaign schema's values."""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from agent_ui.admin.forms import FieldError
from callcenter.campaigns.dispositions import ANSWERED_GAP_MIN, DEFAULT_DISPOSITIONS, FLAGS
from callcenter.campaigns.enums import CampaignMode
from callcenter.campaigns.models import Campaign
from callcenter.campaigns.retry import DEFAULT_GAPS_MIN
from callcenter.campaigns.schemas import GAP_KEYS, MAX_ABANDON_CAP

WEEKDAYS = ((1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun"))
GAP_LABELS = {
    "busy": "Busy",
    "no_answer": "No answer",
    "machine": "Answering machine",
    "congestion": "Congestion",
    "failed": "Failed",
    "abandoned": "Abandoned (message played)",
    "unknown": "Unknown (the dialer restarted)",
    "answered": "Answered, not closed by the disposition",
}
DEFAULT_GAPS = {**{str(k): v for k, v in DEFAULT_GAPS_MIN.items()}, "answered": ANSWERED_GAP_MIN}
MODES = tuple(str(m) for m in CampaignMode)
# Blank disposition rows the form offers below the campaign's own.
NEW_DISPOSITION_ROWS = 2
MAX_DISPOSITION_ROWS = 50
CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
# Where the schema's fields are on the form.
FORM_FIELD = {
    "hours_start_min": "hours_start",
    "hours_end_min": "hours_end",
    "abandon_cap": "abandon_cap_pct",
    "retry_gaps_min": "gaps",
    "list_id": "list_id",
}

# Sentences for the schema's refusals, in the form's words.
MESSAGES = {
    "name": "give the campaign a name of 1 to 128 characters",
    "mode": "choose preview, progressive or predictive",
    "queue": "the queue's name as the PBX knows it (letters, digits, - and _)",
    "hours_start_min": "a time of day from 00:00 to 24:00",
    "hours_end_min": "a time of day from 00:00 to 24:00",
    "max_attempts": "from 1 to 100 attempts",
    "ring_timeout_s": "from 5 to 120 seconds",
    "script": "a script of up to 20,000 characters",
    "caller_id": "a caller id of up to 64 characters",
    "agents": "choose agents from the list",
    "teams": "choose teams from the list",
}


def typed_of(form: FormData) -> dict[str, Any]:
    """The form's text, kept as typed (to show again when it is refused)."""
    text = {name: str(form.get(name, "")) for name in _TEXT}
    rows = []
    for i in range(MAX_DISPOSITION_ROWS):
        code = form.get(f"d{i}_code")
        if code is None:
            break
        row: dict[str, Any] = {"code": str(code).strip(), "label": str(form.get(f"d{i}_label", ""))}
        row.update({flag: form.get(f"d{i}_{flag}") is not None for flag in FLAGS})
        if row["code"] or row["label"].strip():
            rows.append(row)
    return {
        **text,
        "agents": [str(v) for v in form.getlist("agents")],
        "teams": [str(v) for v in form.getlist("teams")],
        "weekdays": [str(v) for v in form.getlist("weekdays")],
        "gaps": {key: str(form.get(f"gap_{key}", "")).strip() for key in GAP_KEYS},
        "dispositions": rows,
        "detect_machines": form.get("detect_machines") is not None,
    }


_TEXT = ("name", "list_id", "mode", "queue", "hours_start", "hours_end", "max_attempts",
         "abandon_cap_pct", "script", "caller_id", "ring_timeout_s")  # fmt: skip


def shown_of(campaign: Campaign | None) -> dict[str, Any]:
    """A stored campaign (or a new one's defaults) as the form shows it."""
    if campaign is None:
        return {
            "name": "", "list_id": "", "mode": "progressive", "queue": "", "agents": [],
            "teams": [], "hours_start": "09:00", "hours_end": "20:00",
            "weekdays": ["1", "2", "3", "4", "5", "6"], "gaps": {}, "max_attempts": "5",
            "abandon_cap_pct": "3", "script": "", "caller_id": "", "ring_timeout_s": "25",
            "detect_machines": False, "dispositions": [dict(d) for d in DEFAULT_DISPOSITIONS],
        }  # fmt: skip
    return {
        "name": campaign.name,
        "list_id": str(campaign.list_id),
        "mode": campaign.mode,
        "queue": campaign.queue,
        "agents": list(campaign.agents),
        "teams": list(campaign.teams),
        "hours_start": _clock(campaign.hours_start_min),
        "hours_end": _clock(campaign.hours_end_min),
        "weekdays": [str(d) for d in campaign.weekdays],
        "gaps": {k: str(v) for k, v in (campaign.retry_gaps_min or {}).items()},
        "max_attempts": str(campaign.max_attempts),
        "abandon_cap_pct": f"{round(campaign.abandon_cap * 100, 4):g}",
        "script": campaign.script,
        "caller_id": campaign.caller_id or "",
        "ring_timeout_s": str(campaign.ring_timeout_s),
        "detect_machines": campaign.detect_machines,
        "dispositions": [dict(d) for d in campaign.dispositions or DEFAULT_DISPOSITIONS],
    }


def values_of(typed: dict[str, Any]) -> dict[str, Any]:
    """The typed form as the campaign schema's values; FieldError names a field that is no
    number, clock time or percentage (the schema checks the rest)."""
    cap = _number(typed["abandon_cap_pct"], "abandon_cap_pct", "the abandon cap in %", float)
    if cap is None or not 0 < cap <= MAX_ABANDON_CAP * 100:
        raise FieldError(
            "abandon_cap_pct",
            "the abandon cap is above 0 and at most 3 % of answered calls (the rules' limit)",
        )
    gaps = {}
    for key, text in typed["gaps"].items():
        minutes = _number(text, f"gap_{key}", "minutes", int)
        if minutes is not None:
            gaps[key] = minutes
    weekdays = [int(d) for d in typed["weekdays"] if d.isascii() and d.isdecimal() and len(d) == 1]
    if not weekdays:
        raise FieldError("weekdays", "tick at least one weekday to call on")
    caller_id = typed["caller_id"].strip()
    return {
        "name": typed["name"],
        "list_id": _list_id(typed["list_id"]),
        "mode": typed["mode"],
        "queue": typed["queue"].strip(),
        "agents": typed["agents"],
        "teams": typed["teams"],
        "hours_start_min": _minutes(typed["hours_start"], "hours_start"),
        "hours_end_min": _minutes(typed["hours_end"], "hours_end"),
        "weekdays": weekdays,
        "retry_gaps_min": gaps,
        "max_attempts": _required(typed, "max_attempts", "the most attempts per lead"),
        "abandon_cap": cap / 100,
        "dispositions": [_disposition(row) for row in typed["dispositions"] if row["code"]],
        "script": typed["script"].replace("\r\n", "\n"),
        "caller_id": caller_id or None,
        "ring_timeout_s": _required(typed, "ring_timeout_s", "the seconds to ring"),
        "detect_machines": typed["detect_machines"],
    }


def refused(exc: ValidationError) -> FieldError:
    """The schema's first objection as the form field to mark and its sentence."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    message = str(error["msg"]).removeprefix("Value error, ")
    if not loc:  # the hours' order, checked on the whole form
        return FieldError("hours_end", "the calling hours end after they start")
    if loc[0] == "dispositions" and len(loc) > 1:
        return FieldError("dispositions", f"disposition row {int(loc[1]) + 1}: {message}")
    if loc[0] == "retry_gaps_min" and len(loc) > 1:
        return FieldError(f"gap_{loc[1]}", "from 0 minutes up to 30 days (43200 minutes)")
    return FieldError(FORM_FIELD.get(loc[0], loc[0]), MESSAGES.get(loc[0], message))


def invalid_input(field: str, message: str) -> FieldError:
    """The service's refusal of a field (`dispositions.2.code`) on the form."""
    parts = field.split(".")
    if parts[0] == "dispositions" and len(parts) > 1 and parts[1].isdecimal():
        return FieldError("dispositions", f"disposition row {int(parts[1]) + 1}: {message}")
    return FieldError(FORM_FIELD.get(parts[0], parts[0]), message)


def _disposition(row: dict[str, Any]) -> dict[str, Any]:
    label = str(row["label"]).strip()
    return {"code": row["code"], "label": label or None, **{f: row[f] for f in FLAGS if row[f]}}


def _required(typed: dict[str, Any], field: str, what: str) -> int:
    value = _number(typed[field], field, what, int)
    if value is None:
        raise FieldError(field, f"type {what}")
    return value


def _number(text: str, field: str, what: str, kind: type[int] | type[float]) -> Any:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    sentence = f"type {what} as a {'whole ' if kind is int else ''}number"
    try:
        value = kind(text)
    except ValueError:
        raise FieldError(field, sentence) from None
    if not math.isfinite(value):
        raise FieldError(field, sentence)
    return value


def _list_id(text: str) -> int:
    if not (text.isascii() and text.isdecimal() and len(text) < 12):
        raise FieldError("list_id", "choose the call list the campaign works")
    return int(text)


def _minutes(text: str, field: str) -> int:
    match = CLOCK.match(text.strip())
    if match is None or int(match[2]) > 59 or int(match[1]) * 60 + int(match[2]) > 24 * 60:
        raise FieldError(field, f"{text.strip()!r} is not a time of day (09:00)")
    return int(match[1]) * 60 + int(match[2])


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
