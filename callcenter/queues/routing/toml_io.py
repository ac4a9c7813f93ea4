"""Routing rules as a TOML file: `[[rule]]` tables with `when` and `then`, read all or nothing."""

from __future__ import annotations

import json
import tomllib
from datetime import time
from typing import Any

from pydantic import ValidationError

from callcenter.queues.routing.schemas import RuleIn

EXAMPLE = """\
[[rule]]
name = "busy support overflows"
position = 10
when = { did = ["+4930123400"], longest_wait_over_s = 120 }
then = { overflow = true }
"""


class BadRules(ValueError):
    """The file is not a valid rule set; the message is one sentence saying where."""


def read_rules(text: str) -> list[RuleIn]:
    """Every rule of a TOML document, or BadRules naming the first problem."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadRules(f"not TOML: {exc}") from None
    unknown = sorted(set(document) - {"rule"})
    if unknown:
        raise BadRules(f"unknown top-level key {unknown[0]!r}: rules are [[rule]] tables")
    entries = document.get("rule", [])
    if not isinstance(entries, list):
        raise BadRules("`rule` must be an array of tables: write [[rule]]")
    rules = []
    for number, entry in enumerate(entries, start=1):
        try:
            rules.append(RuleIn.model_validate(entry))
        except ValidationError as exc:
            name = entry.get("name") if isinstance(entry, dict) else None
            raise BadRules(f"rule {number}{_named(name)}: {problem(exc)}") from None
    names = [rule.name for rule in rules]
    twice = next((name for name in names if names.count(name) > 1), None)
    if twice is not None:
        raise BadRules(f"two rules are named {twice!r}")
    return rules


def problem(error: ValidationError) -> str:
    """The first problem of a validation error as `where: what`."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the rule"
    return f"{where}: {str(first['msg']).removeprefix('Value error, ')}"


def write_rules(rules: list[RuleIn]) -> str:
    """The rules as TOML that `read_rules` reads back the same."""
    blocks = []
    for rule in rules:
        lines = ["[[rule]]", f"name = {_value(rule.name)}", f"position = {rule.position}"]
        if not rule.enabled:
            lines.append("enabled = false")
        for key, part in (("when", rule.when), ("then", rule.then)):
            data = part.model_dump(exclude_defaults=True)
            if data:
                inner = ", ".join(f"{name} = {_value(value)}" for name, value in data.items())
                lines.append(f"{key} = {{ {inner} }}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")  # a TOML local time
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a TOML basic string


def _named(name: object) -> str:
    return f" ({name!r})" if isinstance(name, str) and name else ""
