"""A made-up origin whose every request the app answers through a TestClient (with its
sign-in), forms and redirects included: the desk's pages in a real browser without a server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

ORIGIN = "http://desk.test"
# Hop-by-hop and length headers the browser recomputes from the body it is given.
DROPPED = {"content-length", "content-encoding", "transfer-encoding", "connection"}


def served_by(client: TestClient) -> Callable[[Any], None]:
    """A Playwright route handler answering from the app, headers (the CSP) included."""

    def handle(route: Any) -> None:
        request = route.request
        answer = client.request(
            request.method,
            request.url.removeprefix(ORIGIN),
            content=request.post_data_buffer,
            headers={k: v for k, v in request.headers.items() if k.lower() == "content-type"},
            follow_redirects=False,
        )
        headers = {k: v for k, v in answer.headers.items() if k.lower() not in DROPPED}
        route.fulfill(status=answer.status_code, body=answer.content, headers=headers)

    return handle


def open_desk(page: Any, client: TestClient, path: str) -> list[str]:
    """Serve the app at ORIGIN and open `path`; returns the page's script errors as they come."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(f"{ORIGIN}/**", served_by(client))
    page.goto(ORIGIN + path)
    return errors
