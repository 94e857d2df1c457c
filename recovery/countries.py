"""Which country a patient is in, read from the tz database's own tables (the pinned `tzdata` package).

`zone.tab` maps each geographic zone to the one country it serves (Asia/Tokyo -> JP); backward
aliases (US/Eastern, Asia/Calcutta, GB, Japan) are resolved through the `L target alias` lines of
`tzdata.zi` first. `iso3166.tab` is the list of country codes the tz database knows, used to check
a country a patient sets by hand. Nothing here is a hand-written list of zones.
"""
from __future__ import annotations

from functools import cache
from importlib import resources


def _tz_table(name: str) -> list[list[str]]:
    """The tab-separated rows of one of tzdata's tables, comments and blank lines dropped."""
    text = resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> country name, from tzdata's iso3166.tab."""
    return {row[0]: row[1] for row in _tz_table("iso3166.tab")}


@cache
def _zone_countries() -> dict[str, str]:
    return {row[2]: row[0] for row in _tz_table("zone.tab")}


@cache
def _aliases() -> dict[str, str]:
    """alias -> target zone, from the `L` (link) lines of tzdata.zi."""
    text = resources.files("tzdata").joinpath("zoneinfo", "tzdata.zi").read_text(encoding="utf-8")
    links = (line.split() for line in text.splitlines() if line.startswith("L "))
    return {parts[2]: parts[1] for parts in links if len(parts) == 3}


def country_for_timezone(zone: str) -> str | None:
    """The ISO country code of an IANA zone, or None for zones of no country (UTC, Etc/GMT+5)."""
    countries, aliases = _zone_countries(), _aliases()
    seen: set[str] = set()
    while zone not in countries and zone in aliases and zone not in seen:
        seen.add(zone)
        zone = aliases[zone]
    return countries.get(zone)


def is_country_code(code: str) -> bool:
    return code in country_names()
