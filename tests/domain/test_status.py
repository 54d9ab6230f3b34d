from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import status as st
from statuspage.domain.ids import is_public_id, new_public_id

C = st.ComponentStatus
S = st.IncidentStatus
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def incident(
    id="inc1",
    status=S.INVESTIGATING,
    impact=st.Impact.MINOR,
    started_at=T0,
    resolved_at=None,
    changes=(),
    kind=st.IncidentKind.INCIDENT,
    **kw,
) -> st.IncidentFacts:
    updates = tuple(
        st.UpdateFacts(S.INVESTIGATING, at, (st.ComponentChange(cid, None, new),))
        for at, cid, new in changes
    )
    return st.IncidentFacts(
        id, "name", kind, status, impact, started_at, resolved_at, updates=updates, **kw
    )


def maintenance(status=S.SCHEDULED, start=T0, end=T0 + timedelta(hours=2), **kw):
    return incident(
        id="mnt1",
        kind=st.IncidentKind.MAINTENANCE,
        status=status,
        impact=st.Impact.MAINTENANCE,
        started_at=start,
        scheduled_for=start,
        scheduled_until=end,
        changes=[(start - timedelta(days=7), "web", C.UNDER_MAINTENANCE)],
        **kw,
    )


def test_public_ids_are_12_lowercase_letters_and_digits():
    ids = {new_public_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(is_public_id(i) for i in ids)
    assert not is_public_id("ABCDEFGHIJKL")
    assert not is_public_id("abc")


@pytest.mark.parametrize(
    ("statuses", "impacts", "indicator", "description"),
    [
        ([], [], "none", "All Systems Operational"),
        ([C.OPERATIONAL], [], "none", "All Systems Operational"),
        ([C.DEGRADED_PERFORMANCE], [], "minor", "Minor Service Outage"),
        ([C.PARTIAL_OUTAGE, C.DEGRADED_PERFORMANCE], [], "major", "Partial System Outage"),
        ([C.MAJOR_OUTAGE, C.UNDER_MAINTENANCE], [], "critical", "Major Service Outage"),
        ([C.UNDER_MAINTENANCE], [], "maintenance", "Service Under Maintenance"),
        # an incident outranks a maintenance, even a minor one
        ([C.UNDER_MAINTENANCE, C.DEGRADED_PERFORMANCE], [], "minor", "Minor Service Outage"),
        # a declared impact counts before components are marked
        ([], [st.Impact.CRITICAL], "critical", "Major Service Outage"),
        ([C.DEGRADED_PERFORMANCE], [st.Impact.MAJOR], "major", "Partial System Outage"),
        ([C.MAJOR_OUTAGE], [st.Impact.MINOR], "critical", "Major Service Outage"),
        ([], [st.Impact.NONE], "none", "All Systems Operational"),
    ],
)
def test_page_status_blending(statuses, impacts, indicator, description):
    active = [incident(id=f"i{n}", impact=impact) for n, impact in enumerate(impacts)]
    result = st.page_status(statuses, active)
    assert result.indicator == indicator
    assert result.description == description


def test_maintenance_impact_alone_does_not_raise_an_incident_indicator():
    result = st.page_status([C.UNDER_MAINTENANCE], [maintenance()])
    assert result.indicator == "maintenance"


def test_worst_component_status_wins_across_incidents():
    one = incident(id="a", changes=[(T0, "mail", C.DEGRADED_PERFORMANCE)])
    two = incident(id="b", changes=[(T0, "mail", C.MAJOR_OUTAGE), (T0, "dns", C.PARTIAL_OUTAGE)])
    states = st.current_component_states([one, two], T0 + timedelta(minutes=5))
    assert states["mail"].status is C.MAJOR_OUTAGE
    assert states["mail"].incident_ids == ["a", "b"]
    assert states["dns"].status is C.PARTIAL_OUTAGE


def test_latest_change_of_an_incident_is_its_current_say():
    inc = incident(
        changes=[(T0, "mail", C.MAJOR_OUTAGE), (T0 + timedelta(minutes=30), "mail", C.OPERATIONAL)]
    )
    assert st.current_component_states([inc], T0 + timedelta(hours=1)) == {}
    assert st.declared_components(inc) == {"mail": C.MAJOR_OUTAGE}


def test_resolved_or_future_incidents_hold_nothing():
    resolved = incident(
        status=S.RESOLVED, resolved_at=T0 + timedelta(hours=1), changes=[(T0, "m", C.MAJOR_OUTAGE)]
    )
    future = incident(
        id="f", started_at=T0 + timedelta(hours=3), changes=[(T0, "m", C.MAJOR_OUTAGE)]
    )
    assert st.current_component_states([resolved, future], T0 + timedelta(hours=2)) == {}
    assert not st.is_active(resolved, T0 + timedelta(hours=2))
    assert not st.is_active(future, T0 + timedelta(hours=2))


def test_maintenance_turns_with_its_window():
    m = maintenance()
    assert st.effective_status(m, T0 - timedelta(minutes=1)) is S.SCHEDULED
    assert st.is_upcoming(m, T0 - timedelta(minutes=1))
    assert st.current_component_states([m], T0 - timedelta(minutes=1)) == {}
    assert st.effective_status(m, T0) is S.IN_PROGRESS
    assert st.current_component_states([m], T0 + timedelta(hours=1))["web"].status is (
        C.UNDER_MAINTENANCE
    )
    assert st.effective_status(m, T0 + timedelta(hours=2)) is S.COMPLETED
    assert st.current_component_states([m], T0 + timedelta(hours=2)) == {}


def test_maintenance_completed_by_hand_ends_early():
    m = maintenance(status=S.COMPLETED, resolved_at=T0 + timedelta(minutes=30))
    assert not st.is_active(m, T0 + timedelta(minutes=40))
    (segment,) = st.segments(m, T0 + timedelta(hours=5))
    assert segment.end == T0 + timedelta(minutes=30)


def test_verifying_maintenance_is_still_active_until_the_window_ends():
    m = maintenance(status=S.VERIFYING)
    assert st.is_active(m, T0 + timedelta(minutes=90))
    assert st.effective_status(m, T0 + timedelta(hours=3)) is S.COMPLETED


def test_segments_follow_changes_and_clip_to_the_incident():
    inc = incident(
        status=S.RESOLVED,
        resolved_at=T0 + timedelta(hours=2),
        changes=[
            (T0 - timedelta(minutes=10), "m", C.PARTIAL_OUTAGE),  # before started_at: clipped
            (T0 + timedelta(hours=1), "m", C.DEGRADED_PERFORMANCE),
        ],
    )
    segments = st.segments(inc, T0 + timedelta(hours=5))
    assert [(s.status, s.start, s.end) for s in segments] == [
        (C.PARTIAL_OUTAGE, T0, T0 + timedelta(hours=1)),
        (C.DEGRADED_PERFORMANCE, T0 + timedelta(hours=1), T0 + timedelta(hours=2)),
    ]


def test_ongoing_segments_are_open_ended():
    inc = incident(changes=[(T0, "m", C.MAJOR_OUTAGE)])
    (segment,) = st.segments(inc, T0 + timedelta(minutes=1))
    assert segment.end is None
