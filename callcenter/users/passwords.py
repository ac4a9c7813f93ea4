"""Which passwords are strong enough: length and zxcvbn's guess estimate, more for admins."""

from __future__ import annotations

import re
from collections.abc import Iterable

from zxcvbn import zxcvbn

from callcenter.users.exceptions import WeakPassword

# (least length, least zxcvbn score 0-4) by role: an admin can change everyone's access.
_RULES = {"admin": (12, 4)}
_DEFAULT_RULE = (10, 3)
# zxcvbn looks at no more than this many characters (it is slow on long input, and a
# passphrase this long is strong whatever its tail).
_CHECKED_LENGTH = 100


def password_rule(role: str) -> tuple[int, int]:
    """(least length, least score) for a user of `role`."""
    return _RULES.get(role, _DEFAULT_RULE)


def check_password(password: str, role: str, user_inputs: Iterable[str] = ()) -> None:
    """Raise WeakPassword with a sentence saying why, unless `password` is strong enough.

    Common passwords, keyboard walks, dates, repeats and the user's own name score low, as
    zxcvbn estimates how many guesses an attacker needs.
    """
    length, score = password_rule(role)
    if len(password) < length:
        raise WeakPassword(f"a {role}'s password needs at least {length} characters")
    words = [w for text in user_inputs for w in re.split(r"[\W_]+", text.lower()) if w]
    words.append("callcenter")
    if _made_of(password, words):
        raise WeakPassword("choose a stronger password: it is made of your own name")
    result = zxcvbn(password[:_CHECKED_LENGTH], user_inputs=words)
    if result["score"] < score:
        warning = result["feedback"].get("warning") or "it is too easy to guess"
        raise WeakPassword(
            f"choose a stronger password: {warning.rstrip('.').lower()} "
            "(a few unrelated words make a good one)"
        )


def _made_of(password: str, words: list[str]) -> bool:
    """Whether the password's letters are little more than the given words."""
    letters = re.sub(r"[^a-z]", "", password.lower())
    for word in sorted(words, key=len, reverse=True):
        if len(word) >= 3:
            letters = letters.replace(word, "")
    return len(letters) < 4
