"""The 90-day uptime bars and percentage of a component.

The formula, in words:

* The window is the last `DAYS` calendar days of the page's time zone (Paris by default: a day
  is a Paris day, 23 or 25 hours when the clocks change), today included. It is *observed* from its
  first midnight (or from the component's `start_date`, if later) until `now`; the future part of
  today is not counted, nor are days before the component existed.
* At each instant a component has the worst status that the incidents holding it give it
  (overlapping incidents are never counted twice: the worst wins at each instant).
* Weighted downtime = minutes at `major_outage` x 1 + minutes at `partial_outage` x 0.3.
  `degraded_performance` and `under_maintenance` count for nothing: the service works, slowly or
  as announced.
* Uptime % = 100 x (1 - weighted downtime / observed minutes), 100 when nothing was observed.
* A day's cell shows the worst status reached that day, even for one minute, and the incidents
  that put it there. An ongoing incident counts until `now`; one spanning midnight counts on both
  days, each with its own minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from statuspage.domain.status import SEVERITY, ComponentStatus, Segment, worst

DAYS = 90

WEIGHTS: dict[ComponentStatus, float] = {
    ComponentStatus.MAJOR_OUTAGE: 1.0,
    ComponentStatus.PARTIAL_OUTAGE: 0.3,
}


@dataclass
class DayCell:
    day: date
    status: ComponentStatus | None  #: None: no data (before the component existed, or future)
    downtime_minutes: float = 0.0  #: weighted, as in the formula
    incident_ids: list[str] = field(default_factory=list)


@dataclass
class Uptime:
    cells: list[DayCell]
    percentage: float


def _midnight(day: date, zone: tzinfo = UTC) -> datetime:
    """The day's first instant in `zone`, in UTC."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _weighted_downtime(pieces: list[tuple[datetime, datetime, ComponentStatus]]) -> float:
    """Minutes of weighted downtime over possibly overlapping pieces, worst wins at each instant."""
    points = sorted({p for start, end, _ in pieces for p in (start, end)})
    total = 0.0
    for left, right in zip(points, points[1:], strict=False):
        statuses = [s for start, end, s in pieces if start <= left and end >= right]
        weight = WEIGHTS.get(worst(statuses), 0.0) if statuses else 0.0
        total += weight * (right - left).total_seconds() / 60
    return total


def compute(
    segments: Iterable[Segment],
    now: datetime,
    start_date: date | None = None,
    days: int = DAYS,
    zone: tzinfo = UTC,
) -> Uptime:
    """Uptime of one component (or of a group, given all its children's segments), by the days
    of `zone`."""
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    observed_from = _midnight(first_day, zone)
    if start_date is not None and _midnight(start_date, zone) > observed_from:
        observed_from = _midnight(start_date, zone)
    pieces = []
    for seg in segments:
        start = max(seg.start, observed_from)
        end = min(seg.end or now, now)
        if end > start or (end == start and seg.end is None):
            pieces.append((start, end, seg.incident_id, seg.status))

    cells: list[DayCell] = []
    total_downtime = 0.0
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        day_start, day_end = _midnight(day, zone), _midnight(day + timedelta(days=1), zone)
        if day_end <= observed_from:
            cells.append(DayCell(day, None))
            continue
        day_start = max(day_start, observed_from)
        day_end = min(day_end, now)
        in_day = [
            (max(s, day_start), min(e, day_end), inc, st)
            for s, e, inc, st in pieces
            if min(e, day_end) > max(s, day_start) or (s == e and day_start <= s <= day_end)
        ]
        status = worst(st for *_, st in in_day)
        downtime = _weighted_downtime([(s, e, st) for s, e, _, st in in_day])
        total_downtime += downtime
        incident_ids = []
        for *_, inc, st in sorted(in_day, key=lambda p: -SEVERITY[p[3]]):
            if inc not in incident_ids and st is not ComponentStatus.OPERATIONAL:
                incident_ids.append(inc)
        cells.append(DayCell(day, status, round(downtime, 2), incident_ids))

    observed_minutes = max((now - observed_from).total_seconds() / 60, 0.0)
    if observed_minutes <= 0:
        percentage = 100.0
    else:
        percentage = max(0.0, 100.0 * (1 - total_downtime / observed_minutes))
    return Uptime(cells, round(percentage, 2))
