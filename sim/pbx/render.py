"""AMI wire format: events, responses and header blocks written byte for byte as Asterisk does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

Header = tuple[str, str]

# Asterisk's ast_state2str() names, indexed by AST_STATE_*.
CHANNEL_STATE_DESC = {
    0: "Down",
    1: "Rsrvd",
    2: "OffHook",
    3: "Dialing",
    4: "Ring",
    5: "Ringing",
    6: "Up",
    7: "Busy",
}


def render_message(headers: Iterable[Header]) -> bytes:
    """One AMI message: `Key: Value` lines ended by CRLF, then an empty line."""
    return ("".join(f"{key}: {value}\r\n" for key, value in headers) + "\r\n").encode("utf-8")


def response(
    action_id: str | None, status: str = "Success", *headers: Header, message: str | None = None
) -> bytes:
    """An action reply: `Response`, the echoed `ActionID`, then `Message` and extra headers."""
    lines: list[Header] = [("Response", status)]
    if action_id is not None:
        lines.append(("ActionID", action_id))
    if message is not None:
        lines.append(("Message", message))
    lines.extend(headers)
    return render_message(lines)


def list_event(name: str, action_id: str | None, headers: Iterable[Header]) -> bytes:
    """An item of an action's event list: no Privilege or Timestamp, ActionID last."""
    lines: list[Header] = [("Event", name), *headers]
    if action_id is not None:
        lines.append(("ActionID", action_id))
    return render_message(lines)


def list_complete(name: str, action_id: str | None, items: int) -> bytes:
    """The `...Complete` event closing an event list."""
    lines: list[Header] = [("Event", name)]
    if action_id is not None:
        lines.append(("ActionID", action_id))
    lines += [("EventList", "Complete"), ("ListItems", str(items))]
    return render_message(lines)


@dataclass(slots=True)
class AmiEvent:
    """A published event; rendered once per timestamp mode and shared by every client."""

    name: str
    privilege: str
    headers: list[Header]
    timestamp: float
    _cache: dict[bool, bytes] = field(default_factory=dict, repr=False)

    def render(self, with_timestamp: bool) -> bytes:
        """The event's bytes, with `Timestamp:` when the PBX has timestampevents on."""
        cached = self._cache.get(with_timestamp)
        if cached is None:
            lines: list[Header] = [("Event", self.name), ("Privilege", self.privilege)]
            if with_timestamp:
                lines.append(("Timestamp", f"{self.timestamp:.6f}"))
            lines.extend(self.headers)
            cached = render_message(lines)
            self._cache[with_timestamp] = cached
        return cached

    def get(self, key: str) -> str | None:
        """The first header called `key` (tests and the server's bookkeeping read events)."""
        for name, value in self.headers:
            if name == key:
                return value
        return None
