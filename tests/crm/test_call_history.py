"""Calls become history: interactions on the caller's customer, callbacks for abandons."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.bus import Bus
from callcenter.calls.records import (
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.cti.pipeline import Pipeline
from callcenter.cti.record_writer import RecordWriter
from callcenter.events import CallEnded
from callcenter.settings import Settings
from crm.callbacks.campaign import CallbackRules
from crm.callbacks.schemas import CallbackCreate
from crm.callbacks.service import request_callback
from crm.interactions.models import Interaction
from crm.interactions.service import HistoryPolicy, record_calls
from crm.interactions.tasks import CallHistory
from tests.conftest import FIXTURES
from tests.crm.conftest import add_customer

POLICY = HistoryPolicy(
    region="US",
    short_abandon_s=5.0,
    callback_due_minutes=30,
    callback_queue="support",
    site_zone="UTC",
)
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def replay(sessions: sessionmaker[Session], scenario: str, **settings: object) -> None:
    """Feed a captured AMI stream through the real pipeline with the CRM subscribed."""
    bus = Bus()
    CallHistory(sessions, Settings(**settings)).subscribe(bus)
    records = RecordWriter(bus, sessions)
    pipeline = Pipeline(server="pbx", bus=bus, region="US")
    pipeline.feed_bytes((FIXTURES / "ami" / scenario / "ami.raw").read_bytes())
    pipeline.close(end_open_calls=True)
    records.close()


def seed(sessions: sessionmaker[Session], name: str, number: str) -> int:
    with sessions() as session, session.begin():
        return add_customer(session, name, number).id


def rows(sessions: sessionmaker[Session], model: type) -> list:
    with sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


def test_answered_capture_becomes_an_interaction_on_the_caller(
    sessions: sessionmaker[Session],
) -> None:
    ann = seed(sessions, "Ann Customer", "(555) 123-0001")
    replay(sessions, "answered")
    (entry,) = rows(sessions, Interaction)
    assert (entry.customer_id, entry.kind, entry.answered) == (ann, "call_in", True)
    assert (entry.number, entry.agent, entry.queue, entry.outcome) == (
        "+15551230001",
        "Alice",
        "support",
        "answered",
    )
    assert entry.server == "pbx" and entry.linkedid == "1795441073.0"
    assert entry.duration_s == pytest.approx(5.0, abs=0.1)


def test_replaying_a_capture_twice_writes_it_once(sessions: sessionmaker[Session]) -> None:
    seed(sessions, "Ann Customer", "+1 555 123 0001")
    replay(sessions, "answered")
    replay(sessions, "answered")
    assert len(rows(sessions, Interaction)) == 1


def test_abandon_capture_creates_a_callback_with_its_due_time(
    sessions: sessionmaker[Session],
) -> None:
    dan = seed(sessions, "Dan Customer", "555-123-0004")
    cara = seed(sessions, "Cara Customer", "555-123-0003")
    replay(sessions, "abandon")
    (callback,) = rows(sessions, Lead)
    assert (callback.number, callback.customer_id, callback.state, callback.origin) == (
        "+15551230004",
        dan,
        "open",
        "abandoned",
    )
    assert (callback.queue, callback.linkedid) == ("support", "1795441202.4")
    # A lead of the callback campaign (made by the first callback), in the caller's zone
    # or, for a fictional 555 number, the site's.
    (campaign,) = rows(sessions, Campaign)
    (call_list,) = rows(sessions, CallList)
    assert (campaign.kind, campaign.mode, campaign.state, campaign.queue) == (
        "callback", "preview", "draft", "support",
    )  # fmt: skip
    assert (call_list.source, callback.list_id) == ("callbacks", campaign.list_id)
    assert (callback.time_zone, callback.next_at) == ("UTC", None)  # 555: placed nowhere
    gave_up = datetime.fromtimestamp(1795441210.37, UTC)
    assert abs(callback.due_at - (gave_up + timedelta(minutes=30))) < timedelta(seconds=1)
    history = {(i.customer_id, i.answered) for i in rows(sessions, Interaction)}
    assert history == {(dan, False), (cara, True)}


def test_an_abandon_shorter_than_the_threshold_owes_no_callback(
    sessions: sessionmaker[Session],
) -> None:
    replay(sessions, "abandon", short_abandon_s=10.0)  # Dan waited 8 s
    assert rows(sessions, Lead) == []


def test_a_queue_timeout_is_owed_a_callback(sessions: sessionmaker[Session]) -> None:
    replay(sessions, "queue_timeout")
    assert [c.number for c in rows(sessions, Lead)] == ["+15551230006"]


def test_outbound_capture_reaches_the_number_and_closes_its_callback(
    sessions: sessionmaker[Session],
) -> None:
    customer = seed(sessions, "Callee", "+1 555 987 6543")
    with sessions() as session, session.begin():
        request_callback(
            session,
            CallbackCreate(number="5559876543"),
            CallbackRules(region="US", due_minutes=30, queue="support", site_zone="UTC"),
            now=datetime(2026, 11, 23, 13, 0, tzinfo=UTC),
        )
    replay(sessions, "outbound")
    (callback,) = rows(sessions, Lead)
    assert (callback.state, callback.closed_by) == ("done", f"call {callback_linkedid()}")
    (entry,) = rows(sessions, Interaction)
    assert (entry.customer_id, entry.kind, entry.number) == (customer, "call_out", "+15559876543")


def callback_linkedid() -> str:
    raw = (FIXTURES / "ami" / "outbound" / "ami.raw").read_text(errors="replace")
    for line in raw.splitlines():
        if line.startswith("Linkedid: "):
            return line.split(": ", 1)[1]
    raise AssertionError("no Linkedid in the outbound capture")


def call(
    linkedid: str,
    number: str,
    *,
    start: timedelta,
    outcome: CallOutcome,
    wait: float = 30.0,
    direction: Direction = Direction.INBOUND,
) -> CallRecord:
    started = T0 + start
    answered = started + timedelta(seconds=wait) if outcome == CallOutcome.ANSWERED else None
    visit = QueueVisitRecord(
        queue="support",
        uniqueid=linkedid,
        entered_at=started,
        outcome=VisitOutcome.ANSWERED if answered else VisitOutcome.ABANDONED,
        wait_s=wait,
    )
    return CallRecord(
        server="pbx",
        linkedid=linkedid,
        direction=direction,
        started_at=started,
        ended_at=started + timedelta(seconds=wait + (60 if answered else 0)),
        outcome=outcome,
        caller_number=number if direction == Direction.INBOUND else "101",
        dialed_number=number if direction == Direction.OUTBOUND else "support",
        answered_at=answered,
        queue_visits=(visit,),
    )


ABANDONED, ANSWERED = CallOutcome.ABANDONED, CallOutcome.ANSWERED


def test_a_later_answered_call_closes_the_callback(session: Session) -> None:
    record_calls(session, [call("a", "5551230009", start=timedelta(0), outcome=ABANDONED)], POLICY)
    later = call("b", "+15551230009", start=timedelta(minutes=5), outcome=ANSWERED)
    result = record_calls(session, [later], POLICY)
    assert result.callbacks_closed == 1
    assert session.scalars(select(Lead.state)).all() == ["done"]


def test_a_later_outbound_call_that_is_answered_closes_it(session: Session) -> None:
    record_calls(session, [call("a", "5551230009", start=timedelta(0), outcome=ABANDONED)], POLICY)
    dial_back = call(
        "b",
        "15551230009",
        start=timedelta(minutes=5),
        outcome=ANSWERED,
        direction=Direction.OUTBOUND,
    )
    record_calls(session, [dial_back], POLICY)
    assert session.scalars(select(Lead.state)).all() == ["done"]


def test_no_callback_when_the_caller_got_through_meanwhile(session: Session) -> None:
    got_through = call("b", "5551230009", start=timedelta(minutes=1), outcome=ANSWERED)
    record_calls(session, [got_through], POLICY)
    gave_up = call("a", "5551230009", start=timedelta(0), outcome=ABANDONED, wait=90)
    assert record_calls(session, [gave_up], POLICY).callbacks_opened == 0


def test_two_abandons_of_one_number_owe_one_callback(session: Session) -> None:
    calls = [
        call("a", "5551230009", start=timedelta(0), outcome=ABANDONED),
        call("b", "5551230009", start=timedelta(minutes=2), outcome=ABANDONED),
    ]
    assert record_calls(session, calls, POLICY).callbacks_opened == 1


def test_an_unknown_caller_is_history_without_a_customer(session: Session) -> None:
    record_calls(session, [call("a", "5551230009", start=timedelta(0), outcome=ANSWERED)], POLICY)
    (entry,) = session.scalars(select(Interaction)).all()
    assert (entry.customer_id, entry.number) == (None, "+15551230009")


def test_a_number_owned_twice_writes_both_histories(session: Session) -> None:
    first = add_customer(session, "First", "5551230009")
    second = add_customer(session, "Second", contacts={"Bo": ["+15551230009"]})
    record_calls(session, [call("a", "5551230009", start=timedelta(0), outcome=ANSWERED)], POLICY)
    owners = {(i.customer_id, i.contact_id) for i in session.scalars(select(Interaction))}
    assert owners == {(first.id, None), (second.id, second.contacts[0].id)}


def test_internal_calls_are_not_customer_history(session: Session) -> None:
    internal = call("a", "102", start=timedelta(0), outcome=ANSWERED, direction=Direction.INTERNAL)
    assert record_calls(session, [internal], POLICY).interactions == 0


class RefusingSessions:
    """A session factory whose database refuses writes while `refusing` is set."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.refusing = True
        self.refused = 0

    def __call__(self) -> Session:
        if self.refusing:
            self.refused += 1
            raise OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked"))
        return self.sessions()


async def until(condition: Callable[[], bool]) -> None:
    """Wait (on the loop) until `condition` holds; the test's own timeout bounds it."""
    for _ in range(2000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition never held")


def ended(linkedid: str) -> CallEnded:
    record = call(linkedid, "5551230009", start=timedelta(0), outcome=ANSWERED)
    return CallEnded(at=record.ended_at, server="pbx", record=record)


async def test_ended_calls_wait_out_a_refusing_database_and_are_written_once(
    sessions: sessionmaker[Session],
) -> None:
    database = RefusingSessions(sessions)
    history = CallHistory(
        cast("sessionmaker[Session]", database), Settings(), linger_s=0, retry_s=(0.01, 0.05)
    )
    bus = Bus()
    task = asyncio.create_task(history.run(bus))
    await asyncio.sleep(0)
    for linkedid in ("a", "b", "c"):
        bus.publish(ended(linkedid))
    await until(lambda: database.refused >= 3 and len(history.unwritten) == 3)
    database.refusing = False
    await until(lambda: not history.unwritten)  # retried on its own, without a new call
    bus.publish(ended("d"))
    await until(lambda: len(rows(sessions, Interaction)) == 4)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert sorted(i.linkedid for i in rows(sessions, Interaction)) == ["a", "b", "c", "d"]


async def test_a_stop_while_the_database_refuses_says_how_many_calls_were_not_written(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    database = RefusingSessions(sessions)
    history = CallHistory(
        cast("sessionmaker[Session]", database), Settings(), linger_s=0, retry_s=(0.01, 0.05)
    )
    bus = Bus()
    task = asyncio.create_task(history.run(bus))
    await asyncio.sleep(0)
    for linkedid in ("a", "b"):
        bus.publish(ended(linkedid))
    await until(lambda: len(history.unwritten) == 2)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert "2 ended calls could not be written into the CRM history" in caplog.text
    assert rows(sessions, Interaction) == []
