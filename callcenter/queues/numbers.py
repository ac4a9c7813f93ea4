"""Dialled numbers (DIDs) as queue records keep them: digits, maybe one leading +."""

from __future__ import annotations

import re

from callcenter.queues.exceptions import QueueError

NUMBER = re.compile(r"\+?[0-9]{1,31}")
# What people write between digits (+49 30 1234-56, (030) 1234.56) and the PBX never dials.
SEPARATORS = re.compile(r"[\s\-./()]")


def normalised_number(text: str) -> str:
    """`text` as digits with an optional leading +, separators removed, else QueueError."""
    number = SEPARATORS.sub("", text)
    if not NUMBER.fullmatch(number):
        raise QueueError(f"{text!r} is not a dialled number (digits, maybe a leading +)", "numbers")
    return number


def number_variants(dialed: str) -> list[str]:
    """The forms a PBX may present one DID in, the exact one first: `+4930123`, `4930123`
    and `004930123` are one number; an unreadable `dialed` has none."""
    try:
        number = normalised_number(dialed)
    except QueueError:
        return []
    digits = number.removeprefix("+")
    if number.startswith("+"):
        variants = [number, digits, "00" + digits]
    elif digits.startswith("00") and len(digits) > 2:
        variants = [number, "+" + digits[2:], digits[2:]]
    else:
        variants = [number, "+" + digits, "00" + digits]
    return variants
