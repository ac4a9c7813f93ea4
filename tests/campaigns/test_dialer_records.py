"""An attempt's call as the tracker records it is stored outbound, with its campaign and lead,
whichever of the record and the attempt's call id is stored first; never twice."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.calls import service
from callcenter.calls.models import Call
from callcenter.calls.records import CallOutcome, CallRecord, Direction
from callcenter.calls.service import store_calls, to_record
from callcenter.campaigns.dial_records import ensure_record, stamp_calls
from callcenter.campaigns.models import Campaign, DialAttempt
from callcenter.campaigns.picking import reserve
from callcenter.db import make_engine, make_sessionmaker
from tests.campaigns.dialer_data import NOON, campaign


def tracker_record(linkedid: str) -> CallRecord:
    """What the tracker publishes for a customer-first call: its first channel is the trunk's,
    not an agent's, so it calls it inbound."""
    return CallRecord(
        server="pbx1",
        linkedid=linkedid,
        direction=Direction.INBOUND,
        started_at=NOON,
        ended_at=NOON + timedelta(minutes=2),
        outcome=CallOutcome.ANSWERED,
        caller_number="+4930100000",
        answered_at=NOON + timedelta(seconds=9),
        agent="ann",
    )


def reserved(sessions: sessionmaker[Session]) -> int:
    cid = campaign(sessions, 1)
    with sessions() as session:
        row = session.get(Campaign, cid)
        assert row is not None
        (got,) = reserve(session, row, [None], NOON)
        return got.attempt_id


def test_a_record_stored_after_the_attempt_knew_its_call_is_stamped(
    sessions: sessionmaker[Session],
) -> None:
    attempt_id = reserved(sessions)
    with sessions() as session:
        attempt = session.get(DialAttempt, attempt_id)
        assert attempt is not None
        attempt.server, attempt.linkedid = "pbx1", "1764690000.5"
        session.commit()
        store_calls(session, [tracker_record("1764690000.5")], after_store=())
        session.commit()
        call = session.scalars(select(Call)).one()
        assert (call.direction, call.campaign_id, call.lead_id) == (
            "outbound",
            attempt.campaign_id,
            attempt.lead_id,
        )
        assert call.dialed_number == "+4930100000"
        # Stored again (a replay): still one row, still stamped.
        store_calls(session, [tracker_record("1764690000.5")], after_store=())
        session.commit()
        assert session.scalar(select(func.count()).select_from(Call)) == 1
        assert session.scalars(select(Call.direction)).one() == "outbound"


def test_a_record_stored_first_is_stamped_when_the_attempt_learns_its_call(
    sessions: sessionmaker[Session],
) -> None:
    attempt_id = reserved(sessions)
    with sessions() as session:
        store_calls(session, [tracker_record("1764690000.6")], after_store=())
        session.commit()
        assert session.scalars(select(Call.campaign_id)).one() is None
        attempt = session.get(DialAttempt, attempt_id)
        assert attempt is not None
        attempt.server, attempt.linkedid = "pbx1", "1764690000.6"
        assert stamp_calls(session, [("pbx1", "1764690000.6")]) == 1
        # An attempt with a call of its own never gets a second record.
        attempt.outcome, attempt.ended_at = "answered", NOON
        ensure_record(session, attempt)
        session.commit()
        assert session.scalar(select(func.count()).select_from(Call)) == 1
        assert session.scalars(select(Call.lead_id)).one() == attempt.lead_id


def test_an_attempt_that_reached_nobody_has_a_failed_record_that_reads_back(
    sessions: sessionmaker[Session],
) -> None:
    attempt_id = reserved(sessions)
    with sessions() as session:
        attempt = session.get(DialAttempt, attempt_id)
        assert attempt is not None
        attempt.server, attempt.outcome, attempt.ended_at = "pbx1", "machine", NOON
        ensure_record(session, attempt)
        session.commit()
        (call,) = session.scalars(select(Call)).all()
        record = to_record(call)  # what reports and the board read back
        assert record.outcome is CallOutcome.FAILED
        assert record.direction is Direction.OUTBOUND
        assert (call.campaign_id, call.lead_id) == (attempt.campaign_id, attempt.lead_id)
        assert session.get(DialAttempt, attempt_id).outcome == "machine"  # type: ignore[union-attr]


def test_the_dialers_own_record_stored_while_the_writer_writes_is_replaced_not_a_failure(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer reads which calls are stored, then the dialer stores its own record of the
    attempt (its outcome came first), then the writer inserts the tracker's record of the same
    call: one row, the tracker's, stamped; the batch does not fail."""
    writer_and_dialer_race(sessions, monkeypatch)


def test_the_same_race_on_postgresql(pg_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_database_url)
    try:
        writer_and_dialer_race(make_sessionmaker(engine), monkeypatch)
    finally:
        engine.dispose()


def writer_and_dialer_race(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt_id = reserved(sessions)
    with sessions() as session:
        attempt = session.get(DialAttempt, attempt_id)
        assert attempt is not None
        attempt.server, attempt.linkedid = "pbx1", "1764690000.7"
        attempt.outcome, attempt.ended_at = "answered", NOON + timedelta(minutes=2)
        session.commit()
    read = service._stored_ids
    raced: list[bool] = []

    def read_then_the_dialer_writes(
        session: Session, keys: Sequence[tuple[str, str]]
    ) -> tuple[dict[int, tuple[str, str]], set[tuple[str, str]]]:
        found = read(session, keys)
        if not raced:
            raced.append(True)
            with sessions() as dialer:
                ended = dialer.get(DialAttempt, attempt_id)
                assert ended is not None
                ensure_record(dialer, ended)
                dialer.commit()
        return found

    monkeypatch.setattr(service, "_stored_ids", read_then_the_dialer_writes)
    with sessions() as writer:
        assert store_calls(writer, [tracker_record("1764690000.7")], after_store=()) == 1
        writer.commit()
    assert raced
    with sessions() as session:
        (call,) = session.scalars(select(Call)).all()
        assert (call.agent, call.caller_number) == ("ann", "+4930100000")  # the tracker's
        assert (call.direction, call.lead_id) == ("outbound", attempt.lead_id)


@pytest.mark.parametrize("record_first", [True, False])
def test_a_call_that_reached_nobody_is_failed_whatever_the_tracker_made_of_it(
    sessions: sessionmaker[Session], record_first: bool
) -> None:
    """The tracker records an unanswered campaign call as a call no agent took (abandoned);
    the attempt knows the number was busy: the record says failed, in either order."""
    attempt_id = reserved(sessions)
    gone = CallRecord(
        server="pbx1",
        linkedid="1764690000.8",
        direction=Direction.INBOUND,
        started_at=NOON,
        ended_at=NOON + timedelta(seconds=20),
        outcome=CallOutcome.ABANDONED,
        caller_number="+4930100000",
    )
    with sessions() as session:
        if record_first:
            store_calls(session, [gone], after_store=())
        attempt = session.get(DialAttempt, attempt_id)
        assert attempt is not None
        attempt.server, attempt.linkedid = "pbx1", "1764690000.8"
        attempt.outcome, attempt.ended_at = "busy", NOON + timedelta(seconds=20)
        if record_first:
            ensure_record(session, attempt)  # the attempt's end
        else:
            store_calls(session, [gone], after_store=())
        session.commit()
        call = session.scalars(select(Call)).one()
        assert (call.outcome, call.direction) == ("failed", "outbound")
