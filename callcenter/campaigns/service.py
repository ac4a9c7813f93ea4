"""Campaigns: create, edit (as a draft or paused), start, pause, stop, and their progress.
Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.campaigns.dispositions import DEFAULT_DISPOSITIONS, check_dispositions
from callcenter.campaigns.enums import CampaignState
from callcenter.campaigns.lists import lead_counts
from callcenter.campaigns.models import CallList, Campaign
from callcenter.campaigns.schemas import CampaignCreate, CampaignUpdate
from callcenter.db import utc_now
from callcenter.queues.models import PbxQueue
from callcenter.users.models import Team, User
from crm.exceptions import Conflict, InvalidInput, NotFound

EDITABLE = (CampaignState.DRAFT, CampaignState.PAUSED)


@dataclass(frozen=True, slots=True)
class Progress:
    """A campaign's list as the supervisor reads it."""

    leads: int
    by_state: dict[str, int]
    tried: int

    @property
    def penetration(self) -> float:
        """Leads tried at least once, as a share of all leads (0 for an empty list)."""
        return self.tried / self.leads if self.leads else 0.0


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """One campaign; NotFound."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound("campaign", campaign_id)
    return campaign


def campaign_by_name(session: Session, name: str) -> Campaign | None:
    """The campaign of that name, or None."""
    return session.scalar(select(Campaign).where(Campaign.name == name))


def list_campaigns(session: Session, state: str | None = None) -> list[Campaign]:
    """Campaigns by name, of one state when given."""
    query = select(Campaign).order_by(Campaign.name)
    if state is not None:
        query = query.where(Campaign.state == state)
    return list(session.scalars(query))


def progress(session: Session, campaign: Campaign) -> Progress:
    """Leads of the campaign's list by state, and how many were tried."""
    by_state, tried = lead_counts(session, campaign.list_id)
    return Progress(leads=sum(by_state.values()), by_state=by_state, tried=tried)


def create_campaign(session: Session, data: CampaignCreate) -> Campaign:
    """A new draft campaign; Conflict for a taken name, InvalidInput for an unknown list."""
    fields = data.model_dump()
    _check_list(session, fields["list_id"])
    _check_name(session, fields["name"], None)
    given = fields.pop("dispositions")
    fields["dispositions"] = check_dispositions(
        given if given is not None else list(DEFAULT_DISPOSITIONS)
    )
    fields["kind"] = str(fields["kind"])
    fields["mode"] = str(fields["mode"])
    campaign = Campaign(**fields, state=CampaignState.DRAFT)
    session.add(campaign)
    session.flush()
    return campaign


def update_campaign(session: Session, campaign_id: int, data: CampaignUpdate) -> Campaign:
    """Change a draft or paused campaign; Conflict while it runs or once it has stopped."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state not in EDITABLE:
        hint = (
            "pause it before editing"
            if campaign.state == CampaignState.RUNNING
            else "a stopped campaign is kept as it ran"
        )
        raise Conflict(f"campaign {campaign.name!r} is {campaign.state}: {hint}")
    changes: dict[str, Any] = data.changes()
    if "name" in changes:
        _check_name(session, changes["name"], campaign.id)
    if "list_id" in changes:
        _check_list(session, changes["list_id"])
    if "dispositions" in changes:
        changes["dispositions"] = check_dispositions(changes["dispositions"])
    start = changes.get("hours_start_min", campaign.hours_start_min)
    end = changes.get("hours_end_min", campaign.hours_end_min)
    if start >= end:
        field = "hours_start_min" if "hours_start_min" in changes else "hours_end_min"
        raise InvalidInput(field, "hours_start_min must be before hours_end_min")
    for name, value in changes.items():
        setattr(campaign, name, str(value) if name in ("kind", "mode") else value)
    campaign.updated_at = utc_now()
    session.flush()
    return campaign


def delete_campaign(session: Session, campaign_id: int) -> None:
    """Remove a draft; a campaign that ran is stopped instead (its attempts feed reports)."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state != CampaignState.DRAFT:
        raise Conflict(
            f"campaign {campaign.name!r} has run ({campaign.state}): stop it instead;"
            " its attempts are kept for the reports"
        )
    session.delete(campaign)
    session.flush()


def start_campaign(session: Session, campaign_id: int, now: datetime | None = None) -> Campaign:
    """Start a draft or go on with a paused campaign: the dialer works it from now on."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state == CampaignState.RUNNING:
        raise Conflict(f"campaign {campaign.name!r} is running already")
    if campaign.state == CampaignState.STOPPED:
        raise Conflict(
            f"campaign {campaign.name!r} was stopped and does not start again:"
            " create a new campaign on its list"
        )
    if not campaign.agents and not campaign.teams:
        raise InvalidInput("agents", "name the agents or teams who work the campaign first")
    _check_queue(session, campaign.queue)
    _check_staff(session, campaign.agents or [], campaign.teams or [])
    other = session.scalar(
        select(Campaign.name).where(
            Campaign.list_id == campaign.list_id,
            Campaign.state == CampaignState.RUNNING,
            Campaign.id != campaign.id,
        )
    )
    if other is not None:
        raise Conflict(f"campaign {other!r} is working the same list: pause it first")
    campaign.state = CampaignState.RUNNING
    if campaign.started_at is None:
        campaign.started_at = now or utc_now()
    session.flush()
    return campaign


def _check_queue(session: Session, queue: str) -> None:
    """The campaign's queue must be one the PBX listed (a campaign on a queue no PBX has would
    dial nobody's calls); before any PBX has listed its queues, any name goes."""
    known = sorted(set(session.scalars(select(PbxQueue.queue))))
    if known and queue not in known:
        raise InvalidInput(
            "queue", f"the PBX has no queue {queue!r}: its queues are {', '.join(known)}"
        )


def _check_staff(session: Session, agents: list[str], teams: list[str]) -> None:
    """Every agent and team a campaign names must exist: a misspelt name would leave the
    campaign running with nobody to work it."""
    known = set(session.scalars(select(User.username).where(User.username.in_(agents))))
    if missing := [name for name in agents if name not in known]:
        raise InvalidInput("agents", f"no user is called {', '.join(map(repr, missing))}")
    known = set(session.scalars(select(Team.name).where(Team.name.in_(teams))))
    if missing := [name for name in teams if name not in known]:
        raise InvalidInput("teams", f"no team is called {', '.join(map(repr, missing))}")


def pause_campaign(session: Session, campaign_id: int) -> Campaign:
    """Pause a running campaign: no new dials; calls under way end as they would."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state != CampaignState.RUNNING:
        raise Conflict(f"campaign {campaign.name!r} is {campaign.state}, not running")
    campaign.state = CampaignState.PAUSED
    session.flush()
    return campaign


def stop_campaign(session: Session, campaign_id: int, now: datetime | None = None) -> Campaign:
    """Stop a running or paused campaign for good."""
    campaign = get_campaign(session, campaign_id)
    if campaign.state == CampaignState.STOPPED:
        raise Conflict(f"campaign {campaign.name!r} is stopped already")
    if campaign.state == CampaignState.DRAFT:
        raise Conflict(f"campaign {campaign.name!r} never started: delete the draft instead")
    campaign.state = CampaignState.STOPPED
    campaign.stopped_at = now or utc_now()
    session.flush()
    return campaign


def _check_name(session: Session, name: str, own_id: int | None) -> None:
    found = campaign_by_name(session, name)
    if found is not None and found.id != own_id:
        raise Conflict(f"a campaign named {name!r} exists already")


def _check_list(session: Session, list_id: int) -> CallList:
    call_list = session.get(CallList, list_id)
    if call_list is None:
        raise InvalidInput("list_id", f"no call list {list_id}")
    return call_list
