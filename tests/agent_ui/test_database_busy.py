"""A write that finds the database busy answers 503 "try again", saves nothing, and the same
request sent again is saved once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import Lead
from callcenter.db_busy import is_busy
from crm.customers.models import Customer
from tests.console_app import Staff, sign_in_as


@contextmanager
def writer_holding_the_lock(database_url: str) -> Iterator[None]:
    """Another connection in the middle of a write transaction (SQLite: one writer at a time)."""
    connection = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("ROLLBACK")
    finally:
        connection.close()


def test_a_callback_scheduled_while_the_database_is_busy_is_refused_then_saved_once(
    client: TestClient, staff: Staff, ann: int, database_url: str, sessions: sessionmaker[Session]
) -> None:
    csrf = sign_in_as(client, staff, "agent1")
    due = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"number": "+15551230001", "customer_id": str(ann), "due_at": due + "Z"}
    with writer_holding_the_lock(database_url):
        busy = client.post("/console/callbacks", data=form, headers={"X-CSRF-Token": csrf})
    assert busy.status_code == 503, busy.text
    assert "saved nothing" in busy.json()["detail"]
    assert "try again" in busy.json()["detail"]
    assert busy.headers["Retry-After"] == "2"
    with sessions() as session:
        assert session.scalars(select(Lead)).all() == []

    again = client.post("/console/callbacks", data=form, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 200, again.text
    assert "Callback to +15551230001 due" in again.text
    with sessions() as session:
        assert len(session.scalars(select(Lead)).all()) == 1


def test_a_callback_scheduled_during_another_write_waits_its_turn_and_is_saved(
    client: TestClient, staff: Staff, ann: int, database_url: str, sessions: sessionmaker[Session]
) -> None:
    """The first write of the request (a SAVEPOINT's) waits for the other writer to finish
    instead of failing at once ("database is locked" the moment two writers met)."""
    csrf = sign_in_as(client, staff, "agent1")
    due = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = {"number": "+15551230001", "customer_id": str(ann), "due_at": due + "Z"}
    answers: list[Response] = []
    answered = threading.Event()

    def schedule() -> None:
        answers.append(client.post("/console/callbacks", data=form, headers={"X-CSRF-Token": csrf}))
        answered.set()

    with writer_holding_the_lock(database_url):
        request = threading.Thread(target=schedule)
        request.start()
        assert not answered.wait(1.0)  # waiting for its turn, not refused
    request.join()
    assert answers[0].status_code == 200, answers[0].text
    with sessions() as session:
        assert len(session.scalars(select(Lead)).all()) == 1


def test_the_api_answers_a_busy_database_with_503_too(
    client: TestClient, staff: Staff, database_url: str, sessions: sessionmaker[Session]
) -> None:
    token = {"Authorization": f"Bearer {staff.tokens['agent1']}"}
    with writer_holding_the_lock(database_url):
        busy = client.post("/api/customers", json={"name": "Busy Ltd"}, headers=token)
    assert busy.status_code == 503, busy.text
    assert busy.json()["errors"] == []
    with sessions() as session:
        assert session.scalars(select(Customer).where(Customer.name == "Busy Ltd")).all() == []
    assert client.post("/api/customers", json={"name": "Busy Ltd"}, headers=token).is_success


def test_only_a_busy_database_is_taken_for_one() -> None:
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_busy(locked)

    class Deadlock(Exception):
        sqlstate = "40P01"

    assert is_busy(OperationalError("UPDATE", {}, Deadlock("deadlock detected")))
    disk = OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error"))
    assert not is_busy(disk)
    duplicate = IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not is_busy(duplicate)
