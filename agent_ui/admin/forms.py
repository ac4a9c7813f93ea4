"""What the admin forms share: the CSRF check, a refusal marked on its field, redirects."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request, status
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from agent_ui.desk.forms import check_csrf

__all__ = ["FieldError", "PostedForm", "Token", "check_csrf", "posted_form", "redirect"]

Token = Annotated[str, Form(max_length=128)]


class FieldError(Exception):
    """A refused form: the field to mark and the sentence beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def as_context(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def redirect(path: str) -> RedirectResponse:
    """After a form that worked: back to a page (a reload does not post it again)."""
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


async def posted_form(request: Request) -> FormData:
    """The posted form as names to values (repeated names kept), for forms whose fields
    are rows or lists."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]
