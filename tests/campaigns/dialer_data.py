"""Campaigns, leads and agents stored for the dialer's tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from callcenter.campaigns.models import CallList, Campaign, Lead
from callcenter.users.models import User

# A Wednesday, 13:00 in Berlin: inside the default calling hours.
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def campaign(sessions: sessionmaker[Session], leads: int, **fields: Any) -> int:
    """A running campaign on a new list of `leads` leads (+4930100000, +4930100001...)."""
    with sessions() as session:
        call_list = CallList(name=f"list {fields.get('name', 'c')}", source="csv")
        session.add(call_list)
        session.flush()
        values: dict[str, Any] = {
            "name": "c",
            "mode": "progressive",
            "state": "running",
            "queue": "sales",
            "agents": ["ann", "bob", "cid"],
            "retry_gaps_min": {"busy": 10, "no_answer": 60},
            **fields,
        }
        row = Campaign(list_id=call_list.id, **values)
        session.add(row)
        for n in range(leads):
            session.add(
                Lead(
                    list_id=call_list.id,
                    number=f"+49301{n:05d}",
                    time_zone="Europe/Berlin",
                    origin="csv",
                )
            )
        session.commit()
        return row.id


def agents(sessions: sessionmaker[Session], *names: str) -> None:
    """Users with phones PJSIP/<name>."""
    with sessions() as session:
        for name in names:
            session.add(
                User(
                    username=name,
                    display_name=name.title(),
                    role="agent",
                    password_hash="x",
                    interface=f"PJSIP/{name}",
                    member_name=name,
                )
            )
        session.commit()
