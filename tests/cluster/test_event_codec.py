"""Every domain event survives the trip to bytes and back, nested records and all."""

from __future__ import annotations

import dataclasses
import json
import time
import types
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import msgspec
import pytest

from callcenter.bus_redis import APART_EVENTS, LOCAL_EVENTS
from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.event_codec import CodecError, EventCodec, decoder, event_classes
from callcenter.events import CallEnded, DomainEvent

AT = datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))


def sample(hint: Any, *, filled: bool) -> Any:
    """A value of type `hint`: every optional part set (`filled`) or None."""
    origin, args = get_origin(hint), get_args(hint)
    if origin in (Union, types.UnionType):
        kinds = [arg for arg in args if arg is not type(None)]
        return sample(kinds[-1], filled=filled) if filled or len(kinds) == len(args) else None
    if hint is str:
        return "Zoë's line \u260e"
    if hint is bool:
        return True
    if hint is int:
        return 42
    if hint is float:
        return 12.5
    if hint is datetime:
        return AT
    if isinstance(hint, type) and issubclass(hint, Enum):
        return list(hint)[-1]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return build(hint, filled=filled)
    if origin is tuple:
        return tuple(sample(args[0], filled=filled) for _ in range(2 if filled else 0))
    if origin is frozenset:
        return frozenset({sample(args[0], filled=filled)}) if filled else frozenset()
    raise AssertionError(f"no sample for {hint!r}: teach this test (and the codec) the type")


def build(cls: type, *, filled: bool) -> Any:
    hints = get_type_hints(cls)
    return cls(**{f.name: sample(hints[f.name], filled=filled) for f in dataclasses.fields(cls)})


EVENTS = event_classes()


def test_discovery_finds_events_at_any_depth() -> None:
    class Nested(CallEnded):
        pass

    assert Nested in event_classes()
    assert {"CallEnded", "BusLinkChanged", "UserSessionsEnded"} <= {c.__name__ for c in EVENTS}


@pytest.mark.parametrize("cls", EVENTS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("filled", [True, False], ids=["filled", "optional-none"])
def test_every_event_round_trips(cls: type[DomainEvent], filled: bool) -> None:
    codec = EventCodec()
    event = build(cls, filled=filled)
    back = codec.decode(codec.encode(event))
    assert type(back) is cls
    assert back == event
    assert back.at.utcoffset() == event.at.utcoffset()


def test_a_call_record_keeps_its_visits_enums_and_times() -> None:
    visit = QueueVisitRecord("sales", "1.2", AT, VisitOutcome.ANSWERED, agent="ann", wait_s=3)
    record = CallRecord(
        "pbx1", "1.1", Direction.INBOUND, AT, AT + timedelta(minutes=2), CallOutcome.ANSWERED,
        queue_visits=(visit, visit),
    )  # fmt: skip
    codec = EventCodec()
    back = codec.decode(
        codec.encode(CallEnded(at=AT.astimezone(UTC), server="pbx1", record=record))
    )
    assert isinstance(back, CallEnded)
    assert back.record == record
    assert isinstance(back.record.queue_visits, tuple)
    assert back.record.queue_visits[0].outcome is VisitOutcome.ANSWERED
    assert back.record.direction is Direction.INBOUND


def test_frozensets_and_nested_dataclasses_are_carried() -> None:
    @dataclasses.dataclass(frozen=True)
    class Inner:
        tags: frozenset[str]
        when: datetime | None

    value = Inner(frozenset({"b", "a"}), None)
    data = msgspec.json.encode(value, order="deterministic")
    assert data == b'{"tags":["a","b"],"when":null}'
    assert decoder(Inner).decode(data) == value


class Handle:
    """Not data: a live object no JSON can carry."""


def test_an_unknown_type_is_refused_when_the_codec_learns_it() -> None:
    @dataclasses.dataclass(frozen=True)
    class Odd:
        handle: Handle

    with pytest.raises(TypeError, match="cannot carry Odd"):
        decoder(Odd)


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b'["NoSuchEvent",{}]',
        b'["CallHeld",{"at":"x"}]',
        b"[1]",
        b'["CallHeld",{}]',
        b'["CallHeld",{"at":"2026-03-29T01:30:05+02:00","server":7}]',
    ],
)
def test_bad_bytes_raise_a_codec_error(data: bytes) -> None:
    with pytest.raises(CodecError):
        EventCodec().decode(data)


def test_docs_say_whether_every_event_travels() -> None:
    table = (Path(__file__).resolve().parents[2] / "docs" / "bus.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and "|" in line[2:]]
    named = {name.strip() for row in rows for name in row.split("|")[1].split(",")}
    assert {cls.__name__ for cls in EVENTS} - named == set()
    stay = {cls.__name__ for cls in LOCAL_EVENTS}
    assert {n.strip() for r in rows if "| no |" in r for n in r.split("|")[1].split(",")} == stay
    apart = {cls.__name__ for cls in APART_EVENTS}
    named_apart = {
        n.strip() for r in rows if "and apart |" in r for n in r.split("|")[1].split(",")
    }
    assert named_apart == apart


def test_a_call_ended_takes_microseconds() -> None:
    """The busiest events stay cheap: a call's record with two visits both ways."""
    codec = EventCodec()
    event = build(CallEnded, filled=True)
    start = time.perf_counter()
    for _ in range(2000):
        codec.decode(codec.encode(event))
    per_event = (time.perf_counter() - start) / 2000
    assert per_event < 0.001  # about 40 us on a quiet machine; 1 ms leaves room for a busy one


def test_the_bytes_are_the_ones_every_version_reads() -> None:
    """Events on the stream from a process of the previous version (plain JSON, `+00:00`
    offsets) decode here, and this version's bytes are the same compact JSON."""
    record = CallRecord(
        "pbx1", "1.1", Direction.INBOUND, AT, AT + timedelta(minutes=2), CallOutcome.ANSWERED
    )
    event = CallEnded(at=AT.astimezone(UTC), server="pbx1", record=record)
    codec = EventCodec()
    data = codec.encode(event)
    name, fields = json.loads(data)
    assert name == "CallEnded"
    assert fields["record"]["started_at"] == "2026-03-29T01:30:05.123456+02:00"
    assert fields["record"]["direction"] == Direction.INBOUND.value
    assert datetime.fromisoformat(fields["at"]) == event.at
    fields["at"] = event.at.isoformat()  # `2026-03-28T23:30:05.123456+00:00`
    assert codec.decode(json.dumps([name, fields])) == event
