"""Campaign state rules: start, pause, stop, edit only as a draft or paused; validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.leads import list_leads
from callcenter.campaigns.models import CallList
from callcenter.campaigns.schemas import CampaignCreate, CampaignUpdate
from callcenter.campaigns.service import (
    create_campaign,
    delete_campaign,
    get_campaign,
    pause_campaign,
    progress,
    start_campaign,
    stop_campaign,
    update_campaign,
)
from callcenter.db import utc_now
from callcenter.queues.models import PbxQueue
from callcenter.users.models import Team, User
from crm.exceptions import Conflict, InvalidInput
from tests.campaigns.conftest import add_lead, add_list


def agent(session: Session, username: str) -> None:
    """A user `username` (an agent), once."""
    if session.scalar(select(User.id).where(User.username == username)) is None:
        session.add(User(username=username, display_name=username, role="agent", password_hash="x"))
        session.flush()


def new(session: Session, **fields: object) -> int:
    call_list = add_list(session, str(fields.pop("list_name", "spring")))
    for username in ("alice", "bob"):
        agent(session, username)
    data = CampaignCreate.model_validate(
        {
            "name": "Renewals",
            "list_id": call_list.id,
            "mode": "predictive",
            "queue": "sales",
            "agents": ["alice"],
            **fields,
        }
    )
    return create_campaign(session, data).id


def test_the_life_of_a_campaign(session: Session) -> None:
    campaign_id = new(session)
    rename = CampaignUpdate(name="Renewals 2026")
    assert update_campaign(session, campaign_id, rename).name == "Renewals 2026"
    campaign = start_campaign(session, campaign_id)
    assert campaign.state == "running" and campaign.started_at is not None
    assert campaign.dispositions[0] == {
        "code": "sale",
        "label": "Sale",
        "final": True,
        "success": True,
    }
    with pytest.raises(Conflict, match="is running: pause it before editing"):
        update_campaign(session, campaign_id, CampaignUpdate(max_attempts=3))
    with pytest.raises(Conflict, match="running already"):
        start_campaign(session, campaign_id)
    pause_campaign(session, campaign_id)
    assert update_campaign(session, campaign_id, CampaignUpdate(max_attempts=3)).max_attempts == 3
    with pytest.raises(Conflict, match="is paused, not running"):
        pause_campaign(session, campaign_id)
    start_campaign(session, campaign_id)
    stop_campaign(session, campaign_id)
    for change in (
        lambda: start_campaign(session, campaign_id),
        lambda: update_campaign(session, campaign_id, CampaignUpdate(script="Hi")),
        lambda: stop_campaign(session, campaign_id),
        lambda: delete_campaign(session, campaign_id),
    ):
        with pytest.raises(Conflict):
            change()


def test_a_draft_is_deleted_not_stopped_and_needs_agents_to_start(session: Session) -> None:
    campaign_id = new(session, agents=[])
    with pytest.raises(Conflict, match="never started: delete the draft instead"):
        stop_campaign(session, campaign_id)
    with pytest.raises(InvalidInput, match="agents or teams"):
        start_campaign(session, campaign_id)
    delete_campaign(session, campaign_id)


def test_a_campaign_starts_only_on_a_queue_the_pbx_has(session: Session) -> None:
    campaign_id = new(session, queue="renewal")  # a typo for the PBX's "renewals"
    start_campaign(session, campaign_id)  # no PBX has listed its queues yet: not known
    pause_campaign(session, campaign_id)
    for queue in ("support", "renewals"):
        session.add(PbxQueue(server="pbx-a", queue=queue, seen_at=utc_now()))
    session.flush()
    with pytest.raises(InvalidInput, match="the PBX has no queue 'renewal': its queues are "):
        start_campaign(session, campaign_id)
    assert get_campaign(session, campaign_id).state == "paused"
    update_campaign(session, campaign_id, CampaignUpdate(queue="renewals"))
    assert start_campaign(session, campaign_id).state == "running"


def test_a_campaign_starts_only_with_agents_and_teams_that_exist(session: Session) -> None:
    campaign_id = new(session, agents=["alice", "alcie"], teams=["blue"])
    with pytest.raises(InvalidInput, match="no user is called 'alcie'"):
        start_campaign(session, campaign_id)
    update_campaign(session, campaign_id, CampaignUpdate(agents=["alice"]))
    with pytest.raises(InvalidInput, match="no team is called 'blue'"):
        start_campaign(session, campaign_id)
    session.add(Team(name="blue"))
    session.flush()
    assert start_campaign(session, campaign_id).state == "running"


def test_one_running_campaign_per_list_and_unique_names(session: Session) -> None:
    first = start_campaign(session, new(session))
    data = CampaignCreate(
        name="Second", list_id=first.list_id, mode="preview", queue="sales", agents=["bob"]
    )
    second = create_campaign(session, data)
    with pytest.raises(Conflict, match="campaign 'Renewals' is working the same list"):
        start_campaign(session, second.id)
    with pytest.raises(Conflict, match="a campaign named 'Renewals' exists already"):
        new(session, list_name="other")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"abandon_cap": 0.05}, "at most 0.03"),
        ({"abandon_cap": 0.0}, "above 0"),
        ({"hours_start_min": 600, "hours_end_min": 540}, "before hours_end_min"),
        ({"weekdays": []}, "at least one ISO weekday"),
        ({"weekdays": [0]}, "greater than or equal to 1"),
        ({"retry_gaps_min": {"bored": 5}}, "unknown outcome(s) bored"),
        ({"queue": "bad queue"}, "should match pattern"),
        ({"max_attempts": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_settings_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CampaignCreate.model_validate(
            {"name": "x", "list_id": 1, "mode": "preview", "queue": "sales", **fields}
        )


def test_an_edit_keeps_the_hours_in_order(session: Session) -> None:
    campaign_id = new(session)
    with pytest.raises(InvalidInput, match="before hours_end_min"):
        update_campaign(session, campaign_id, CampaignUpdate(hours_start_min=21 * 60))


def test_progress_and_leads(session: Session) -> None:
    campaign_id = new(session)
    campaign = start_campaign(session, campaign_id)
    call_list = session.get(CallList, campaign.list_id)
    assert call_list is not None
    add_lead(session, call_list, "+12125550100", name="Ann Lee", attempts=2)
    add_lead(session, call_list, "+12125550101", state="exhausted", attempts=5)
    add_lead(session, call_list, "+12125550102")
    add_lead(session, call_list, "+12125550103")
    seen = progress(session, campaign)
    assert (seen.leads, seen.tried, seen.penetration) == (4, 2, 0.5)
    assert seen.by_state == {"open": 3, "exhausted": 1}
    rows, total = list_leads(session, call_list.id, search="ann")
    assert total == 1 and rows[0].number == "+12125550100"
    rows, total = list_leads(session, call_list.id, search="555-0102")
    assert [r.number for r in rows] == ["+12125550102"]
    rows, total = list_leads(session, call_list.id, state="exhausted")
    assert total == 1
