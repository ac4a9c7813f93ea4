"""Call records are stored idempotently and read back unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls.models import Call, QueueVisit
from callcenter.calls.records import (
    AgentState,
    AgentStateRecord,
    CallOutcome,
    CallRecord,
    Direction,
    QueueVisitRecord,
    VisitOutcome,
)
from callcenter.calls.service import (
    list_agent_states,
    list_calls,
    store_agent_states,
    store_calls,
)
from callcenter.db import transaction

T0 = datetime(2026, 11, 23, 13, 37, 53, tzinfo=UTC)


def _call(linkedid: str, *, talk: float = 5.0) -> CallRecord:
    return CallRecord(
        server="pbx1",
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=7),
        outcome=CallOutcome.ANSWERED,
        caller_number="+15551230001",
        caller_name="José Núñez",
        answered_at=T0 + timedelta(seconds=2),
        talk_s=talk,
        agent="Alice",
        queue_visits=(
            QueueVisitRecord(
                queue="support",
                uniqueid=linkedid,
                entered_at=T0,
                outcome=VisitOutcome.ANSWERED,
                position=1,
                agent="Alice",
                wait_s=2.0,
                ring_s=2.0,
                talk_s=talk,
            ),
        ),
    )


def test_store_twice_keeps_one_row_per_call(sessions: sessionmaker[Session]) -> None:
    for _ in range(2):
        with transaction(sessions) as session:
            store_calls(session, [_call("1.0"), _call("2.0")], after_store=())
    with sessions() as session:
        calls = list_calls(session)
    assert [c.linkedid for c in calls] == ["1.0", "2.0"]
    assert calls[0] == _call("1.0")


def test_nothing_of_a_batch_is_seen_before_it_commits(sessions: sessionmaker[Session]) -> None:
    """A call and its queue visits become visible together, when the batch commits (a
    reader seeing the call without its visits would count it wrong)."""
    for talk in (5.0, 9.0):  # a new call, then the same call replaced
        with transaction(sessions) as writer:
            store_calls(writer, [_call("1.1", talk=talk)], after_store=())
            with sessions() as reader:
                seen = reader.scalars(select(Call.talk_s)).all()
                assert seen == ([] if talk == 5.0 else [5.0])
        with sessions() as reader:
            assert reader.scalars(select(Call.talk_s)).all() == [talk]
            assert reader.scalar(select(func.count()).select_from(QueueVisit)) == 1


def test_later_record_of_same_call_replaces_the_earlier(sessions: sessionmaker[Session]) -> None:
    with transaction(sessions) as session:
        store_calls(session, [_call("1.0", talk=5.0)], after_store=())
    with transaction(sessions) as session:
        store_calls(session, [_call("1.0", talk=9.0)], after_store=())
    with sessions() as session:
        (call,) = list_calls(session)
    assert call.talk_s == 9.0
    assert call.queue_visits[0].talk_s == 9.0


def _stored(sessions: sessionmaker[Session], *batches: list[CallRecord]) -> list[CallRecord]:
    for batch in batches:
        with transaction(sessions) as session:
            store_calls(session, batch, after_store=())
    with sessions() as session:
        return list_calls(session)


def test_a_gap_record_never_replaces_a_complete_one(sessions: sessionmaker[Session]) -> None:
    complete = _call("1.0", talk=9.0)
    cut_short = replace(_call("1.0", talk=3.0), data_gap=True)
    assert _stored(sessions, [complete], [cut_short]) == [complete]


def test_a_complete_record_replaces_a_gap_one(sessions: sessionmaker[Session]) -> None:
    cut_short = replace(_call("1.0", talk=3.0), data_gap=True)
    complete = _call("1.0", talk=9.0)
    assert _stored(sessions, [cut_short], [complete]) == [complete]


def test_in_one_batch_a_gap_record_does_not_replace_a_complete_one(
    sessions: sessionmaker[Session],
) -> None:
    complete = _call("1.0", talk=9.0)
    cut_short = replace(_call("1.0", talk=3.0), data_gap=True)
    other = replace(_call("2.0"), data_gap=True)
    assert _stored(sessions, [complete, cut_short, other]) == [complete, other]


def test_agent_state_intervals_are_idempotent(sessions: sessionmaker[Session]) -> None:
    interval = AgentStateRecord(
        server="pbx1",
        agent="Bob",
        interface="PJSIP/1002",
        state=AgentState.PAUSED,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=60),
        reason="Lunch",
    )
    for _ in range(2):
        with transaction(sessions) as session:
            store_agent_states(session, [interval])
    with sessions() as session:
        assert list_agent_states(session) == [interval]


def test_text_longer_than_its_column_is_clipped_not_refused(
    sessions: sessionmaker[Session],
) -> None:
    call = replace(_call("1.0"), caller_name="N" * 300, dialed_number="9" * 100)
    call = replace(call, queue_visits=(replace(call.queue_visits[0], agent="A" * 200),))
    interval = AgentStateRecord(
        server="pbx1",
        agent="Bob",
        interface="PJSIP/1002",
        state=AgentState.PAUSED,
        started_at=T0,
        ended_at=T0 + timedelta(seconds=60),
        reason="R" * 500,
    )
    for _ in range(2):
        with transaction(sessions) as session:
            store_calls(session, [call], after_store=())
            store_agent_states(session, [interval])
    with sessions() as session:
        [stored] = list_calls(session)
        [state] = list_agent_states(session)
    assert (stored.caller_name, stored.dialed_number) == ("N" * 255, "9" * 64)
    assert stored.queue_visits[0].agent == "A" * 128
    assert state.reason == "R" * 128
