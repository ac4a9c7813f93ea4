"""One search over customers (name, code, e-mail, numbers) and KB articles."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from crm.customers.schemas import CustomerUpdate
from crm.customers.service import delete_customer, search_customers, update_customer
from crm.kb.schemas import KBArticleIn, KBArticleUpdate
from crm.kb.service import create_article, delete_article, search_kb, update_article
from crm.search import words
from tests.crm.conftest import add_customer


@pytest.fixture
def directory(session: Session) -> dict[str, int]:
    customers = {
        "acme": add_customer(
            session, "Acme Rockets", "+1 555 123 0001", code="ACME-01", email="info@acme.test"
        ),
        "bolt": add_customer(
            session,
            "Bolt & Nut GmbH",
            "030 1234567",
            region="DE",
            contacts={"Jürgen Müller": ["+49 151 23456789"]},
        ),
        "cafe": add_customer(session, "Café Crème", code="CAFE"),
    }
    return {key: c.id for key, c in customers.items()}


def ids(session: Session, query: str, region: str = "US") -> list[int]:
    return [c.id for c in search_customers(session, query, region)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("acme", ["acme"]),
        ("ACM", ["acme"]),  # prefix, any case
        ("rockets acme", ["acme"]),  # every word, any order
        ("ACME-01", ["acme"]),  # code
        ("info@acme.test", ["acme"]),  # e-mail
        ("bolt nut", ["bolt"]),
        ("muller", ["bolt"]),  # a contact's name, accents folded
        ("cafe creme", ["cafe"]),
        ("15551230001", ["acme"]),  # a number as digits
        ("+1 (555) 123-0001", ["acme"]),  # a number as typed
        ("0151 23456789", ["bolt"]),  # a contact's number
        ("zebra", []),
        ('"; DROP TABLE crm_customers; --', []),  # never reaches the SQL or FTS syntax
        ("NOT OR AND NEAR", []),  # FTS5 operators are plain words
        ("*", []),
    ],
)
def test_customer_search(
    session: Session, directory: dict[str, int], query: str, expected: list[str]
) -> None:
    region = "DE" if query.startswith("0151") else "US"
    assert ids(session, query, region) == [directory[key] for key in expected]


def test_search_follows_renames_and_deletes(session: Session, directory: dict[str, int]) -> None:
    update_customer(session, directory["acme"], CustomerUpdate(name="Zenith Aerospace"))
    assert ids(session, "zenith") == [directory["acme"]]
    assert ids(session, "rockets") == []
    delete_customer(session, directory["acme"])
    assert ids(session, "zenith") == []


def test_best_match_first(session: Session) -> None:
    in_name = add_customer(session, "Printer Services")
    in_notes_only = add_customer(session, "Office Supplies", email="printer@office.test")
    assert ids(session, "printer") == [in_name.id, in_notes_only.id]


def test_kb_search(session: Session) -> None:
    reset = create_article(
        session,
        KBArticleIn(
            title="Password reset",
            problem="The customer forgot the password of the portal",
            solution="Send the reset link from the admin page",
            tags=["account", "portal"],
        ),
    )
    create_article(
        session,
        KBArticleIn(title="Router reboot", problem="No internet", solution="Unplug for 30 s"),
    )
    assert [a.id for a in search_kb(session, "forgot portal")] == [reset.id]
    assert [a.id for a in search_kb(session, "account")] == [reset.id]
    update_article(session, reset.id, KBArticleUpdate(title="Login help"))
    assert [a.id for a in search_kb(session, "login")] == [reset.id]
    delete_article(session, reset.id)
    assert search_kb(session, "forgot") == []


def test_words_are_capped_and_cleaned() -> None:
    assert words("a-b 'c' d:e f g h i j k") == ["a", "b", "c", "d", "e", "f", "g", "h"]
