"""Phone numbers are stored in E.164 and found however the PBX presents them."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from crm.exceptions import InvalidInput
from crm.lookup.service import lookup
from crm.phones import candidates, normalize
from tests.crm.conftest import add_customer

# stored as typed (in the CRM's region) | region of the PBX | presented by the PBX
SAME_NUMBER = [
    # United States: 10 digits, trunk prefix 1, international prefix 011
    ("(555) 123-0001", "US", "US", "15551230001"),
    ("(555) 123-0001", "US", "US", "5551230001"),
    ("(555) 123-0001", "US", "US", "+1 555 123 0001"),
    ("(555) 123-0001", "US", "US", "+1-555-123-0001"),
    ("(555) 123-0001", "US", "US", "0015551230001"),
    ("(555) 123-0001", "US", "US", "01115551230001"),
    ("(555) 123-0001", "US", "US", "555.123.0001"),
    ("(555) 123-0001", "US", "US", "tel:+15551230001"),
    ("(555) 123-0001", "US", "DE", "0015551230001"),
    ("(555) 123-0001", "US", "DE", "+15551230001"),
    ("(555) 123-0001", "US", "DE", "15551230001"),
    # Germany: trunk prefix 0, international 00
    ("030 1234567", "DE", "DE", "030 1234567"),
    ("030 1234567", "DE", "DE", "0301234567"),
    ("030 1234567", "DE", "DE", "301234567"),
    ("030 1234567", "DE", "DE", "+49 30 1234567"),
    ("030 1234567", "DE", "DE", "0049301234567"),
    ("030 1234567", "DE", "DE", "49301234567"),
    ("030 1234567", "DE", "DE", "030-123 45 67"),
    ("030 1234567", "DE", "DE", "+49 (0)30 1234567"),
    ("030 1234567", "DE", "US", "01149301234567"),
    ("030 1234567", "DE", "GB", "0049301234567"),
    # United Kingdom
    ("020 7946 0958", "GB", "GB", "02079460958"),
    ("020 7946 0958", "GB", "GB", "2079460958"),
    ("020 7946 0958", "GB", "GB", "+44 20 7946 0958"),
    ("020 7946 0958", "GB", "GB", "00442079460958"),
    ("020 7946 0958", "GB", "GB", "442079460958"),
    ("020 7946 0958", "GB", "GB", "+44 (0) 20 7946 0958"),
    ("020 7946 0958", "GB", "FR", "00442079460958"),
    # France
    ("01 23 45 67 89", "FR", "FR", "0123456789"),
    ("01 23 45 67 89", "FR", "FR", "123456789"),
    ("01 23 45 67 89", "FR", "FR", "+33 1 23 45 67 89"),
    ("01 23 45 67 89", "FR", "FR", "0033123456789"),
    ("01 23 45 67 89", "FR", "FR", "33123456789"),
    ("01 23 45 67 89", "FR", "DE", "0033123456789"),
    # Mobile numbers
    ("0151 23456789", "DE", "DE", "015123456789"),
    ("0151 23456789", "DE", "DE", "+4915123456789"),
    ("07700 900123", "GB", "GB", "07700900123"),
    ("07700 900123", "GB", "GB", "447700900123"),
    ("06 12 34 56 78", "FR", "FR", "0612345678"),
    # Italy keeps its leading zero after the country code
    ("06 1234 5678", "IT", "IT", "0612345678"),
    ("06 1234 5678", "IT", "IT", "+39 06 1234 5678"),
    ("06 1234 5678", "IT", "IT", "00390612345678"),
]


@pytest.mark.parametrize(("stored", "home", "pbx_region", "presented"), SAME_NUMBER)
def test_presented_number_finds_the_stored_one(
    session: Session, stored: str, home: str, pbx_region: str, presented: str
) -> None:
    customer = add_customer(session, "Caller", stored, region=home)
    card = lookup(session, presented, pbx_region)
    assert [m.customer.id for m in card.matches] == [customer.id]


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("(555) 123-0001", "US", "+15551230001"),
        ("030 1234567", "DE", "+49301234567"),
        ("+49 30 1234567", "US", "+49301234567"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("06 1234 5678", "IT", "+390612345678"),
    ],
)
def test_numbers_are_stored_in_e164(typed: str, region: str, e164: str) -> None:
    assert normalize(typed, region) == e164


@pytest.mark.parametrize("typed", ["", "   ", "12", "abc", "+", "00", "123456789012345678901"])
def test_what_cannot_be_a_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        normalize(typed, "US")


@pytest.mark.parametrize(
    "presented", ["", "101", "1001", "anonymous", "Unknown", "<unknown>", "s", "+", "*99#", "0"]
)
def test_extensions_and_withheld_numbers_have_no_reading(presented: str) -> None:
    assert candidates(presented, "US") == []


def test_unknown_number_answers_no_match(session: Session) -> None:
    add_customer(session, "Somebody", "(555) 123-0001")
    card = lookup(session, "+1 555 999 0000", "US")
    assert card.matches == []
    assert card.candidates == ["+15559990000"]


def test_a_number_shared_by_two_customers_shows_both(session: Session) -> None:
    first = add_customer(session, "Alpha Ltd", "+44 20 7946 0958")
    second = add_customer(session, "Beta Ltd", "020 7946 0958", region="GB")
    card = lookup(session, "02079460958", "GB")
    assert [m.customer.id for m in card.matches] == [first.id, second.id]


def test_a_contact_number_shows_its_customer_and_the_contact(session: Session) -> None:
    customer = add_customer(session, "Acme", contacts={"Ann": ["+49 30 1234567"]})
    card = lookup(session, "0301234567", "DE")
    (match,) = card.matches
    assert match.customer.id == customer.id
    assert [c.name for c in match.contacts] == ["Ann"]


def test_ambiguous_digits_show_every_reading_that_matches(session: Session) -> None:
    # "4930123456" from a German PBX is either +49 30 123456 or the national 04930 123456.
    berlin = add_customer(session, "Berlin GmbH", "+49 30 123456")
    lower_saxony = add_customer(session, "Niedersachsen AG", "+49 4930 123456")
    card = lookup(session, "4930123456", "DE")
    assert {m.customer.id for m in card.matches} == {berlin.id, lower_saxony.id}


def test_a_number_presented_again_reads_the_same_whatever_the_caller_did_with_the_list() -> None:
    first = candidates("030 1234567", "DE")
    first.append("+10000000000")  # a caller's own list: the next pop's readings stay whole
    assert candidates("030 1234567", "DE") == ["+49301234567"]
    assert candidates("030 1234567", "AT") != candidates("030 1234567", "DE")  # per region
