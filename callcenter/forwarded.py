"""Who the client is behind reverse proxies: X-Forwarded-For believed only from trusted ones."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def trusted_networks(setting: str) -> tuple[Network, ...] | None:
    """CALLCENTER_TRUSTED_PROXIES as networks; None for "*" (every peer is trusted).
    Entries that are neither an address nor a range are skipped (uvicorn does the same)."""
    entries = [entry.strip() for entry in setting.split(",") if entry.strip()]
    if "*" in entries:
        return None
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _trusted(address: str, networks: tuple[Network, ...] | None) -> bool:
    if networks is None:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: str | None, trusted: str) -> str:
    """The client's address: the TCP peer, unless that is a trusted proxy; then the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (the leftmost when all are).

    Behind uvicorn's own proxy handling (`callcenter.app.server_options`) the peer is already
    the client, and this gives the same answer again.
    """
    peer = peer or "unknown"
    if not trusted.strip() or not forwarded_for:
        return peer
    networks = trusted_networks(trusted.strip())
    if not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else peer
