"""Domain events to bytes and back (compact JSON), for the bus shared through Redis."""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from callcenter.events import DomainEvent

Convert = Callable[[Any], Any]
# One field of a dataclass: its name, how its value goes to JSON and back (None: as is).
Field = tuple[str, Convert | None, Convert | None]
PLAIN = (str, int, float, bool, type(None))


class CodecError(ValueError):
    """Bytes that are not an event this codec knows (another version, or not an event)."""


class Shape:
    """How one dataclass (an event or a record inside one) goes to JSON and back."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        hints = get_type_hints(cls)
        self.fields: tuple[Field, ...] = tuple(
            (f.name, *converters(hints[f.name])) for f in dataclasses.fields(cls)
        )

    def encode(self, value: Any) -> dict[str, Any]:
        out = {}
        for name, to_json, _ in self.fields:
            item = getattr(value, name)
            out[name] = item if to_json is None or item is None else to_json(item)
        return out

    def decode(self, data: dict[str, Any]) -> Any:
        values = {}
        for name, _, from_json in self.fields:
            if name in data:  # a field added since the sender's version keeps its default
                item = data[name]
                values[name] = item if from_json is None or item is None else from_json(item)
        return self.cls(**values)


def converters(hint: Any) -> tuple[Convert | None, Convert | None]:
    """To-JSON and from-JSON functions for a value of type `hint` (None where JSON keeps the
    value as it is); TypeError for a type this codec does not carry."""
    origin, args = get_origin(hint), get_args(hint)
    if hint in PLAIN:
        return None, None
    if hint is datetime:
        return datetime.isoformat, datetime.fromisoformat
    if hint is date:
        return date.isoformat, date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, Enum):
        # A StrEnum or IntEnum is already a JSON string or number.
        return (None if issubclass(hint, (str, int)) else _enum_value), hint
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        shape = Shape(hint)
        return shape.encode, shape.decode
    if origin in (Union, types.UnionType):
        return _optional(hint, [arg for arg in args if arg is not type(None)])
    if origin in (tuple, frozenset, set, list):
        return _sequence(hint, origin, args)
    if origin is dict and args and args[0] is str:
        to_json, from_json = converters(args[1])
        if to_json is None and from_json is None:
            return None, dict
        return _mapping(to_json), _mapping(from_json)
    raise TypeError(f"the event codec cannot carry a value of type {hint!r}")


def _enum_value(value: Enum) -> Any:
    return value.value


def _optional(hint: Any, kinds: list[Any]) -> tuple[Convert | None, Convert | None]:
    """`X | None` converts as X (None stays None); a union of JSON scalars as they are."""
    if len(kinds) == 1:
        return converters(kinds[0])
    if all(kind in PLAIN for kind in kinds):
        return None, None
    raise TypeError(f"the event codec cannot carry a value of type {hint!r}")


def _sequence(hint: Any, origin: Any, args: tuple[Any, ...]) -> tuple[Convert, Convert]:
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        raise TypeError(f"the event codec cannot carry a value of type {hint!r} (fixed tuple)")
    to_json, from_json = converters(args[0]) if args else (None, None)
    build: Callable[[Any], Any] = {tuple: tuple, frozenset: frozenset, set: set, list: list}[origin]

    def encode(value: Any) -> list[Any]:
        items = sorted(value) if origin in (frozenset, set) else value
        return list(items) if to_json is None else [to_json(item) for item in items]

    def decode(value: list[Any]) -> Any:
        return build(value if from_json is None else (from_json(item) for item in value))

    return encode, decode


def _mapping(convert: Convert | None) -> Convert:
    def each(value: dict[str, Any]) -> dict[str, Any]:
        return {k: v if convert is None else convert(v) for k, v in value.items()}

    return each


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
        self._by_class: dict[type, Shape] = {}
        self._by_name: dict[str, Shape] = {}
        self._learn()

    def _learn(self) -> None:
        for cls in event_classes():
            if cls not in self._by_class:
                shape = Shape(cls)
                self._by_class[cls] = self._by_name[cls.__name__] = shape

    def encode(self, event: DomainEvent) -> bytes:
        shape = self._by_class.get(type(event))
        if shape is None:
            self._learn()
            shape = self._by_class[type(event)]
        return json.dumps([shape.cls.__name__, shape.encode(event)], separators=(",", ":")).encode()

    def kind(self, name: str) -> type[DomainEvent] | None:
        """The event type named `name`, None when this codec knows none by that name."""
        shape = self._by_name.get(name)
        if shape is None and name:
            self._learn()
            shape = self._by_name.get(name)
        return None if shape is None else shape.cls

    def decode(self, data: bytes | str) -> DomainEvent:
        try:
            name, fields = json.loads(data)
            shape = self._by_name.get(name)
            if shape is None:
                self._learn()
                shape = self._by_name.get(name)
            if shape is None:
                raise CodecError(f"unknown event kind {name!r}")
            event = shape.decode(fields)
        except CodecError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
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
