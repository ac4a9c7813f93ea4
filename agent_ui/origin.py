"""The Origin check every cookie-authenticated websocket makes before it accepts."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import WebSocket

# The page a socket may come from: ws:// sockets from http:// pages, wss:// from https://.
_PAGE_SCHEME = {"ws": "http", "wss": "https"}


def same_origin(websocket: WebSocket) -> bool:
    """A browser's websocket from another site carries our cookie too: refuse it by Origin.

    Scheme and host must both match: an http:// page (which anyone on the network can
    inject into) may not open the socket of an https:// deployment. Behind a TLS proxy
    the app sees https only when it trusts the proxy's X-Forwarded-Proto
    (`CALLCENTER_TRUSTED_PROXIES`).
    """
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser (integrations, tests with a token)
    page = urlsplit(origin)
    scheme = _PAGE_SCHEME.get(websocket.url.scheme, websocket.url.scheme)
    host = websocket.headers.get("host", "")
    return page.scheme.lower() == scheme and page.netloc.lower() == host.lower()
