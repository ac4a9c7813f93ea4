"""HTTP routes of outbound work: /api/campaigns, /api/call-lists, /api/dnc. Everyone signed
in reads; supervisors and admins change campaigns, lists and do-not-call lists; only admins
delete a campaign or take a number off the global do-not-call list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from callcenter.campaigns import dnc, leads, lists, service
from callcenter.campaigns.enums import CampaignState, LeadOrigin, LeadState, ListSource
from callcenter.campaigns.lists import ListBuild, ListImport
from callcenter.campaigns.models import CallList, Campaign
from callcenter.campaigns.schemas import (
    BuildOut,
    CallListOut,
    CampaignCreate,
    CampaignOut,
    CampaignSummaryOut,
    CampaignUpdate,
    DncImportOut,
    DncIn,
    DncOut,
    ImportOut,
    LeadIn,
    LeadOut,
    QueryListCreate,
    RowNote,
)
from callcenter.deps import ADMIN_ONLY, SUPERVISOR_OR_ADMIN, ActorDep, SessionDep, SettingsDep
from callcenter.errors import HTTP_ERRORS, ErrorOut
from crm.exceptions import InvalidInput, NotFound
from crm.routing import PagingDep, PathId
from crm.schemas import Page

ERRORS: dict[int | str, dict[str, Any]] = {
    **HTTP_ERRORS,
    403: {"model": ErrorOut, "description": "changes are for supervisors and admins"},
    404: {"model": ErrorOut, "description": "unknown id"},
    409: {"model": ErrorOut, "description": "not in this state (edit while paused), or taken"},
    422: {"model": ErrorOut, "description": "invalid input, per field or per line of a file"},
}
# A call list of a few hundred thousand rows fits; more is split into several imports.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
LeadStateQuery = Annotated[LeadState | None, Query(description="only leads in this state")]
Search = Annotated[str | None, Query(min_length=1, max_length=64, description="number or name")]
NumberPath = Annotated[str, Path(min_length=1, max_length=64, description="the number")]

campaigns = APIRouter(prefix="/campaigns", tags=["campaigns"], responses=ERRORS)
call_lists = APIRouter(prefix="/call-lists", tags=["call lists"], responses=ERRORS)
dnc_lists = APIRouter(prefix="/dnc", tags=["do not call"], responses=ERRORS)
# The app includes this with `api_user`, as the CRM's router.
router = APIRouter(prefix="/api")


def _summary(session: Session, campaign: Campaign) -> CampaignSummaryOut:
    seen = service.progress(session, campaign)
    return CampaignSummaryOut.model_validate(
        {
            **CampaignOut.model_validate(campaign).model_dump(),
            "leads": seen.leads,
            "leads_by_state": seen.by_state,
            "tried": seen.tried,
            "penetration": seen.penetration,
        }
    )


@campaigns.get("", response_model=list[CampaignSummaryOut])
def list_campaigns(
    session: SessionDep, state: Annotated[CampaignState | None, Query()] = None
) -> list[CampaignSummaryOut]:
    """Campaigns by name, with their list's leads by state and penetration."""
    chosen = None if state is None else str(state)
    return [_summary(session, c) for c in service.list_campaigns(session, chosen)]


@campaigns.post(
    "",
    response_model=CampaignOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def create_campaign(session: SessionDep, body: CampaignCreate) -> CampaignOut:
    """A new campaign, a draft until started."""
    return CampaignOut.model_validate(service.create_campaign(session, body))


@campaigns.get("/{campaign_id}", response_model=CampaignSummaryOut)
def get_campaign(session: SessionDep, campaign_id: PathId) -> CampaignSummaryOut:
    """One campaign with its progress."""
    return _summary(session, service.get_campaign(session, campaign_id))


@campaigns.patch("/{campaign_id}", response_model=CampaignOut, dependencies=[SUPERVISOR_OR_ADMIN])
def update_campaign(session: SessionDep, campaign_id: PathId, body: CampaignUpdate) -> CampaignOut:
    """Change a draft or paused campaign (409 while it runs)."""
    return CampaignOut.model_validate(service.update_campaign(session, campaign_id, body))


@campaigns.delete(
    "/{campaign_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[ADMIN_ONLY],
)
def delete_campaign(session: SessionDep, campaign_id: PathId) -> Response:
    """Remove a draft (a campaign that ran is stopped instead)."""
    service.delete_campaign(session, campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@campaigns.post(
    "/{campaign_id}/start", response_model=CampaignOut, dependencies=[SUPERVISOR_OR_ADMIN]
)
def start_campaign(session: SessionDep, campaign_id: PathId) -> CampaignOut:
    """Start a draft, or go on with a paused campaign."""
    return CampaignOut.model_validate(service.start_campaign(session, campaign_id))


@campaigns.post(
    "/{campaign_id}/pause", response_model=CampaignOut, dependencies=[SUPERVISOR_OR_ADMIN]
)
def pause_campaign(session: SessionDep, campaign_id: PathId) -> CampaignOut:
    """Pause a running campaign (it can be edited then)."""
    return CampaignOut.model_validate(service.pause_campaign(session, campaign_id))


@campaigns.post(
    "/{campaign_id}/stop", response_model=CampaignOut, dependencies=[SUPERVISOR_OR_ADMIN]
)
def stop_campaign(session: SessionDep, campaign_id: PathId) -> CampaignOut:
    """Stop a running or paused campaign for good."""
    return CampaignOut.model_validate(service.stop_campaign(session, campaign_id))


@campaigns.get("/{campaign_id}/leads", response_model=Page[LeadOut])
def campaign_leads(
    session: SessionDep,
    campaign_id: PathId,
    page: PagingDep,
    state: LeadStateQuery = None,
    q: Search = None,
) -> Page[LeadOut]:
    """The leads of the campaign's list, of one state or matching a number or name."""
    campaign = service.get_campaign(session, campaign_id)
    return _leads(session, campaign.list_id, page.limit, page.offset, state, q)


def _leads(
    session: Session, list_id: int, limit: int, offset: int, state: LeadState | None, q: str | None
) -> Page[LeadOut]:
    rows, total = leads.list_leads(
        session,
        list_id,
        state=None if state is None else str(state),
        search=q,
        limit=limit,
        offset=offset,
    )
    items = [LeadOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@campaigns.get("/{campaign_id}/dnc", response_model=Page[DncOut])
def campaign_dnc(
    session: SessionDep, campaign_id: PathId, page: PagingDep, number: Search = None
) -> Page[DncOut]:
    """The campaign's own do-not-call list, newest first."""
    service.get_campaign(session, campaign_id)
    return _dnc_page(session, campaign_id, page.limit, page.offset, number)


@campaigns.post(
    "/{campaign_id}/dnc",
    response_model=DncOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def add_campaign_dnc(
    session: SessionDep, settings: SettingsDep, actor: ActorDep, campaign_id: PathId, body: DncIn
) -> DncOut:
    """Put a number on the campaign's do-not-call list (kept as it is when there already)."""
    entry, _ = dnc.add_number(
        session,
        body.number,
        settings.default_region,
        campaign_id=campaign_id,
        reason=body.reason,
        added_by=actor,
    )
    return DncOut.model_validate(entry)


@campaigns.delete(
    "/{campaign_id}/dnc/{number}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def remove_campaign_dnc(
    session: SessionDep, settings: SettingsDep, campaign_id: PathId, number: NumberPath
) -> Response:
    """Take a number off the campaign's do-not-call list."""
    dnc.remove_number(session, number, settings.default_region, campaign_id=campaign_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@campaigns.post(
    "/{campaign_id}/dnc/import",
    response_model=DncImportOut,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
async def import_campaign_dnc(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    campaign_id: PathId,
    file: Annotated[UploadFile, File(description="one number a line, or CSV with `number`")],
) -> Response | DncImportOut:
    """Numbers from a file onto the campaign's list: all of them, or none and 422 per line."""
    return _dnc_import(session, settings.default_region, actor, campaign_id, await _text(file))


def _dnc_page(
    session: Session, campaign_id: int | None, limit: int, offset: int, number: str | None
) -> Page[DncOut]:
    rows, total = dnc.list_numbers(
        session, campaign_id=campaign_id, number=number, limit=limit, offset=offset
    )
    items = [DncOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


def _dnc_import(
    session: Session, region: str, actor: str, campaign_id: int | None, text: str
) -> Response | DncImportOut:
    report = dnc.import_numbers(session, text, region, campaign_id=campaign_id, added_by=actor)
    if report.errors:
        session.rollback()  # all or nothing, as `crm import`
        return _refused(report.errors)
    return DncImportOut(added=report.added, already=report.already)


# --- call lists --------------------------------------------------------------------------


def _list_out(session: Session, call_list: CallList) -> CallListOut:
    by_state, tried = lists.lead_counts(session, call_list.id)
    out = CallListOut.model_validate(call_list)
    return out.model_copy(
        update={"leads": sum(by_state.values()), "leads_by_state": by_state, "tried": tried}
    )


@call_lists.get("", response_model=list[CallListOut])
def list_call_lists(session: SessionDep) -> list[CallListOut]:
    """Every call list with its leads by state."""
    return [_list_out(session, c) for c in lists.list_lists(session)]


@call_lists.post(
    "",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
async def create_csv_list(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    name: Annotated[str, Form(min_length=1, max_length=128)],
    file: Annotated[UploadFile, File(description="CSV with a `number` column")],
) -> Response | ImportOut:
    """A new list from a CSV file: every row imported, or nothing and 422 naming each
    refused line. Duplicates are skipped and numbers nobody may call come in blocked;
    the answer notes both per line."""
    text = await _text(file)
    report = _read(session, text, settings.default_region, settings.time_zone, None)
    if report.errors:
        return _refused(report.errors)
    call_list = lists.create_list(session, name, ListSource.CSV, created_by=actor)
    return _stored(session, call_list, report)


@call_lists.post(
    "/query",
    response_model=BuildOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def create_query_list(
    session: SessionDep, settings: SettingsDep, actor: ActorDep, body: QueryListCreate
) -> BuildOut:
    """A new list built from a CRM query (kept on the list to build it again)."""
    call_list = lists.create_list(
        session, body.name, ListSource.QUERY, query=body.query.stored(), created_by=actor
    )
    return _built(session, call_list, lists.build_list(session, call_list, settings.time_zone))


@call_lists.get("/{list_id}", response_model=CallListOut)
def get_call_list(session: SessionDep, list_id: PathId) -> CallListOut:
    """One list with its leads by state (its report)."""
    return _list_out(session, lists.get_list(session, list_id))


@call_lists.get("/{list_id}/leads", response_model=Page[LeadOut])
def call_list_leads(
    session: SessionDep,
    list_id: PathId,
    page: PagingDep,
    state: LeadStateQuery = None,
    q: Search = None,
) -> Page[LeadOut]:
    """A list's leads, of one state or matching a number or name."""
    return _leads(session, list_id, page.limit, page.offset, state, q)


@call_lists.post(
    "/{list_id}/leads",
    response_model=LeadOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def add_lead(session: SessionDep, settings: SettingsDep, list_id: PathId, body: LeadIn) -> LeadOut:
    """One more lead on a list (blocked when nobody may call the number)."""
    lead = leads.create_lead(
        session,
        lists.get_list(session, list_id),
        body.number,
        region=settings.default_region,
        site_zone=settings.time_zone,
        origin=LeadOrigin.API,
        name=body.name,
        customer_id=body.customer_id,
        time_zone=body.time_zone,
        note=body.note,
    )
    return LeadOut.model_validate(lead)


@call_lists.post(
    "/{list_id}/leads/{lead_id}/cancel",
    response_model=LeadOut,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def cancel_lead(session: SessionDep, actor: ActorDep, list_id: PathId, lead_id: PathId) -> LeadOut:
    """Drop a lead from the work (409 while it is being called)."""
    lead = leads.get_lead(session, lead_id)
    if lead.list_id != list_id:
        raise NotFound("lead", f"{lead_id} on call list {list_id}")
    return LeadOut.model_validate(leads.cancel_lead(session, lead_id, actor))


@call_lists.post("/{list_id}/import", response_model=ImportOut, dependencies=[SUPERVISOR_OR_ADMIN])
async def import_into_list(
    session: SessionDep,
    settings: SettingsDep,
    list_id: PathId,
    file: Annotated[UploadFile, File(description="CSV with a `number` column")],
) -> Response | ImportOut:
    """More leads from a CSV file onto a list (numbers on it already are skipped)."""
    call_list = lists.get_list(session, list_id)
    text = await _text(file)
    report = _read(session, text, settings.default_region, settings.time_zone, call_list)
    if report.errors:
        return _refused(report.errors)
    return _stored(session, call_list, report)


@call_lists.post("/{list_id}/rebuild", response_model=BuildOut, dependencies=[SUPERVISOR_OR_ADMIN])
def rebuild_list(session: SessionDep, settings: SettingsDep, list_id: PathId) -> BuildOut:
    """Add the query's new matches (nothing already on the list is added twice)."""
    call_list = lists.get_list(session, list_id)
    return _built(session, call_list, lists.build_list(session, call_list, settings.time_zone))


def _read(
    session: Session, text: str, region: str, zone: str, call_list: CallList | None
) -> ListImport:
    try:
        return lists.read_csv(session, text, region, zone, call_list=call_list)
    except ValueError as exc:
        raise InvalidInput("file", f"not a call-list CSV: {exc}") from exc


def _stored(session: Session, call_list: CallList, report: ListImport) -> ImportOut:
    lists.store_leads(session, call_list, report)
    return ImportOut(
        call_list=_list_out(session, call_list),
        created=report.created,
        blocked=report.blocked,
        skipped=report.skipped,
        notes=[RowNote(line=line, message=message) for line, message in report.notes],
    )


def _built(session: Session, call_list: CallList, build: ListBuild) -> BuildOut:
    return BuildOut(
        call_list=_list_out(session, call_list),
        added=build.added,
        blocked=build.blocked,
        already=build.already,
        no_number=build.no_number,
    )


# --- the global do-not-call list --------------------------------------------------------


@dnc_lists.get("", response_model=Page[DncOut])
def global_dnc(session: SessionDep, page: PagingDep, number: Search = None) -> Page[DncOut]:
    """The global do-not-call list, newest first."""
    return _dnc_page(session, None, page.limit, page.offset, number)


@dnc_lists.post(
    "",
    response_model=DncOut,
    status_code=status.HTTP_201_CREATED,
    dependencies=[SUPERVISOR_OR_ADMIN],
)
def add_global_dnc(
    session: SessionDep, settings: SettingsDep, actor: ActorDep, body: DncIn
) -> DncOut:
    """Put a number on the global list: no campaign dials it (kept as it is when there)."""
    entry, _ = dnc.add_number(
        session, body.number, settings.default_region, reason=body.reason, added_by=actor
    )
    return DncOut.model_validate(entry)


@dnc_lists.post("/import", response_model=DncImportOut, dependencies=[SUPERVISOR_OR_ADMIN])
async def import_global_dnc(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    file: Annotated[UploadFile, File(description="one number a line, or CSV with `number`")],
) -> Response | DncImportOut:
    """Numbers from a file onto the global list: all of them, or none and 422 per line."""
    return _dnc_import(session, settings.default_region, actor, None, await _text(file))


@dnc_lists.delete(
    "/{number}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[ADMIN_ONLY],
)
def remove_global_dnc(session: SessionDep, settings: SettingsDep, number: NumberPath) -> Response:
    """Take a number off the global list (admins only)."""
    dnc.remove_number(session, number, settings.default_region, campaign_id=None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _text(file: UploadFile) -> str:
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file", f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("file", "it is not UTF-8 text") from exc


def _refused(errors: list[tuple[int, str]]) -> JSONResponse:
    """422 naming each refused line; nothing was stored."""
    body = {
        "detail": f"nothing imported: {len(errors)} lines refused",
        "errors": [
            {"field": f"line {line}", "message": message, "type": "invalid"}
            for line, message in errors
        ],
    }
    return JSONResponse(body, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)


for part in (campaigns, call_lists, dnc_lists):
    router.include_router(part)
