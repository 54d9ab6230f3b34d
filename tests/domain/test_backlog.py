from statuspage.domain.backlog import DEFAULT_TRIGGER, Mode, is_overdue, state
from statuspage.domain.status import Impact, IncidentKind

INC, M = IncidentKind.INCIDENT, IncidentKind.MAINTENANCE


def test_auto_turns_on_with_a_major_or_critical_incident_only():
    assert not state(Mode.AUTO, []).active
    assert not state(Mode.AUTO, [(INC, Impact.MINOR), (INC, Impact.NONE)]).active
    assert state(Mode.AUTO, [(INC, Impact.MINOR), (INC, Impact.MAJOR)]).active
    assert state(Mode.AUTO, [(INC, Impact.CRITICAL)]).active


def test_maintenance_never_triggers_it():
    assert not state(Mode.AUTO, [(M, Impact.MAINTENANCE)]).active


def test_trigger_is_configurable():
    assert state(Mode.AUTO, [(INC, Impact.MINOR)], frozenset({Impact.MINOR})).active
    assert not state(Mode.AUTO, [(INC, Impact.CRITICAL)], frozenset()).active
    assert frozenset({Impact.MAJOR, Impact.CRITICAL}) == DEFAULT_TRIGGER


def test_forced_modes_hold_whatever_the_incidents():
    assert state(Mode.ON, []).active
    assert not state(Mode.OFF, [(INC, Impact.CRITICAL)]).active


def test_overdue_after_the_limit():
    assert not is_overdue(30, 30)
    assert is_overdue(31, 30)
