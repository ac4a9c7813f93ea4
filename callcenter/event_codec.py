"""Domain events to bytes and back (compact JSON through msgspec), for the bus shared through Redis.

An event travels as `["ClassName", {field: value, ...}]`: datetimes as RFC 3339 text with
their offset, enums by value, sets sorted, nested records as objects. A field added since the
sender's version keeps its default; a field the receiver does not know is ignored.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from callcenter.events import DomainEvent

T = TypeVar("T")

_ENVELOPE: msgspec.json.Decoder[tuple[str, msgspec.Raw]] = msgspec.json.Decoder(
    tuple[str, msgspec.Raw]
)


class CodecError(ValueError):
    """Bytes that are not an event this codec knows (another version, or not an event)."""


def decoder(cls: type[T]) -> msgspec.json.Decoder[T]:
    """How JSON becomes a `cls`; TypeError when one of its fields cannot travel as JSON.

    msgspec would take any class as a field's type and fail only on the first event; its
    JSON schema of `cls` names every type at once and refuses what JSON does not carry."""
    try:
        msgspec.json.schema(cls)
        return msgspec.json.Decoder(cls)
    except TypeError as exc:
        raise TypeError(f"the event codec cannot carry {cls.__name__}: {exc}") from None


def event_classes() -> list[type[DomainEvent]]:
    """Every subclass of DomainEvent defined so far, at any depth.

    `@dataclass(slots=True)` makes a new class and drops the one it was given, which stays
    among the subclasses until collected: of two with the same name, the later one is kept.
    """
    found: dict[tuple[str, str], type[DomainEvent]] = {}
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop(0)
        found[cls.__module__, cls.__qualname__] = cls
        pending.extend(cls.__subclasses__())
    return list(found.values())


class EventCodec:
    """Encodes and decodes every DomainEvent subclass by its class name; a subclass defined
    after the codec was made is learnt on first sight."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder(order="deterministic")
        self._by_name: dict[str, type[DomainEvent]] = {}
        self._decoders: dict[str, msgspec.json.Decoder[Any]] = {}
        self._learn()

    def _learn(self) -> None:
        for cls in event_classes():
            name = cls.__name__
            if self._by_name.get(name) is not cls:
                self._decoders[name] = decoder(cls)
                self._by_name[name] = cls

    def encode(self, event: DomainEvent) -> bytes:
        name = type(event).__name__
        if self._by_name.get(name) is not type(event):
            self._learn()
        return self._encoder.encode((name, event))

    def kind(self, name: str) -> type[DomainEvent] | None:
        """The event type named `name`, None when this codec knows none by that name."""
        cls = self._by_name.get(name)
        if cls is None and name:
            self._learn()
            cls = self._by_name.get(name)
        return cls

    def decode(self, data: bytes | str) -> DomainEvent:
        try:
            name, fields = _ENVELOPE.decode(data)
            if self.kind(name) is None:
                raise CodecError(f"unknown event kind {name!r}")
            event = self._decoders[name].decode(fields)
        except msgspec.DecodeError as exc:
            raise CodecError(f"not an event: {exc}") from None
        assert isinstance(event, DomainEvent)
        return event


_codec: EventCodec | None = None


def codec() -> EventCodec:
    """The process's codec (built on first use)."""
    global _codec
    if _codec is None:
        _codec = EventCodec()
    return _codec
