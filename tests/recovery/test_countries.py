"""Where the patient lives: country from the tz database's zone table, emergency number per country."""
from __future__ import annotations

import pytest

from recovery.countries import country_for_timezone, is_country_code
from recovery.emergency_numbers import EMERGENCY_NUMBERS, FALLBACK_EMERGENCY_NUMBER, emergency_number_for


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("America/New_York", "US"), ("America/Los_Angeles", "US"), ("America/Toronto", "CA"),
        ("Europe/London", "GB"), ("Asia/Tokyo", "JP"), ("Australia/Sydney", "AU"), ("Pacific/Auckland", "NZ"),
        ("Europe/Madrid", "ES"), ("Europe/Oslo", "NO"), ("America/Mexico_City", "MX"),
        # backward aliases, resolved through tzdata.zi's link lines
        ("US/Eastern", "US"), ("Asia/Calcutta", "IN"), ("GB", "GB"), ("Japan", "JP"), ("Australia/ACT", "AU"),
    ],
)
def test_a_zone_gives_the_country_of_the_tz_database_zone_table(zone, country):
    assert country_for_timezone(zone) == country


@pytest.mark.parametrize("zone", ["UTC", "Etc/UTC", "Etc/GMT+5", "Not/A_Zone"])
def test_zones_of_no_country_give_none(zone):
    assert country_for_timezone(zone) is None


@pytest.mark.parametrize(
    ("country", "number"),
    [("US", "911"), ("CA", "911"), ("GB", "999"), ("AU", "000"), ("NZ", "111"), ("JP", "119"), ("DE", "112"),
     ("FR", "112"), ("ES", "112"), ("IE", "112"), ("gb", "999")],
)
def test_emergency_numbers_of_shared_api_md(country, number):
    assert emergency_number_for(country) == number


@pytest.mark.parametrize(("zone", "number"), [
    ("America/Guayaquil", "911"), ("America/Montevideo", "911"), ("America/Asuncion", "911"),
    ("America/Costa_Rica", "911"), ("America/Panama", "911"), ("America/Santo_Domingo", "911"),
    ("America/El_Salvador", "911"), ("America/Tegucigalpa", "911"), ("America/Mexico_City", "911"),
])
def test_a_spanish_speaking_patient_in_a_911_country_is_not_told_112_is_their_local_number(zone, number):
    """The advice says "%(number)s is your local emergency number": in Ecuador or Uruguay that is 911."""
    assert emergency_number_for(country_for_timezone(zone)) == number


@pytest.mark.parametrize("country", [None, "", "AQ", "ZZ"])
def test_unknown_countries_fall_back_to_112(country):
    assert FALLBACK_EMERGENCY_NUMBER == "112"
    assert emergency_number_for(country) == "112"


def test_every_country_of_the_table_is_an_iso_code_the_tz_database_knows():
    assert [code for code in EMERGENCY_NUMBERS if not is_country_code(code)] == []
    assert is_country_code("GB") and not is_country_code("UK") and not is_country_code("gb")
