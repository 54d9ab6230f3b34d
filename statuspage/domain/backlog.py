"""Backlog Killer mode: during a big outage, switch the live chat off and lead with the incident.

The rule, in words: in `auto` mode it is on exactly while at least one active incident has an
impact in the trigger set (major and critical by default); staff can force it `on` or `off`, which
holds until they set it back to `auto`. Maintenances never trigger it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from statuspage.domain.status import Impact, IncidentKind


class Mode(StrEnum):
    AUTO = "auto"
    ON = "on"
    OFF = "off"


DEFAULT_TRIGGER = frozenset({Impact.MAJOR, Impact.CRITICAL})


@dataclass(frozen=True)
class State:
    active: bool
    mode: Mode
    reason: str  #: "forced on", "forced off", "<n> major incident(s)", "no major incident"


def state(
    mode: Mode,
    active_incidents: Iterable[tuple[IncidentKind, Impact]],
    trigger: frozenset[Impact] = DEFAULT_TRIGGER,
) -> State:
    if mode is Mode.ON:
        return State(True, mode, "forced on")
    if mode is Mode.OFF:
        return State(False, mode, "forced off")
    triggering = [
        impact
        for kind, impact in active_incidents
        if kind is IncidentKind.INCIDENT and impact in trigger
    ]
    if triggering:
        return State(
            True,
            mode,
            f"{len(triggering)} active incident(s) of impact "
            + "/".join(sorted({i.value for i in triggering})),
        )
    return State(False, mode, "no active incident of a triggering impact")


@dataclass(frozen=True)
class Reason:
    """A recorded reason as data, for the console to put it into the reader's language."""

    kind: str  #: "forced on", "forced off", "triggered", "not triggered", or "other"
    count: int = 0
    impacts: tuple[Impact, ...] = ()
    text: str = ""  #: the recorded words, for a reason of another kind


_TRIGGERED = re.compile(r"(\d+) active incident\(s\) of impact ([a-z/]+)")


def read_reason(text: str) -> Reason:
    """The reason `state` wrote (the events keep its English words, old rows included)."""
    if text in ("forced on", "forced off"):
        return Reason(text)
    if text == "no active incident of a triggering impact":
        return Reason("not triggered")
    found = _TRIGGERED.fullmatch(text)
    if found:
        try:
            impacts = tuple(Impact(value) for value in found.group(2).split("/"))
        except ValueError:
            return Reason("other", text=text)
        return Reason("triggered", int(found.group(1)), impacts)
    return Reason("other", text=text)


def is_overdue(last_update_minutes_ago: float, limit_minutes: int) -> bool:
    """An active incident whose last update is older than the limit needs one."""
    return last_update_minutes_ago > limit_minutes
