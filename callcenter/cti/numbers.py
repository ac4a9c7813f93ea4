"""Caller numbers in E.164 where `phonenumbers` can tell, else as the PBX gave them."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers


@lru_cache(maxsize=8192)
def normalize_number(raw: str | None, region: str = "US") -> str | None:
    """`raw` as E.164 when it is a possible number for `region`; the raw text otherwise.

    Possible, not valid: test and fictional ranges (555 in North America) still match the
    CRM's stored numbers, and an extension such as `101` stays `101`.
    """
    if not raw:
        return None
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    if not phonenumbers.is_possible_number(parsed):
        return raw
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def is_external_number(raw: str | None, region: str = "US") -> bool:
    """Whether `raw` looks like a public phone number rather than an extension."""
    normalized = normalize_number(raw, region)
    return normalized is not None and normalized.startswith("+")
