"""README.md lists every setting, each with the default the code has."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from callcenter.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
ROW = re.compile(r"^\| `CALLCENTER_(?P<name>[A-Z0-9_]+)` \| (?P<default>[^|]*) \|", re.MULTILINE)


def documented() -> dict[str, str]:
    """Each setting's row in the README's table: field name -> the default column."""
    text = README.read_text(encoding="utf-8")
    return {match["name"].lower(): match["default"].strip() for match in ROW.finditer(text)}


def test_every_setting_has_a_row_and_every_row_a_setting() -> None:
    assert set(documented()) == set(Settings.model_fields)


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_the_default_shown_is_the_codes(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in [v for v in os.environ if v.startswith("CALLCENTER_")]:
        monkeypatch.delenv(variable)
    default = getattr(Settings(), name)
    shown = documented().get(name, "")
    literal = re.fullmatch(r"`([^`]*)`", shown)
    if default is None:
        assert literal is None, f"{name} has no default, the README shows {shown}"
    elif default == "":
        assert shown == "empty"
    elif literal is None:
        assert isinstance(default, list | dict), f"{name}: show the default as `{default}`"
    elif isinstance(default, str):
        assert literal[1] == default
    elif isinstance(default, bool):
        assert literal[1] == str(default).lower()
    elif isinstance(default, int | float):
        assert float(literal[1]) == default
    else:
        assert json.loads(literal[1]) == default
