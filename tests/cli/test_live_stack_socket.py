"""The test stack's web port is held from the moment it is picked: nothing can take it."""

from __future__ import annotations

import errno
import socket
import urllib.request

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.agent_ui.live_stack import bound_socket, live_stack, port_of


def test_a_picked_port_cannot_be_taken_while_the_socket_is_held() -> None:
    with bound_socket() as held:
        port = port_of(held)
        assert port > 0
        with socket.socket() as other, pytest.raises(OSError) as taken:
            other.bind(("127.0.0.1", port))
        assert taken.value.errno == errno.EADDRINUSE


def _health(base_url: str) -> int:
    with urllib.request.urlopen(f"{base_url}/healthz", timeout=30) as response:
        return int(response.status)


def test_the_stack_serves_on_its_held_socket_through_a_restart(
    database_url: str, sessions: sessionmaker[Session]
) -> None:
    with live_stack(database_url, sessions) as stack:
        port = stack.web.port
        assert stack.base_url == f"http://127.0.0.1:{port}"
        assert _health(stack.base_url) == 200
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
        stack.restart_app()
        assert stack.web.port == port
        assert _health(stack.base_url) == 200
