"""Issue 14's end-to-end proof: the simulated PBX asks the app's own routing server (FastAGI over
TCP) for each DID caller, and the app's adapter follows the PBX: a VIP waits less than a
regular caller who came first; a returning customer rings their ticket's assignee first."""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.calls.records import CallRecord
from callcenter.events import CallEnded
from callcenter.queues.models import QueueNumber, ServiceQueue
from callcenter.settings import Settings
from callcenter.users.service import Role, create_user
from crm.enums import CustomerCategory
from crm.tickets.schemas import TicketCreate
from crm.tickets.service import create_ticket
from tests.crm.conftest import add_customer
from tests.sim.pbx_client import AmiTestClient, dial_did, logged_in, running_pbx
from tests.waiting import until

DID = "4930555000"
CENTER = f"""
seed = 1
server = "simpbx"

[[queue]]
name = "support"
numbers = ["{DID}"]
arrival_rate_per_hour = 1
talk = {{ distribution = "deterministic", mean_s = 4 }}

[[agent]]
name = "Alice"
interface = "PJSIP/1001"
queues = ["support"]
ring = {{ distribution = "deterministic", mean_s = 1 }}

[[agent]]
name = "Bob"
interface = "PJSIP/1002"
queues = ["support"]
ring = {{ distribution = "deterministic", mean_s = 1 }}
"""
ROLF, VERA, OLGA = "+15550000002", "+15550000010", "+15550000021"


def seed(sessions: sessionmaker[Session]) -> None:
    """support on the DID; Alice and Bob in it; Rolf, Vera (VIP), Olga (Bob's open ticket)."""
    with sessions.begin() as session:
        session.add(
            ServiceQueue(name="support", display_name="Support", numbers=[QueueNumber(number=DID)])
        )
        for username, interface, member in (("alice", "PJSIP/1001", "Alice"),
                                            ("bob", "PJSIP/1002", "Bob")):  # fmt: skip
            create_user(
                session, username, role=Role.AGENT, password="correct horse battery",
                interface=interface, member_name=member, queues=[("support", 0)],
            )  # fmt: skip
        add_customer(session, "Rolf Regular", ROLF)
        add_customer(session, "Vera VIP", VERA, category=CustomerCategory.VIP)
        olga = add_customer(session, "Olga Ticket", OLGA)
        ticket = TicketCreate(subject="Router drops", customer_id=olga.id, assignee="bob")
        create_ticket(session, ticket, "admin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def pause(client: AmiTestClient, interface: str, paused: bool) -> None:
    value = "true" if paused else "false"
    client.send("QueuePause", ("Interface", interface), ("Paused", value))
    await client.event("QueueMemberPause", Interface=interface, Paused="1" if paused else "0")


async def test_vip_waits_less_and_a_returning_customer_rings_their_ticket_owner(
    database_url: str, sessions: sessionmaker[Session], fast_password_hashing: None
) -> None:
    seed(sessions)
    port = free_port()
    async with running_pbx(CENTER, agi_url=f"agi://127.0.0.1:{port}/route", speed=10) as pbx:
        settings = Settings(
            database_url=database_url, ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name="simpbx", agi_listen=f"127.0.0.1:{port}", default_region="US",
            sla_check_interval_s=3600,
        )  # fmt: skip
        app = create_app(settings)
        async with app.router.lifespan_context(app), logged_in(pbx) as client:
            ended: list[CallRecord] = []
            app.state.callcenter.bus.subscribe(CallEnded, lambda e: ended.append(e.record))
            await asyncio.sleep(0.5)  # the adapter's resync: Alice and Bob signed in
            await pause(client, "PJSIP/1001", True)
            await pause(client, "PJSIP/1002", True)
            dial_did(client, ROLF, "Rolf Regular", DID)
            await client.event("QueueCallerJoin", CallerIDNum=ROLF)
            dial_did(client, VERA, "Vera VIP", DID)
            vip_join = await client.event("QueueCallerJoin", CallerIDNum=VERA)
            await pause(client, "PJSIP/1001", False)
            await until(lambda: len(ended) == 2, timeout=20.0)
            await pause(client, "PJSIP/1002", False)
            await asyncio.sleep(0.3)  # the app's presence: Bob free again
            dial_did(client, OLGA, "Olga Ticket", DID)
            begin = await client.event("DialBegin", CallerIDNum=OLGA)
            await until(lambda: len(ended) == 3, timeout=20.0)
    assert vip_join["Position"] == "1"
    by_number = {record.caller_number: record for record in ended}
    rolf, vera, olga = by_number[ROLF], by_number[VERA], by_number[OLGA]
    assert vera.answered_at is not None and rolf.answered_at is not None
    assert vera.answered_at < rolf.answered_at  # Vera came second, answered first
    vera_wait, rolf_wait = vera.queue_visits[0].wait_s, rolf.queue_visits[0].wait_s
    assert vera_wait is not None and rolf_wait is not None and vera_wait < rolf_wait
    assert begin["DialString"] == "1002" and begin["Context"] == "preferred"
    assert (olga.agent, olga.queue_visits) == ("Bob", ())
    assert [r.action for r in pbx.board.truth.routes] == ["queue", "queue", "preferred"]
    assert [r.variables["ROUTE_REASON"] for r in pbx.board.truth.routes] == [
        "known", "vip", "open_ticket",
    ]  # fmt: skip
