"""The accessibility check itself: axe-core runs in a page and its findings read as text."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.axe_check import readable, serious, violations

pytestmark = pytest.mark.browser

PALE_TEXT = """<!doctype html><html lang="en"><title>t</title><body><main>
<h1>Title</h1><p class="pale">grey on white, 1.36:1</p>
<input name="unlabelled"></main></body></html>"""
PALE_STYLE = ".pale { color: #dddddd; background: #ffffff; }"


def test_axe_finds_pale_text_and_an_unlabelled_field(page: Any) -> None:
    page.set_content(PALE_TEXT)
    page.add_style_tag(content=PALE_STYLE)
    found = serious(violations(page))
    assert {v["id"] for v in found} >= {"color-contrast", "label"}
    text = readable("sample", found)
    assert "sample: color-contrast (serious)" in text
    assert "insufficient color contrast of 1.3" in text


def test_a_clean_page_has_no_violation(page: Any) -> None:
    page.set_content(PALE_TEXT.replace('<input name="unlabelled">', ""))
    assert violations(page) == []
