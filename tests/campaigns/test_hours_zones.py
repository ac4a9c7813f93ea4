"""A lead's zone: the customer's country, the number, a deterministic pick, the site's."""

from __future__ import annotations

from callcenter.campaigns.timezones import ZoneChoice, country_zones, lead_time_zone


def test_the_customers_country_wins_when_it_has_one_zone() -> None:
    assert lead_time_zone("+12125550100", customer_country="de") == ZoneChoice(
        "Europe/Berlin", "customer"
    )


def test_country_and_number_agree_on_a_zone() -> None:
    # The US has many zones; a 312 (Chicago) number narrows it down.
    assert lead_time_zone("+13125550100", customer_country="US") == ZoneChoice(
        "America/Chicago", "customer"
    )


def test_the_number_alone_and_a_deterministic_pick_among_several() -> None:
    assert lead_time_zone("+4930123456") == ZoneChoice("Europe/Berlin", "number")
    mobile = lead_time_zone("+79161234567")
    assert (mobile.zone, mobile.source) == ("Europe/Moscow", "number")
    assert mobile.note is not None and mobile.note.startswith(
        "number +79161234567 spans 11 time zones; using Europe/Moscow"
    )
    assert country_zones()["US"][0] == "America/New_York"
    assert lead_time_zone("+18005550199").zone == "America/New_York"


def test_an_unplaceable_number_gets_the_sites_zone_and_an_override_wins() -> None:
    fictional = lead_time_zone("+15551230001", site_zone="Europe/Vienna")
    assert (fictional.zone, fictional.source) == ("Europe/Vienna", "site")
    assert fictional.note == "no time zone known for +15551230001; using the site's Europe/Vienna"
    assert lead_time_zone("+4930123456", override="Asia/Tokyo").zone == "Asia/Tokyo"


def test_zones_keeping_the_same_clock_count_as_one() -> None:
    london = lead_time_zone("+442079460000")
    assert (london.zone, london.note) == ("Europe/London", None)
