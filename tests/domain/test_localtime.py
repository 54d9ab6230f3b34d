from datetime import UTC, datetime

import pytest

from statuspage.domain import localtime

PARIS = localtime.zone("Europe/Paris")


def test_winter_is_cet_and_summer_cest():
    assert localtime.abbreviation(datetime(2026, 1, 15, 13, 0, tzinfo=UTC), PARIS) == "CET"
    assert localtime.abbreviation(datetime(2026, 7, 15, 13, 0, tzinfo=UTC), PARIS) == "CEST"


def test_wall_clock_round_trips_across_the_change_of_hour():
    winter = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 CET, just before the change
    summer = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, just after
    assert localtime.to_local(winter, PARIS) == datetime(2026, 3, 29, 1, 30)
    assert localtime.to_local(summer, PARIS) == datetime(2026, 3, 29, 3, 30)
    for moment in (winter, summer):
        assert localtime.from_local(localtime.to_local(moment, PARIS), PARIS) == moment
    typed = datetime(2026, 10, 25, 2, 30)  # happens twice: the first (CEST) is meant
    assert localtime.from_local(typed, PARIS) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_city_in_each_language_and_none_for_utc():
    assert localtime.city(PARIS, "fr") == "Paris"
    assert localtime.city(localtime.zone("America/New_York"), "fr") == "New York"
    assert localtime.city(localtime.zone("Etc/UTC"), "en") is None


def test_a_wrong_zone_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Pariss'"):
        localtime.zone("Europe/Pariss")
