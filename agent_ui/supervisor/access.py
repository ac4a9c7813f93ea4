"""Who may see supervisor pages (supervisors and admins); team scope is `kpi.team_roster`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status

from callcenter.deps import PageUser, SignedInUser
from callcenter.users.service import Role
from kpi.team_roster import visible_agents

__all__ = ["SupervisorPage", "page_supervisor", "visible_agents"]


def page_supervisor(user: PageUser) -> SignedInUser:
    """A signed-in supervisor or admin (others get 403, strangers the sign-in page)."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisors and admins only")
    return user


SupervisorPage = Annotated[SignedInUser, Depends(page_supervisor)]
