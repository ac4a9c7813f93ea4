"""Customer cards looked up in a child process: answers, failures, a child that dies, a stop."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.card_process import CardLookupFailed, CardLookups
from agent_ui.console_state import build_card, stored_decision
from callcenter.db import make_engine, make_sessionmaker
from crm.customers.schemas import CustomerCreate, PhoneIn
from crm.customers.service import create_customer
from tests.agent_ui.test_pop_routes import store_decision
from tests.console_app import ringing


@pytest.fixture
async def lookups(sessions: sessionmaker[Session]) -> AsyncIterator[CardLookups]:
    child = CardLookups(sessions)
    yield child
    await child.stop()


async def until_gone(child: CardLookups) -> None:
    """Wait until the parent has noticed its child's end (end of file on the socket)."""
    for _ in range(500):
        if child._writer is not None and child._writer.is_closing():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the parent never noticed that its child ended")


async def test_a_card_from_the_child_is_the_card_built_in_place(
    lookups: CardLookups, sessions: sessionmaker[Session], ann: int
) -> None:
    event = ringing("PJSIP/1001", "1700000000.1")
    store_decision(sessions, "1700000000.1")

    found = await lookups.card("US", event, None)
    decision = await lookups.decision("1700000000.1")

    in_place = build_card(sessions, "US", event)
    assert (found.html, found.pop_html) == (in_place.html, in_place.pop_html)
    assert found.customer_id == ann and "Ann Customer" in found.html
    assert decision is not None and decision.queue == "support"
    assert await lookups.decision("no-such-call") is None
    assert lookups.process.pid != os.getpid()


async def test_a_lookup_that_fails_in_the_child_says_why_and_the_child_goes_on(
    lookups: CardLookups, ann: int
) -> None:
    with pytest.raises(CardLookupFailed, match="ValueError: a call without a caller number"):
        await lookups.card("US", ringing("PJSIP/1001", "anonymous", number=None), None)
    first = lookups.process.pid

    found = await lookups.card("US", ringing("PJSIP/1001", "1700000000.2"), None)

    assert found.customer_id == ann
    assert lookups.process.pid == first


async def test_a_child_that_dies_fails_its_lookups_and_the_next_lookup_starts_another(
    lookups: CardLookups, ann: int
) -> None:
    await lookups.card("US", ringing("PJSIP/1001", "1700000000.1"), None)
    first = lookups.process
    os.kill(first.pid, signal.SIGSTOP)  # the next lookup stays in flight
    in_flight = asyncio.create_task(lookups.card("US", ringing("PJSIP/1001", "held"), None))
    await asyncio.sleep(0.2)
    assert not in_flight.done()
    os.kill(first.pid, signal.SIGKILL)

    with pytest.raises(CardLookupFailed, match="process ended"):
        await in_flight
    await until_gone(lookups)
    found = await lookups.card("US", ringing("PJSIP/1001", "1700000000.3"), None)

    assert found.customer_id == ann
    assert lookups.process is not first and lookups.process.is_alive()
    await asyncio.to_thread(first.join, 5)
    assert first.exitcode == -signal.SIGKILL


async def test_stopping_ends_the_child_and_refuses_later_lookups(
    lookups: CardLookups, ann: int
) -> None:
    await lookups.card("US", ringing("PJSIP/1001", "1700000000.1"), None)
    child = lookups.process

    await lookups.stop()

    assert not child.is_alive() and child.exitcode == 0
    with pytest.raises(CardLookupFailed, match="stopped"):
        await lookups.card("US", ringing("PJSIP/1001", "1700000000.2"), None)


async def test_a_lookup_cancelled_while_its_child_starts_leaves_nothing_open(
    lookups: CardLookups, ann: int
) -> None:
    starting = asyncio.create_task(lookups.card("US", ringing("PJSIP/1001", "1"), None))
    await asyncio.sleep(0)
    starting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await starting

    await lookups.stop()  # no socket is left for the garbage collector (a warning: an error)

    if lookups.process is not None and lookups.process.pid is not None:
        await asyncio.to_thread(lookups.process.join, 5)
        assert not lookups.process.is_alive()


async def test_on_postgresql_a_lookup_waiting_on_the_server_holds_up_no_other(
    pg_database_url: str,
) -> None:
    engine = make_engine(pg_database_url)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        data = CustomerCreate(name="Ann Customer", phones=[PhoneIn(number="+15551230001")])
        ann = create_customer(session, data, "US").id
    store_decision(sessions, "1700000000.1")
    stored = stored_decision(sessions, "1700000000.1")  # a card given its route reads none
    lookups = CardLookups(sessions)
    try:
        with engine.connect() as locker:
            locker.execute(text("LOCK TABLE route_decisions IN ACCESS EXCLUSIVE MODE"))
            waiting = asyncio.create_task(lookups.decision("1700000000.1"))
            await asyncio.sleep(0.5)
            assert not waiting.done()  # it waits for the lock
            found = await asyncio.wait_for(
                lookups.card("US", ringing("PJSIP/1001", "other"), stored), 10
            )
            assert found.customer_id == ann and not waiting.done()
            locker.rollback()
        decision = await asyncio.wait_for(waiting, 10)
        assert decision is not None and decision.queue == "support"
    finally:
        await lookups.stop()
        engine.dispose()
