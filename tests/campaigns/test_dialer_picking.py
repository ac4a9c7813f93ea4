"""Picking and reserving leads: the attempt row first, calling hours and do-not-call checked at
dial time, and two dialers never taking the same attempt of a lead."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Campaign, DialAttempt, DncEntry, Lead
from callcenter.campaigns.picking import Reservation, Seat, reserve
from callcenter.db import make_engine, make_sessionmaker
from tests.campaigns.dialer_data import NOON, campaign


def reserve_now(
    sessions: sessionmaker[Session],
    campaign_id: int,
    seats: list[Seat | None],
    now: datetime = NOON,
) -> list[Reservation]:
    with sessions() as session:
        row = session.get(Campaign, campaign_id)
        assert row is not None
        return reserve(session, row, seats, now)


def test_a_reservation_stores_the_attempt_and_moves_the_lead(
    sessions: sessionmaker[Session],
) -> None:
    cid = campaign(sessions, 3)
    (got,) = reserve_now(sessions, cid, [Seat("ann", "PJSIP/ann")])
    with sessions() as session:
        attempt = session.get(DialAttempt, got.attempt_id)
        lead = session.get(Lead, got.lead_id)
        assert attempt is not None and lead is not None
        assert (attempt.state, attempt.number, attempt.agent) == ("reserved", 1, "ann")
        assert attempt.action_id == got.action_id and got.action_id.startswith("cc-dial-")
        assert (lead.state, lead.attempts) == ("dialing", 1)
    assert got.interface == "PJSIP/ann"


def test_each_seat_gets_its_own_lead(sessions: sessionmaker[Session]) -> None:
    cid = campaign(sessions, 5)
    got = reserve_now(sessions, cid, [None, None, None])
    assert len({r.lead_id for r in got}) == 3
    assert len({r.action_id for r in got}) == 3


def test_a_number_put_on_do_not_call_after_import_is_never_reserved(
    sessions: sessionmaker[Session],
) -> None:
    cid = campaign(sessions, 2)
    with sessions() as session:
        session.add(DncEntry(number="+4930100000", campaign_id=None, reason="asked"))
        session.add(DncEntry(number="+4930100001", campaign_id=cid, reason="asked"))
        session.commit()
    assert reserve_now(sessions, cid, [None, None]) == []
    with sessions() as session:
        states = session.scalars(select(Lead.state)).all()
        assert states == ["blocked", "blocked"]
        assert session.scalar(select(func.count()).select_from(DialAttempt)) == 0


def test_outside_calling_hours_nothing_is_reserved(sessions: sessionmaker[Session]) -> None:
    cid = campaign(sessions, 2)
    late = NOON + timedelta(hours=9)  # 22:00 in Berlin
    assert reserve_now(sessions, cid, [None], now=late) == []
    with sessions() as session:
        assert set(session.scalars(select(Lead.state))) == {"open"}


def test_leads_where_it_is_night_do_not_hide_those_in_calling_hours(
    sessions: sessionmaker[Session],
) -> None:
    """The list's first hundred leads live in Berlin (22:00: closed), the last three in New
    York (16:00): the round dials New York rather than nothing."""
    cid = campaign(sessions, 100)
    with sessions() as session:
        row = session.get(Campaign, cid)
        assert row is not None
        for n in range(3):
            session.add(
                Lead(
                    list_id=row.list_id,
                    number=f"+1212555010{n}",
                    time_zone="America/New_York",
                    origin="csv",
                )
            )
        session.commit()
    late = NOON + timedelta(hours=9)  # 22:00 in Berlin, 16:00 in New York
    got = reserve_now(sessions, cid, [None, None, None, None], now=late)
    assert sorted(r.dialed_number for r in got) == [f"+1212555010{n}" for n in range(3)]
    with sessions() as session:
        berlin = set(session.scalars(select(Lead.state).where(Lead.time_zone == "Europe/Berlin")))
        assert berlin == {"open"}


def test_a_lead_waits_for_its_retry_time(sessions: sessionmaker[Session]) -> None:
    cid = campaign(sessions, 1)
    with sessions() as session:
        lead = session.scalars(select(Lead)).one()
        lead.next_at = NOON + timedelta(minutes=5)
        session.commit()
    assert reserve_now(sessions, cid, [None]) == []
    assert len(reserve_now(sessions, cid, [None], now=NOON + timedelta(minutes=5))) == 1


def test_the_next_attempt_has_the_next_number(sessions: sessionmaker[Session]) -> None:
    cid = campaign(sessions, 1)
    (first,) = reserve_now(sessions, cid, [None])
    with sessions() as session:
        lead = session.get(Lead, first.lead_id)
        assert lead is not None
        lead.state = "open"  # as the retry rules put it back
        session.commit()
    (second,) = reserve_now(sessions, cid, [None])
    assert (first.number, second.number) == (1, 2)


def test_two_dialers_on_postgresql_never_take_one_attempt(pg_database_url: str) -> None:
    engine = make_engine(pg_database_url)
    sessions = make_sessionmaker(engine)
    try:
        cid = campaign(sessions, 40)
        results: list[list[Reservation]] = [[], []]
        barrier = threading.Barrier(2)

        def work(slot: int) -> None:
            barrier.wait()
            for _ in range(10):
                results[slot].extend(reserve_now(sessions, cid, [None, None, None]))

        threads = [threading.Thread(target=work, args=(slot,)) for slot in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Rows the other dialer held were skipped, not waited for: sweep what is left.
        while more := reserve_now(sessions, cid, [None, None, None]):
            results[0].extend(more)
        taken = [r.lead_id for r in results[0] + results[1]]
        assert len(taken) == 40
        assert len(set(taken)) == 40  # no lead reserved twice
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(DialAttempt)) == 40
            assert set(session.scalars(select(Lead.attempts))) == {1}
    finally:
        engine.dispose()


@pytest.mark.parametrize("blocked_by", ["customer"])
def test_the_customers_own_wish_blocks_the_dial(
    sessions: sessionmaker[Session], blocked_by: str
) -> None:
    from crm.customers.models import Customer

    cid = campaign(sessions, 1)
    with sessions() as session:
        customer = Customer(name="Zoe", do_not_call=True)
        session.add(customer)
        session.flush()
        session.scalars(select(Lead)).one().customer_id = customer.id
        session.commit()
    assert reserve_now(sessions, cid, [None]) == []
