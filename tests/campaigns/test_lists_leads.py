"""One lead at a time: number, customer and zone found, blocked when nobody may call it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from callcenter.campaigns.dnc import add_number
from callcenter.campaigns.enums import LeadOrigin
from callcenter.campaigns.leads import cancel_lead, create_lead
from crm.exceptions import Conflict, InvalidInput
from tests.campaigns.conftest import add_campaign, add_list
from tests.crm.conftest import add_customer


def test_a_lead_finds_its_customer_and_zone(session: Session) -> None:
    customer = add_customer(session, "Acme", "030 1234567", region="DE", country="DE")
    lead = create_lead(
        session, add_list(session), "+49 30 1234567", region="US", site_zone="UTC",
        origin=LeadOrigin.WEB,
    )  # fmt: skip
    assert (lead.number, lead.customer_id, lead.name) == ("+49301234567", customer.id, "Acme")
    assert (lead.time_zone, lead.state, lead.origin) == ("Europe/Berlin", "open", "web")


def test_a_lead_on_a_campaigns_dnc_list_is_blocked(session: Session) -> None:
    call_list = add_list(session)
    campaign = add_campaign(session, call_list)
    add_number(session, "212 555 0100", "US", campaign_id=campaign.id)
    lead = create_lead(
        session, call_list, "212 555 0100", region="US", site_zone="UTC", origin=LeadOrigin.API
    )
    assert lead.state == "blocked"
    with pytest.raises(InvalidInput, match="number: '12' has the wrong length"):
        create_lead(session, call_list, "12", region="US", site_zone="UTC", origin=LeadOrigin.API)
    assert cancel_lead(session, lead.id, "root").state == "cancelled"
    lead.state = "dialing"
    with pytest.raises(Conflict, match="wait until its call has ended"):
        cancel_lead(session, lead.id, "root")
