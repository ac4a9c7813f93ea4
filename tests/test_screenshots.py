"""Every page of the browser tests' registry has its picture in docs/screenshots/, shown in
the README's "Screens" section (`make screenshots` writes both)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "docs" / "screenshots"
FIX = "run `make screenshots` (it takes every page of tests/browser/pages.py)"


def test_every_page_has_a_unique_file_name() -> None:
    names = [entry.name for entry in PAGES]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*", name) for name in names), names


def test_every_page_has_a_screenshot() -> None:
    missing = [e.name for e in PAGES if not (SHOTS / f"{e.name}.png").is_file()]
    assert missing == [], f"no picture of {missing}: {FIX}"


def test_the_readme_shows_every_screenshot_and_no_other() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    linked = re.findall(r"\]\((docs/screenshots/[^)]+)\)", readme)
    assert sorted(linked) == sorted(f"docs/screenshots/{e.name}.png" for e in PAGES), FIX
    assert all((ROOT / link).is_file() for link in linked)


def test_no_stray_screenshot() -> None:
    pictures = {path.stem for path in SHOTS.glob("*.png")}
    assert pictures <= {entry.name for entry in PAGES}, f"pictures of no page: {FIX}"
