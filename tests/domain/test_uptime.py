from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from statuspage.domain.status import ComponentStatus as C
from statuspage.domain.status import Segment
from statuspage.domain.uptime import DAYS, compute

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # noon: today is half observed
TODAY = NOW.date()
OBSERVED_MINUTES = (DAYS - 1) * 24 * 60 + 12 * 60


def seg(start, end, status=C.MAJOR_OUTAGE, incident="i1"):
    return Segment(incident, "c", status, start, end)


def at(day_offset, hour, minute=0):
    d = TODAY - timedelta(days=day_offset)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC)


def expected(weighted_minutes):
    return round(100 * (1 - weighted_minutes / OBSERVED_MINUTES), 2)


def test_no_incident_is_full_uptime_and_90_operational_cells():
    result = compute([], NOW)
    assert result.percentage == 100.0
    assert len(result.cells) == DAYS
    assert result.cells[0].day == TODAY - timedelta(days=DAYS - 1)
    assert result.cells[-1].day == TODAY
    assert {c.status for c in result.cells} == {C.OPERATIONAL}


def test_major_outage_counts_fully_partial_at_a_weight_degraded_not():
    segments = [
        seg(at(5, 10), at(5, 11), C.MAJOR_OUTAGE, "a"),
        seg(at(6, 10), at(6, 11), C.PARTIAL_OUTAGE, "b"),
        seg(at(7, 10), at(7, 11), C.DEGRADED_PERFORMANCE, "c"),
        seg(at(8, 10), at(8, 11), C.UNDER_MAINTENANCE, "d"),
    ]
    result = compute(segments, NOW)
    assert result.percentage == expected(60 + 0.3 * 60)
    cells = {c.day: c for c in result.cells}
    assert cells[TODAY - timedelta(days=5)].status is C.MAJOR_OUTAGE
    assert cells[TODAY - timedelta(days=6)].downtime_minutes == 18.0
    assert cells[TODAY - timedelta(days=7)].status is C.DEGRADED_PERFORMANCE
    assert cells[TODAY - timedelta(days=7)].downtime_minutes == 0
    assert cells[TODAY - timedelta(days=8)].incident_ids == ["d"]


def test_incident_spanning_midnight_counts_on_both_days():
    result = compute([seg(at(3, 23, 0), at(2, 1, 0))], NOW)
    cells = {c.day: c for c in result.cells}
    assert cells[TODAY - timedelta(days=3)].downtime_minutes == 60
    assert cells[TODAY - timedelta(days=2)].downtime_minutes == 60
    assert cells[TODAY - timedelta(days=3)].status is C.MAJOR_OUTAGE
    assert cells[TODAY - timedelta(days=2)].status is C.MAJOR_OUTAGE
    assert result.percentage == expected(120)


def test_segment_ending_at_midnight_does_not_mark_the_next_day():
    result = compute([seg(at(4, 22), at(3, 0))], NOW)
    cells = {c.day: c for c in result.cells}
    assert cells[TODAY - timedelta(days=4)].status is C.MAJOR_OUTAGE
    assert cells[TODAY - timedelta(days=3)].status is C.OPERATIONAL
    assert cells[TODAY - timedelta(days=3)].incident_ids == []


def test_overlapping_incidents_are_not_counted_twice_and_worst_wins():
    segments = [
        seg(at(1, 10), at(1, 12), C.PARTIAL_OUTAGE, "a"),
        seg(at(1, 11), at(1, 13), C.MAJOR_OUTAGE, "b"),
        seg(at(1, 11), at(1, 12), C.MAJOR_OUTAGE, "c"),
    ]
    result = compute(segments, NOW)
    cell = {c.day: c for c in result.cells}[TODAY - timedelta(days=1)]
    # 10:00-11:00 partial (18 weighted minutes), 11:00-13:00 major (120), no double count
    assert cell.downtime_minutes == 138
    assert cell.status is C.MAJOR_OUTAGE
    assert cell.incident_ids[0] in {"b", "c"}
    assert set(cell.incident_ids) == {"a", "b", "c"}


def test_ongoing_incident_counts_until_now_and_not_beyond():
    result = compute([seg(at(0, 11), None)], NOW)
    today = result.cells[-1]
    assert today.status is C.MAJOR_OUTAGE
    assert today.downtime_minutes == 60
    assert result.percentage == expected(60)


def test_incident_that_just_started_marks_today():
    result = compute([seg(NOW, None)], NOW)
    assert result.cells[-1].status is C.MAJOR_OUTAGE
    assert result.percentage == 100.0


def test_history_before_the_window_is_ignored_but_its_tail_counts():
    old = seg(at(DAYS + 10, 0), at(DAYS + 5, 0), incident="old")
    tail = seg(at(DAYS, 23), at(DAYS - 1, 1), incident="tail")
    result = compute([old, tail], NOW)
    assert result.cells[0].downtime_minutes == 60
    assert result.percentage == expected(60)


def test_days_before_the_component_existed_have_no_data():
    start = TODAY - timedelta(days=9)
    result = compute([], NOW, start_date=start)
    assert [c.status for c in result.cells[:-10]] == [None] * (DAYS - 10)
    assert result.cells[-10].status is C.OPERATIONAL
    assert result.percentage == 100.0


def test_downtime_over_a_short_life_weighs_on_the_short_life():
    start = TODAY  # created at midnight, observed for 12 hours
    result = compute([seg(at(0, 6), at(0, 9))], NOW, start_date=start)
    assert result.percentage == pytest.approx(75.0)


def test_component_created_today_at_now_is_full_uptime():
    result = compute([], NOW.replace(hour=0), start_date=date(2030, 1, 1))
    assert result.percentage == 100.0


PARIS = ZoneInfo("Europe/Paris")


def test_days_are_the_page_zone_s_days():
    """An outage at 23:30 UTC on 9 March is at 00:30 on the 10th in Paris: the 10th's cell."""
    outage = seg(datetime(2026, 3, 9, 23, 30, tzinfo=UTC), datetime(2026, 3, 10, 0, 0, tzinfo=UTC))
    in_utc = {c.day: c for c in compute([outage], NOW).cells}
    in_paris = {c.day: c for c in compute([outage], NOW, zone=PARIS).cells}
    assert in_utc[date(2026, 3, 9)].downtime_minutes == 30
    assert in_utc[date(2026, 3, 10)].downtime_minutes == 0
    assert in_paris[date(2026, 3, 9)].downtime_minutes == 0
    assert in_paris[date(2026, 3, 10)].downtime_minutes == 30
    assert compute([], NOW, zone=PARIS).cells[-1].day == date(2026, 3, 10)
    # at 23:30 UTC it is already tomorrow in Paris
    late = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    assert compute([], late, zone=PARIS).cells[-1].day == date(2026, 3, 11)


def test_the_day_the_clocks_change_has_its_own_length():
    """29 March 2026 in Paris is 23 hours long: a whole-day outage is 23 hours of downtime."""
    start = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # midnight in Paris (CET)
    end = datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # the next midnight (CEST)
    now = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)
    cells = {c.day: c for c in compute([seg(start, end)], now, zone=PARIS).cells}
    assert cells[date(2026, 3, 29)].downtime_minutes == 23 * 60
    assert cells[date(2026, 3, 28)].downtime_minutes == 0
    assert cells[date(2026, 3, 30)].downtime_minutes == 0
