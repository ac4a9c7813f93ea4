"""A lead's local time zone: from its customer's country, else its number, else the site's."""

from __future__ import annotations

import functools
import importlib.resources
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import phonenumbers
from phonenumbers import NumberParseException
from phonenumbers import timezone as number_zones

# What phonenumbers answers for a number it cannot place.
_UNKNOWN = "Etc/Unknown"


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """The zone chosen for a lead, where it came from, and a sentence when it was a pick
    among several (shown in an import report so a person can set the zone by hand)."""

    zone: str
    source: str  # override | customer | number | site
    note: str | None = None


def is_zone(name: str) -> bool:
    """Whether `name` is an IANA time zone the zone database knows."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


@functools.cache
def country_zones() -> dict[str, tuple[str, ...]]:
    """ISO country code -> its zones in the order of the tz database's `zone.tab`.

    That file lists a country's most populous zone first (New York for the US): the order
    a deterministic pick follows.
    """
    text = _zone_tab()
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) >= 3 and is_zone(cells[2]):
            found.setdefault(cells[0].upper(), []).append(cells[2])
    return {country: tuple(zones) for country, zones in found.items()}


def _zone_tab() -> str:
    for root in zoneinfo.TZPATH:
        path = Path(root) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:  # the tzdata package, where the system has no zone database
        return (importlib.resources.files("tzdata.zoneinfo") / "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


def number_zones_of(number: str) -> tuple[str | None, tuple[str, ...]]:
    """The country of an E.164 number and the zones its prefix spans (known ones only)."""
    try:
        parsed = phonenumbers.parse(number, None)
    except NumberParseException:
        return None, ()
    zones = tuple(
        z for z in number_zones.time_zones_for_number(parsed) if z != _UNKNOWN and is_zone(z)
    )
    return phonenumbers.region_code_for_number(parsed), zones


def _pick(candidates: tuple[str, ...], country: str | None) -> str:
    """One of several zones, deterministically: the first the country's `zone.tab` lists
    (its principal zone), else the alphabetically first."""
    listed = country_zones().get((country or "").upper(), ())
    for zone in listed:
        if zone in candidates:
            return zone
    return sorted(candidates)[0]


def lead_time_zone(
    number: str,
    *,
    customer_country: str | None = None,
    override: str | None = None,
    site_zone: str = "UTC",
) -> ZoneChoice:
    """The zone a lead's calling hours and call-back times are read in.

    In order: an explicit zone (a CSV column, the API); the customer's country when it has
    a single zone, or the zone both the country and the number agree on; the number's own
    zone; the site's zone. Where several zones remain (a US toll-free number, a Russian
    mobile), the principal zone of the country is taken and the choice says so.
    """
    if override:
        return ZoneChoice(override, "override")
    number_country, from_number = number_zones_of(number)
    if customer_country:
        country = customer_country.upper()
        listed = country_zones().get(country, ())
        if len(listed) == 1:
            return ZoneChoice(listed[0], "customer")
        shared = tuple(z for z in from_number if z in listed)
        if len(shared) == 1:
            return ZoneChoice(shared[0], "customer")
        if listed:
            pool = shared or listed
            zone = _pick(pool, country)
            return ZoneChoice(zone, "customer", _several(pool, zone, f"country {country}"))
    if len(from_number) == 1:
        return ZoneChoice(from_number[0], "number")
    if from_number:
        zone = _pick(from_number, number_country)
        return ZoneChoice(zone, "number", _several(from_number, zone, f"number {number}"))
    return ZoneChoice(
        site_zone, "site", f"no time zone known for {number}; using the site's {site_zone}"
    )


def _several(zones: tuple[str, ...], chosen: str, what: str) -> str:
    return (
        f"{what} spans {len(zones)} time zones; using {chosen} (give a time_zone to choose another)"
    )
