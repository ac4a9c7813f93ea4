"""A file sent with an admin form, read as UTF-8 text; a refusal marks the file field."""

from __future__ import annotations

from fastapi import UploadFile

from agent_ui.admin.forms import FieldError
from callcenter.campaigns.router import MAX_UPLOAD_BYTES


def upload_text(file: UploadFile | None, field: str = "file") -> str:
    """The file's text (a spreadsheet's byte-order mark dropped); FieldError when no file was
    chosen, it is too large, or it is not UTF-8."""
    if file is None or not file.filename:
        raise FieldError(field, "choose a CSV file to upload")
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise FieldError(field, f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB: split it")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError(field, "the file is not UTF-8 text: save it as CSV UTF-8") from None
