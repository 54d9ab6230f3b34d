import pytest

from statuspage.domain import lifecycle
from statuspage.domain.status import IncidentKind, IncidentStatus

S = IncidentStatus
INC, M = IncidentKind.INCIDENT, IncidentKind.MAINTENANCE


@pytest.mark.parametrize(
    ("kind", "current", "new"),
    [
        (INC, S.INVESTIGATING, S.IDENTIFIED),
        (INC, S.IDENTIFIED, S.INVESTIGATING),  # back to investigating: a fix did not hold
        (INC, S.MONITORING, S.MONITORING),  # a note without a status change
        (INC, S.INVESTIGATING, S.RESOLVED),
        (M, S.SCHEDULED, S.IN_PROGRESS),
        (M, S.SCHEDULED, S.COMPLETED),  # cancelled before it began
        (M, S.IN_PROGRESS, S.VERIFYING),
        (M, S.VERIFYING, S.IN_PROGRESS),
        (M, S.VERIFYING, S.COMPLETED),
    ],
)
def test_allowed_transitions(kind, current, new):
    lifecycle.check_update(kind, current, new, "message")
    assert new in lifecycle.allowed_next(kind, current)


@pytest.mark.parametrize(
    ("kind", "current", "new", "code"),
    [
        (INC, S.RESOLVED, S.INVESTIGATING, "closed"),  # reopen first
        (INC, S.RESOLVED, S.RESOLVED, "closed"),
        (INC, S.POSTMORTEM, S.MONITORING, "closed"),
        (INC, S.INVESTIGATING, S.POSTMORTEM, "transition"),  # only by publishing a postmortem
        (INC, S.INVESTIGATING, S.IN_PROGRESS, "wrong_kind"),
        (M, S.IN_PROGRESS, S.IDENTIFIED, "wrong_kind"),
        (M, S.COMPLETED, S.IN_PROGRESS, "closed"),
        (M, S.IN_PROGRESS, S.SCHEDULED, "transition"),
    ],
)
def test_refused_transitions(kind, current, new, code):
    with pytest.raises(lifecycle.LifecycleError) as refused:
        lifecycle.check_update(kind, current, new, "message")
    assert refused.value.code == code
    assert new not in lifecycle.allowed_next(kind, current)


def test_resolution_needs_a_message():
    with pytest.raises(lifecycle.LifecycleError, match="needs a message"):
        lifecycle.check_update(INC, S.MONITORING, S.RESOLVED, "  ")
    with pytest.raises(lifecycle.LifecycleError, match="needs a message"):
        lifecycle.check_update(M, S.IN_PROGRESS, S.COMPLETED, "")


def test_reopen_only_a_resolved_incident_to_an_open_status():
    lifecycle.check_reopen(INC, S.RESOLVED, S.IDENTIFIED)
    lifecycle.check_reopen(INC, S.POSTMORTEM, S.INVESTIGATING)
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_reopen(INC, S.MONITORING, S.INVESTIGATING)
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_reopen(INC, S.RESOLVED, S.RESOLVED)
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_reopen(M, S.COMPLETED, S.IN_PROGRESS)


def test_initial_statuses():
    lifecycle.check_initial(INC, S.INVESTIGATING)
    lifecycle.check_initial(M, S.SCHEDULED)
    refused = ((INC, S.RESOLVED), (INC, S.SCHEDULED), (M, S.COMPLETED), (M, S.IDENTIFIED))
    for kind, status in refused:
        with pytest.raises(lifecycle.LifecycleError):
            lifecycle.check_initial(kind, status)


def test_postmortem_only_on_a_resolved_incident():
    lifecycle.check_postmortem(INC, S.RESOLVED)
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_postmortem(INC, S.MONITORING)
    with pytest.raises(lifecycle.LifecycleError):
        lifecycle.check_postmortem(M, S.COMPLETED)


def test_a_window_closed_by_the_clock_still_takes_a_closing_note():
    # the record says in progress, the clock says completed: only completing it is offered
    assert lifecycle.allowed_updates(M, S.COMPLETED, stored=S.IN_PROGRESS) == (S.COMPLETED,)
    lifecycle.check_update(M, S.COMPLETED, S.COMPLETED, "done", stored=S.IN_PROGRESS)
    with pytest.raises(lifecycle.LifecycleError) as refused:
        lifecycle.check_update(M, S.COMPLETED, S.VERIFYING, "late", stored=S.IN_PROGRESS)
    assert refused.value.code == "closed"
    with pytest.raises(lifecycle.LifecycleError) as empty:
        lifecycle.check_update(M, S.COMPLETED, S.COMPLETED, " ", stored=S.IN_PROGRESS)
    assert empty.value.code == "body_required"
    # completed on record: nothing more
    assert lifecycle.allowed_updates(M, S.COMPLETED, stored=S.COMPLETED) == ()
    assert lifecycle.allowed_updates(INC, S.RESOLVED, stored=S.RESOLVED) == ()
    assert lifecycle.allowed_updates(M, S.SCHEDULED) == lifecycle.allowed_next(M, S.SCHEDULED)
