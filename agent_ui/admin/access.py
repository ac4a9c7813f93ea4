"""Who may open the admin pages: admins (others get the 403 page naming who may)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from agent_ui.error_pages import PageForbidden
from callcenter.deps import PageUser, SignedInUser
from callcenter.users.service import Role


def page_admin(user: PageUser) -> SignedInUser:
    """A signed-in admin; others a 403 page, strangers the sign-in page."""
    if user.role != Role.ADMIN:
        raise PageForbidden(user, "admins")
    return user


AdminPage = Annotated[SignedInUser, Depends(page_admin)]
