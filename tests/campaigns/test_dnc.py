"""Do-not-call: global and campaign lists and customers' flags, checked at dial time."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import (
    DialBlocked,
    add_number,
    blocked_reason,
    ensure_dialable,
    import_numbers,
    list_numbers,
    remove_number,
)
from crm.exceptions import InvalidInput, NotFound
from tests.campaigns.conftest import add_campaign, add_list
from tests.crm.conftest import add_customer

NUMBER = "+12125550100"


def test_a_number_added_after_import_is_refused_at_dial_time(session: Session) -> None:
    campaign = add_campaign(session, add_list(session))
    ensure_dialable(session, NUMBER, campaign.id, None)  # nothing forbids it yet
    add_number(session, "(212) 555-0100", "US", reason="asked on the phone")
    with pytest.raises(DialBlocked) as caught:
        ensure_dialable(session, NUMBER, campaign.id, None)
    assert str(caught.value) == f"{NUMBER} may not be dialled: it is on the global do-not-call list"


def test_a_campaign_list_blocks_only_its_campaign(session: Session) -> None:
    call_list = add_list(session)
    spring = add_campaign(session, call_list, name="spring")
    autumn = add_campaign(session, call_list, name="autumn")
    entry, added = add_number(session, NUMBER, "US", campaign_id=spring.id)
    assert added and entry.campaign_id == spring.id
    assert blocked_reason(session, NUMBER, spring.id, None) == (
        "it is on this campaign's do-not-call list"
    )
    assert blocked_reason(session, NUMBER, autumn.id, None) is None
    assert blocked_reason(session, NUMBER, None, None) is None
    _, again = add_number(session, NUMBER, "US", campaign_id=spring.id)
    assert not again


def test_the_customers_flag_blocks_their_numbers_lead_or_not(session: Session) -> None:
    campaign = add_campaign(session, add_list(session))
    customer = add_customer(session, "Quiet Ltd", "212 555 0100", contacts={"Bo": ["212 555 0101"]})
    assert blocked_reason(session, NUMBER, campaign.id, customer.id) is None
    customer.do_not_call = True
    session.flush()
    assert blocked_reason(session, NUMBER, campaign.id, customer.id) == (
        "customer Quiet Ltd asked not to be called"
    )
    # A lead that does not name the customer, on the contact's number too.
    for number in (NUMBER, "+12125550101"):
        assert blocked_reason(session, number, campaign.id, None) == (
            "the number belongs to customer Quiet Ltd, who asked not to be called"
        )
    with pytest.raises(DialBlocked):
        ensure_dialable(session, "+12125550101", campaign.id, None)


def test_remove_list_and_refuse(session: Session) -> None:
    add_number(session, NUMBER, "US")
    add_number(session, "+4930123456", "US")
    rows, total = list_numbers(session)
    assert total == 2 and {r.number for r in rows} == {NUMBER, "+4930123456"}
    remove_number(session, NUMBER, "US", campaign_id=None)
    assert blocked_reason(session, NUMBER, None, None) is None
    with pytest.raises(NotFound, match="not found"):
        remove_number(session, NUMBER, "US", campaign_id=None)
    with pytest.raises(InvalidInput, match="wrong length"):
        add_number(session, "12", "US")
    with pytest.raises(NotFound, match="campaign 999"):
        add_number(session, NUMBER, "US", campaign_id=999)


def test_import_reports_each_bad_line(session: Session) -> None:
    text = "number,reason\n212 555 0100,asked\n12,\n+4930123456,\n212-555-0100,twice\n"
    report = import_numbers(session, text, "US", added_by="root")
    assert (report.added, report.already) == (2, 1)
    assert report.errors == [(3, "number: '12' has the wrong length for a phone number")]
    plain = import_numbers(session, "+4940123456\n+4940123457\n", "US")
    assert (plain.added, plain.errors) == (2, [])
