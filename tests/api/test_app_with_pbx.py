"""With CALLCENTER_AMI_URL set, the app runs the CTI adapter itself: a call to the simulated
PBX over real TCP ends up in the caller's CRM history."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from callcenter.app import create_app
from callcenter.settings import Settings
from crm.interactions.models import Interaction
from tests.crm.conftest import add_customer
from tests.sim.pbx_client import logged_in, running_pbx, send_caller


async def test_a_call_through_the_pbx_lands_in_the_customer_history(
    database_url: str, token: str, sessions: sessionmaker[Session]
) -> None:
    with sessions() as session, session.begin():
        ann = add_customer(session, "Ann Customer", "(555) 123-0001").id
    async with running_pbx() as pbx:
        settings = Settings(
            database_url=database_url,
            ami_url=f"ami://crm:crmsecret@127.0.0.1:{pbx.port}",
            pbx_name="simpbx",
            sla_check_interval_s=3600,
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), logged_in(pbx) as caller_side:
            send_caller(caller_side, "15551230001", "Ann Customer")
            found: list[Interaction] = []
            for _ in range(600):  # the simulated call lasts seconds of wall time
                with sessions() as session:
                    found = list(session.scalars(select(Interaction)))
                if found:
                    break
                await asyncio.sleep(0.05)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://crm.test",
                headers={"Authorization": f"Bearer {token}"},
            ) as client:
                card = (await client.get("/api/lookup", params={"number": "5551230001"})).json()
    (entry,) = found
    assert (entry.customer_id, entry.kind, entry.server, entry.answered) == (
        ann,
        "call_in",
        "simpbx",
        True,
    )
    assert [i["linkedid"] for i in card["matches"][0]["interactions"]] == [entry.linkedid]
