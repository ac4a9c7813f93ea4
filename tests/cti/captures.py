"""Replaying the Asterisk captures in tests/fixtures/ami and reading their expected visits."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import AgentStateRecord, CallRecord, QueueVisitRecord
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter
from callcenter.events import AgentStateClosed, CallEnded, DomainEvent
from tests.kpi.calls import ROLLUPS

CAPTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ami"


def capture_bytes(name: str) -> bytes:
    """The raw AMI bytes of capture `name` (e.g. `answered`, `no-timestamps/load`)."""
    folder = CAPTURES / name
    plain = folder / "ami.raw"
    if plain.exists():
        return plain.read_bytes()
    return gzip.decompress((folder / "ami.raw.gz").read_bytes())


@dataclass(frozen=True)
class StoredCapture:
    """A replay and the writer that stored it (closed)."""

    pipeline: Pipeline
    writer: RecordWriter


def store_load_capture(
    sessions: sessionmaker[Session], writer: type[RecordWriter], batch: int
) -> StoredCapture:
    """Replay `load_realistic` into the database through `writer`, batches of `batch`."""
    bus = Bus()
    records = writer(bus, sessions, batch, ROLLUPS)
    pipeline = Pipeline(server="pbx", bus=bus)
    pipeline.feed_bytes(capture_bytes("load_realistic"))
    pipeline.close(end_open_calls=True)
    records.close()
    return StoredCapture(pipeline, records)


@dataclass
class Replay:
    """What one replay published."""

    calls: list[CallRecord] = field(default_factory=list)
    states: list[AgentStateRecord] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    def visits(self) -> dict[tuple[str, int], QueueVisitRecord]:
        """Every queue visit by (callid, visit number), as expected_calls.csv keys them."""
        found: dict[tuple[str, int], QueueVisitRecord] = {}
        for call in self.calls:
            for number, visit in enumerate(call.queue_visits, start=1):
                found[(visit.uniqueid, number)] = visit
        return found

    def call(self, linkedid: str) -> CallRecord:
        return next(c for c in self.calls if c.linkedid == linkedid)


def replay(data: bytes, *, chunks: list[int] | None = None, server: str = "pbx") -> Replay:
    """Push `data` through a Pipeline (split at `chunks` sizes, cycled) and collect output."""
    bus = Bus()
    result = Replay()
    bus.subscribe(CallEnded, lambda e: result.calls.append(e.record))
    bus.subscribe(AgentStateClosed, lambda e: result.states.append(e.record))
    bus.subscribe(DomainEvent, result.events.append)
    pipeline = Pipeline(server=server, bus=bus)
    if not chunks:
        pipeline.feed_bytes(data)
    else:
        offset, index = 0, 0
        while offset < len(data):
            size = max(1, chunks[index % len(chunks)])
            pipeline.feed_bytes(data[offset : offset + size])
            offset += size
            index += 1
    pipeline.close(end_open_calls=True)
    return result


@cache
def replay_capture(name: str) -> Replay:
    return replay(capture_bytes(name))


@dataclass(frozen=True)
class ExpectedVisit:
    """One row of expected_calls.csv (both the timestamped and no-timestamps layouts)."""

    callid: str
    visit: int
    queue: str
    enter_epoch: int
    caller_num: str
    caller_name: str
    outcome: str
    agent: str
    wait_s: float | None
    ring_s: float | None
    talk_s: float | None
    ring_no_answer: int
    transfer_target: str
    enter_position: int | None
    exit_position: int | None
    hangup_by: str


def _number(value: str) -> float | None:
    return float(value) if value else None


def _ring_no_answers(value: str) -> int:
    """`Alice:8 Bob:3` (or `Bob:8.0s Frank:canceled(2.011s)`): count the real no-answers."""
    return sum(1 for item in value.split() if "canceled" not in item)


def expected_visits(name: str) -> list[ExpectedVisit]:
    rows = []
    with (CAPTURES / name / "expected_calls.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if "caller" in row:  # no-timestamps layout: "number (name)", no visit column
                number, _, rest = row["caller"].partition(" (")
                row["caller_num"], row["caller_name"] = number, rest.rstrip(")")
            target = row.get("transfer_target") or row.get("transfer", "")
            rows.append(
                ExpectedVisit(
                    callid=row["callid"],
                    visit=int(row.get("visit") or 1),
                    queue=row["queue"],
                    enter_epoch=int(row["enter_epoch"]),
                    caller_num=row["caller_num"],
                    caller_name=row["caller_name"],
                    outcome=row["outcome"],
                    agent=row["agent"],
                    wait_s=_number(row["wait_s"]),
                    ring_s=_number(row.get("ring_s", "")),
                    talk_s=_number(row["talk_s"]),
                    ring_no_answer=_ring_no_answers(row["ring_no_answer"]),
                    transfer_target=target.split(" ")[-1] if target else "",
                    enter_position=int(row["enter_position"]) if row["enter_position"] else None,
                    exit_position=int(row["exit_position"]) if row["exit_position"] else None,
                    hangup_by=row["hangup_by"],
                )
            )
    return rows
