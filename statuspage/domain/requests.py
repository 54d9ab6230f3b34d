"""The life of a customer request, and the numbers of deflection.

In words:

* A request is **stored first** (`received`), whatever happens next, with a reference such as
  `REQ-7K3F9Q`.
* If the matcher proposes an incident, the request waits for the customer's answer (`proposed`):
  "yes, this is my problem" attaches it to the incident's master ticket (`attached`); "no, my
  problem is different" sends it to the queue (`queued`) with the declined match recorded.
  Without any proposal it goes straight to the queue.
* When the matcher finds a second incident close to the first, both are offered ("is it one of
  these?"): the customer picks either one (`offered_choice`: only those two, never another), or
  neither, and "no, my problem is different" then turns both down.
* A proposal left unanswered for `PROPOSAL_TIMEOUT` is attached only if its score was in the high
  band (and the incident is not over); otherwise the request goes to the queue: a doubtful match
  never swallows a problem. With two incidents offered, nothing is attached by itself unless the
  first (the proposal) is in the high band; then it is the first. The private page tells the
  customer which will happen.
* When the incident is resolved, attached requests wait for the customer's confirmation
  (`awaiting_confirmation`): "fixed" closes it, "still broken" puts that request alone back in the
  queue with its history. Unanswered `CONFIRMATION_PERIOD` after the resolution, it is closed.
* The customer, or staff, may detach an attached request at any time: it joins the queue.
* When our team attaches a request (by hand, or by sweeping the backlog when an incident opens),
  the customer has not said it is their problem: until they confirm (`consent_pending`), their
  page asks "is this your problem?" as a proposal does, and a request attached by the sweep is
  told so by mail. Without an answer it stays attached; "no, my problem is different" detaches it.
* The customer's private page tells truthfully how the request stands towards the incident it
  shows (`relation`): proposed, attached, said not to be their problem, detached by our team,
  still broken after the resolution, or proposed and never attached.
* The numbers of an incident count the requests **received** for it: those tied to it (proposed
  to it, attached to it, that turned it down, or that our team detached from it, whenever they
  were written: a request swept onto it may predate it; a request offered it second counts once
  the customer picked it or turned both down) and those naming one of its services (or
  their group) written while it was active. A request naming no service ("I don't know") counts
  only for the incidents it is tied to; never proposed nor attached, it counts for none: nothing
  says which outage it is about, and counting it for every incident active at the time would
  count one request once per concurrent incident.
* Of those, **attached** are on the master ticket or were closed from it; a request whose customer
  said "still broken" after the resolution is counted as **still broken**, not attached: it was
  not deflected.
* **Deflection rate** of an incident = attached / received.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from statuspage.domain.errors import Conflict, InvalidInput

PROPOSAL_TIMEOUT = timedelta(minutes=30)
CONFIRMATION_PERIOD = timedelta(days=7)
REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone


class RequestState(StrEnum):
    RECEIVED = "received"
    PROPOSED = "proposed"
    ATTACHED = "attached"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    QUEUED = "queued"
    CLOSED = "closed"


OPEN_STATES = frozenset({RequestState.RECEIVED, RequestState.PROPOSED, RequestState.QUEUED})
ON_MASTER_TICKET = frozenset({RequestState.ATTACHED, RequestState.AWAITING_CONFIRMATION})


class RequestKind(StrEnum):
    TICKET = "ticket"  #: written through the contact form or the API
    AFFECTED = "affected"  #: "I'm affected too" on an incident page: an email, no text


class Relation(StrEnum):
    """How a request stands towards the incident its private page shows."""

    PROPOSED = "proposed"  #: the matcher proposed it, the customer has not answered yet
    TO_CONFIRM = "to_confirm"  #: our team attached it, the customer has not confirmed yet
    ATTACHED = "attached"  #: on the incident's master ticket
    DECLINED = "declined"  #: the customer said it is not their problem
    DETACHED_BY_STAFF = "detached_by_staff"  #: our team moved the request off it
    STILL_BROKEN = "still_broken"  #: attached, resolved, not fixed for the customer
    WAS_ATTACHED = "was_attached"  #: attached, then closed
    NOT_TAKEN = "not_taken"  #: proposed, then never attached (no answer in time, incident over)


class TransitionError(Conflict):
    """The request is not in a state where this makes sense (a double click, an old link)."""

    default_code = "transition"


class NotOfferedError(InvalidInput):
    """The customer's answer names an incident they were not offered (a forged or broken form)."""

    default_code = "not_offered"


def new_reference() -> str:
    return "REQ-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))


def after_timeout(score: float, high_threshold: float, incident_over: bool = False) -> RequestState:
    """An unanswered proposal: attached only in the high band and while the incident is not over,
    else a normal ticket. `score` is the proposal's: with two incidents offered, the first, never
    the second, may be attached this way. The private page says it before the timer does it."""
    if score >= high_threshold and not incident_over:
        return RequestState.ATTACHED
    return RequestState.QUEUED


def offered_choice(chosen: str | None, proposed: str, alternative: str | None = None) -> str:
    """The incident a "yes, this is my problem" attaches to: the one chosen, which must be one of
    those offered; the proposal when the answer names none (a page offering only one)."""
    if not chosen:
        return proposed
    if chosen == proposed or (alternative is not None and chosen == alternative):
        return chosen
    raise NotOfferedError(f"{chosen!r} was not offered for this request")


def proposal_expired(proposed_at: datetime, now: datetime) -> bool:
    return now - proposed_at >= PROPOSAL_TIMEOUT


def proposal_time_left(proposed_at: datetime, now: datetime) -> timedelta:
    """Rounded up to the minute, at least one: the page never promises less time than is left."""
    left = proposed_at + PROPOSAL_TIMEOUT - now
    minutes = -(-left // timedelta(minutes=1))
    return timedelta(minutes=max(minutes, 1))


def check(state: RequestState, allowed: frozenset[RequestState] | set[RequestState]) -> None:
    if state not in allowed:
        raise TransitionError(f"not possible while the request is {state}")


def deflection_rate(attached: int, received: int) -> float | None:
    return None if received == 0 else attached / received


def relation(
    state: RequestState,
    *,
    attached: bool,
    declined: bool,
    detached_by_staff: bool,
    still_broken: bool,
    to_confirm: bool = False,
) -> Relation:
    """The request towards one incident: `attached` (it is the request's incident), `declined`
    (the customer said it is not their problem), `detached_by_staff` (our team detached the request
    from it), `to_confirm` (see `consent_pending`). What the customer said wins over what our team
    did."""
    if state is RequestState.PROPOSED:
        return Relation.PROPOSED
    if attached:
        if state is RequestState.ATTACHED and to_confirm:
            return Relation.TO_CONFIRM
        if state in ON_MASTER_TICKET:
            return Relation.ATTACHED
        if still_broken and state is RequestState.QUEUED:
            return Relation.STILL_BROKEN
        return Relation.WAS_ATTACHED
    if declined:
        return Relation.DECLINED
    if detached_by_staff:
        return Relation.DETACHED_BY_STAFF
    return Relation.NOT_TAKEN


def consent_pending(actions: Sequence[str]) -> bool:
    """Attached by our team and not confirmed since by the customer, from the request's history
    (its events' actions, oldest first). Once attached by staff, a request never goes back to a
    proposal, so only a later "confirmed" ends the wait."""
    for action in reversed(actions):
        if action == "confirmed":
            return False
        if action == "attached by staff":
            return True
    return False


#: The events that put a request in the queue, as its history records them.
QUEUE_EVENTS = ("queued", "declined", "detached", "detached by staff", "still broken")


def why_queued(state: RequestState, actions: Sequence[str]) -> str | None:
    """For staff: the event that put a queued request there (its events' actions, oldest
    first): "declined", "detached", "detached by staff", "still broken", or "queued" (no match,
    no answer in time, the matcher unavailable); None when the request is not in the queue."""
    if state is not RequestState.QUEUED:
        return None
    for action in reversed(actions):
        if action in QUEUE_EVENTS:
            return action
    return None
