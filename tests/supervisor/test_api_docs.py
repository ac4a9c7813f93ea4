"""/docs works offline: the vendored Swagger UI under the strict security policy, and a
favicon."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from callcenter.security_headers import STRICT_POLICY
from tests.agent_ui.live_stack import live_stack


def test_the_docs_page_loads_only_this_sites_files(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == STRICT_POLICY
    assert "/static/docs/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text  # nothing from elsewhere
    assert "<script>" not in page.text  # no inline script
    for path in ("/static/docs/swagger-ui-bundle.js", "/static/docs/swagger-ui.css"):
        assert client.get(path).status_code == 200, path
    assert client.get("/redoc").status_code == 404


def test_a_favicon(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/signin").text


@pytest.mark.browser
def test_the_docs_render_with_no_network_but_this_site(
    page: Any, database_url: str, sessions: sessionmaker[Session]
) -> None:
    with live_stack(database_url, sessions) as stack:
        elsewhere: list[str] = []

        def only_this_site(route: Any) -> None:
            if route.request.url.startswith(stack.base_url):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_site)
        page.goto(stack.base_url + "/docs")
        page.wait_for_selector(".swagger-ui .info .title:has-text('callcenter')")
        page.wait_for_selector(".opblock-summary-path:has-text('/api/customers')")
        assert elsewhere == []
