"""CRM fixtures: a session on a migrated database, and row factories."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from crm.customers.models import Customer
from crm.customers.schemas import ContactCreate, CustomerCreate, PhoneIn
from crm.customers.service import create_customer

MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session, session.begin():
        yield session


def add_customer(
    session: Session,
    name: str,
    *numbers: str,
    region: str = "US",
    contacts: dict[str, list[str]] | None = None,
    **fields: object,
) -> Customer:
    """A customer with `numbers` and, optionally, contacts with their own numbers."""
    data = CustomerCreate.model_validate(
        {
            "name": name,
            "phones": [PhoneIn(number=n) for n in numbers],
            "contacts": [
                ContactCreate(name=contact, phones=[PhoneIn(number=n) for n in phones])
                for contact, phones in (contacts or {}).items()
            ],
            **fields,
        }
    )
    return create_customer(session, data, region)
