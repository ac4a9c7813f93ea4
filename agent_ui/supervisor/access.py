"""Who may see supervisor pages (supervisors and admins); team scope is `kpi.team_roster`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from agent_ui.error_pages import PageForbidden
from callcenter.deps import PageUser, SignedInUser
from callcenter.users.service import Role
from kpi.team_roster import visible_agents

__all__ = ["SupervisorPage", "page_supervisor", "visible_agents"]


def page_supervisor(user: PageUser) -> SignedInUser:
    """A signed-in supervisor or admin (others get 403, a page naming who may see it;
    strangers the sign-in page)."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PageForbidden(user, "supervisors and admins")
    return user


SupervisorPage = Annotated[SignedInUser, Depends(page_supervisor)]
