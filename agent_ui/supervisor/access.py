"""Who may see supervisor pages (supervisors and admins) and which agents (team scope)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from callcenter.deps import PageUser, SignedInUser
from callcenter.users.models import User
from callcenter.users.service import Role


def page_supervisor(user: PageUser) -> SignedInUser:
    """A signed-in supervisor or admin (others get 403, strangers the sign-in page)."""
    if user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "supervisors and admins only")
    return user


SupervisorPage = Annotated[SignedInUser, Depends(page_supervisor)]


def visible_agents(session: Session, viewer: SignedInUser) -> frozenset[str] | None:
    """Names under which the viewer's agents appear on the board (member name, username,
    interface); None means every agent (an admin)."""
    if viewer.role == Role.ADMIN:
        return None
    if viewer.team_id is None:
        return frozenset()
    names: set[str] = set()
    for user in session.scalars(select(User).where(User.team_id == viewer.team_id)):
        names.update(n for n in (user.member_name, user.username, user.interface) if n)
    return frozenset(names)
