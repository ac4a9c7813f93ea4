"""The callback campaign: where every callback the center owes lands, as a lead of its list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from callcenter.campaigns.enums import CampaignKind, CampaignMode, CampaignState, ListSource
from callcenter.campaigns.models import CallList, Campaign

if TYPE_CHECKING:
    from callcenter.settings import Settings

# The names the list and campaign get when the first callback creates them.
CALLBACK_CAMPAIGN_NAME = "Callbacks"


@dataclass(frozen=True)
class CallbackRules:
    """The settings callbacks follow: how numbers are read, when one is due, where it lands."""

    region: str
    due_minutes: int
    queue: str
    site_zone: str

    @classmethod
    def of(cls, settings: Settings) -> CallbackRules:
        """The rules of a deployment."""
        return cls(
            region=settings.default_region,
            due_minutes=settings.callback_due_minutes,
            queue=settings.callback_queue or settings.default_queue,
            site_zone=settings.time_zone,
        )


def callback_campaign(session: Session, queue: str) -> Campaign:
    """The callback campaign, created (preview mode, as a draft, on `queue`) with its list by
    the first callback; two writers creating it at once end up with the same one."""
    found = _existing(session)
    if found is not None:
        return found
    try:
        with session.begin_nested():
            call_list = session.scalar(
                select(CallList).where(CallList.source == str(ListSource.CALLBACKS)).limit(1)
            )
            if call_list is None:
                call_list = CallList(
                    name=_free_name(session, CallList.name), source=str(ListSource.CALLBACKS)
                )
                session.add(call_list)
                session.flush()
            campaign = Campaign(
                name=_free_name(session, Campaign.name),
                list_id=call_list.id,
                kind=str(CampaignKind.CALLBACK),
                mode=str(CampaignMode.PREVIEW),
                state=str(CampaignState.DRAFT),
                queue=queue,
            )
            session.add(campaign)
            session.flush()
            return campaign
    except IntegrityError:
        found = _existing(session)
        if found is None:
            raise
        return found


def callback_list_id(session: Session, queue: str) -> int:
    """The id of the list callbacks are leads of (created with the campaign when missing)."""
    return callback_campaign(session, queue).list_id


def callback_campaign_id(session: Session) -> int | None:
    """The callback campaign's id, None before the first callback created it."""
    found = _existing(session)
    return None if found is None else found.id


def existing_callback_list_id(session: Session) -> int | None:
    """The callback list's id, None before the first callback created it."""
    found = _existing(session)
    return None if found is None else found.list_id


def _free_name(session: Session, column: InstrumentedAttribute[str]) -> str:
    """ "Callbacks", or "Callbacks 2"... when someone already gave that name to another list
    or campaign."""
    taken = set(session.scalars(select(column).where(column.like(f"{CALLBACK_CAMPAIGN_NAME}%"))))
    name, number = CALLBACK_CAMPAIGN_NAME, 1
    while name in taken:
        number += 1
        name = f"{CALLBACK_CAMPAIGN_NAME} {number}"
    return name


def _existing(session: Session) -> Campaign | None:
    return session.scalar(
        select(Campaign)
        .where(Campaign.kind == str(CampaignKind.CALLBACK))
        .order_by(Campaign.id)
        .limit(1)
    )
