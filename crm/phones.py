"""Phone numbers: E.164 for storage, and every reading of a number as the PBX presents it."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, PhoneNumberFormat

from crm.exceptions import InvalidInput

# Separators people and PBXs put inside numbers; "(0)" is the UK/DE habit of showing the
# trunk prefix inside an international number.
_SEPARATORS = re.compile(r"[\s\-./]|\(0\)|[()]")
_DIALABLE = re.compile(r"\+?\d{1,30}")
# Presented numbers whose readings are kept (a few hundred bytes each).
READINGS_KEPT = 8192


def normalize(raw: str, region: str, *, field: str = "number") -> str:
    """The E.164 form of a number typed by a person; InvalidInput when it cannot be one.

    `region` reads national numbers ("030 1234567" in DE). Fictional ranges such as 555 are
    accepted: only the length is checked (`is_possible_number`), as test and demo systems use
    them and real carriers add ranges faster than any library learns them.
    """
    text = raw.strip()
    if not text:
        raise InvalidInput(field, "a phone number is required")
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidInput(field, f"{raw!r} is not a phone number") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidInput(field, f"{raw!r} has the wrong length for a phone number")
    return _e164(parsed)


def candidates(presented: str, region: str) -> list[str]:
    """Every E.164 number the PBX may mean by `presented`, the most likely first.

    A PBX shows the same caller as "+49 30 1234567", "004930 1234567", "030 1234567",
    "301234567" or "49301234567" depending on trunk and dial plan. Each reading that yields a
    number of possible length is returned; the caller looks all of them up and shows every
    match rather than guessing. Extensions and anonymous callers give an empty list.
    """
    return list(_readings(presented, region))


# Parsing costs a screen pop more than its database lookups; a number's readings never
# change, and callers call again.
@lru_cache(maxsize=READINGS_KEPT)
def _readings(presented: str, region: str) -> tuple[str, ...]:
    text = presented.strip()
    if text.lower().startswith("tel:"):
        text = text[4:]
    digits = _SEPARATORS.sub("", text)
    if not _DIALABLE.fullmatch(digits):
        return ()
    found: list[str] = []
    _add(found, _parse(text, region))
    if digits.startswith("+"):
        _add(found, _parse(digits, region))
        return tuple(found)
    if digits.startswith("00"):
        # International prefix 00 even where the region dials abroad otherwise (011 in the US).
        _add(found, _parse("+" + digits[2:], region))
    elif not digits.startswith("0"):
        # Digits without any prefix: the country code may be there or not.
        _add(found, _parse("+" + digits, region))
        country = phonenumbers.country_code_for_region(region)
        if country:
            _add(found, PhoneNumber(country_code=country, national_number=int(digits)))
    return tuple(found)


def _parse(text: str, region: str | None) -> PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except NumberParseException:
        return None


def _add(found: list[str], parsed: PhoneNumber | None) -> None:
    if parsed is None or not phonenumbers.is_possible_number(parsed):
        return
    number = _e164(parsed)
    if number not in found:
        found.append(number)


def _e164(parsed: PhoneNumber) -> str:
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
