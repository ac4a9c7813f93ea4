"""Two PBXs, each with its own `cti run`, and one web worker, real processes on a real Redis:
each agent's console shows its own PBX's calls only, and an agent's console commands reach
the PBX the agent is on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy.orm import Session, sessionmaker

from agent_ui.hub_producer import log_key
from callcenter.db import transaction
from callcenter.users import service as users_service
from callcenter.users.auth import SESSION_COOKIE, SessionSigner
from tests.cluster.floor_processes import (
    FLOOR,
    SECRET,
    SERVER,
    ConsoleTab,
    Floor,
    Wallboard,
    seed_people,
    until,
)
from tests.sim.pbx_client import running_pbx
from tests.sim.test_cti_run_process import free_port

SERVER_B = "pbxb"
PHONE_B = "PJSIP/2001"
# PBX B: agent2 (PJSIP/2001) in sales.
FLOOR_B = (
    FLOOR.replace(f'server = "{SERVER}"', f'server = "{SERVER_B}"')
    .replace('"support"', '"sales"')
    .replace('"agent1"', '"agent2"')
    .replace("PJSIP/1001", PHONE_B)
)


def seed_agent2(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        agent = users_service.create_user(
            session,
            "agent2",
            role=users_service.Role.AGENT,
            password="agent2-password-long-enough",
            interface=PHONE_B,
            member_name="agent2",
            queues=[("sales", 0)],
        )
        return agent.id


async def post_as(port: int, user_id: int, path: str, **form: str) -> httpx.Response:
    """A console control posted as the signed-in agent (session cookie, CSRF token)."""
    value, web = SessionSigner(SECRET).issue(user_id)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        return await client.post(
            path,
            data=form,
            headers={"X-CSRF-Token": web.csrf, "Cookie": f"{SESSION_COOKIE}={value}"},
        )


async def test_each_agent_gets_the_pops_and_controls_of_their_own_pbx(
    redis_url: str,
    database_url: str,
    sessions: sessionmaker[Session],
    tmp_path: Path,
    fast_password_hashing: None,
) -> None:
    people = seed_people(sessions)
    agent2 = seed_agent2(sessions)
    async with running_pbx(FLOOR, speed=4.0) as pbx_a, running_pbx(FLOOR_B, speed=4.0) as pbx_b:
        floor = Floor(pbx_a, redis_url, database_url, tmp_path, [free_port()])
        try:
            await floor.start_adapter("cti-a")
            ami_b = f"ami://crm:crmsecret@127.0.0.1:{pbx_b.port}"
            await floor.start("cti-b", "cti", "run", "--ami", ami_b, "--server", SERVER_B)
            await floor.until_active("cti-a")
            await floor.until_active("cti-b")
            await floor.start_web(0)
            port = floor.web_ports[0]
            # The worker learns PBX B's floor with no event of B's since it started.
            board = await Wallboard.open(port, people["sue"])
            await until(lambda: _available(board.latest) == {"support": 1, "sales": 1}, 20)
            await board.close()
            tab1 = await ConsoleTab.open(port, people["agent1"])
            tab2 = await ConsoleTab.open(port, agent2)

            floor.call_in("+15551230001", "Ann Caller")  # PBX A, support: agent1
            pbx_b.originate("Local/+15551230002@customer/n", "sales", "queues", "Ben", None)
            await until(lambda: len(tab1.pops()) == 1 and len(tab2.pops()) == 1, timeout=30)
            await until(lambda: len(pbx_a.records) == 1 and len(pbx_b.records) == 1)
            await asyncio.sleep(1.0)  # anything misrouted would have arrived by now
            assert tab1.pops() == [pbx_a.records[0].linkedid]
            assert tab2.pops() == [pbx_b.records[0].linkedid]
            # Each agent's frames numbered by one projector, its own PBX's: every frame in
            # the agent's log once, and one pop (another PBX's projector would add its own).
            for user_id in (people["agent1"], agent2):
                logged = _logged(redis_url, user_id)
                seqs = [frame["seq"] for frame in logged]
                assert seqs == list(range(1, len(seqs) + 1)), seqs
                assert len([f for f in logged if f["type"] == "pop"]) == 1, logged

            # agent2 pauses from the console: PBX B pauses them, PBX A's agent1 is untouched.
            answer = await post_as(port, agent2, "/console/pause", reason="Break")
            assert answer.status_code == 200, answer.text
            member = pbx_b.board.queues["sales"].members["agent2"]
            assert member.paused and member.paused_reason == "Break"
            assert not pbx_a.board.queues["support"].members["agent1"].paused
            await until(lambda: _last_state(tab2) == "paused", timeout=15)
            assert _last_state(tab1) != "paused"
            # A fresh tab's snapshot comes from the console of agent2's own PBX.
            again = await ConsoleTab.open(port, agent2)
            assert again.hello["snapshot"]["state"] == "paused", again.hello
            assert again.hello["snapshot"]["queues"] == ["sales"], again.hello
            await again.close()
            await tab1.close()
            await tab2.close()
        finally:
            for name in list(floor.processes):
                await floor.stop(name)


def _logged(redis_url: str, user_id: int) -> list[dict[str, Any]]:
    """The agent's replay log in Redis, as the console hub's producers wrote it."""
    with redis.Redis.from_url(redis_url) as client:
        return [json.loads(text) for text in client.lrange(log_key(user_id), 0, -1)]


def _available(snapshot: dict[str, Any] | None) -> dict[str, int]:
    """Each queue's available agents on a wallboard snapshot."""
    queues = (snapshot or {}).get("queues", {})
    return {name: tile["agents"]["available"] for name, tile in queues.items()}


def _last_state(tab: ConsoleTab) -> str | None:
    states = [f["state"] for f in tab.frames if f.get("type") == "state" and "state" in f]
    return str(states[-1]) if states else None
