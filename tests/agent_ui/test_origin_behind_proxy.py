"""The socket Origin check behind a TLS proxy: https pages pass once the proxy is trusted."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from callcenter.app import create_app, server_options
from callcenter.settings import Settings
from tests.agent_ui.live_stack import bound_socket, port_of
from tests.console_app import Staff


def served(settings: Settings) -> Iterator[str]:
    """The app on uvicorn as `serve` runs it (same options), in a thread; its host:port."""
    with bound_socket() as listening:
        config = uvicorn.Config(
            create_app(settings), log_level="warning", **server_options(settings)
        )
        server = uvicorn.Server(config)
        serve = server.serve(sockets=[listening.dup()])
        thread = threading.Thread(target=lambda: asyncio.run(serve), daemon=True)
        thread.start()
        while not server.started:
            assert thread.is_alive(), "the server did not start"
            threading.Event().wait(0.02)
        try:
            yield f"127.0.0.1:{port_of(listening)}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture
def behind_proxy(settings: Settings, staff: Staff) -> Iterator[str]:
    yield from served(settings.model_copy(update={"trusted_proxies": "127.0.0.1"}))


@pytest.fixture
def no_proxy(settings: Settings, staff: Staff) -> Iterator[str]:
    yield from served(settings)


def opens(host: str, staff: Staff, origin: str, proto: str | None = None) -> bool:
    headers = {"Origin": origin, "Authorization": f"Bearer {staff.tokens['agent1']}"}
    if proto is not None:
        headers["X-Forwarded-Proto"] = proto
    try:
        with connect(f"ws://{host}/ws/console", additional_headers=headers) as socket:
            return '"hello"' in str(socket.recv(timeout=10))
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return False


def test_a_trusted_proxys_https_lets_https_pages_in_and_keeps_http_ones_out(
    behind_proxy: str, staff: Staff
) -> None:
    assert opens(behind_proxy, staff, f"https://{behind_proxy}", proto="https")
    assert not opens(behind_proxy, staff, f"http://{behind_proxy}", proto="https")
    assert opens(behind_proxy, staff, f"http://{behind_proxy}", proto="http")


def test_an_untrusted_forwarded_proto_changes_nothing(no_proxy: str, staff: Staff) -> None:
    assert not opens(no_proxy, staff, f"https://{no_proxy}", proto="https")
    assert opens(no_proxy, staff, f"http://{no_proxy}", proto="https")
