"""Handing requests off to the company's own help desk.

In words:

* A request that ends in **our queue** is a ticket for the support team, who already work in a
  help desk (Zendesk, Freshdesk, osTicket, Zammad...): it is handed off there, by mail (every
  help desk ingests mail) and/or as signed JSON to a webhook. Ends in our queue: no incident
  proposed (or the matcher unavailable), the proposal declined ("my problem is different"), left
  unanswered in the low band when its timer runs out, the chosen incident already over, or a
  request stored then interrupted before its matcher answered.
* A request on an incident's **master ticket** is the incident's business, not the help desk's:
  it is handed off only when it leaves it (detached by the customer or by our team, "still
  broken" after the resolution), with its history, so that the agent reads what happened.
* **Exactly once per event**: a handoff is written in the transaction that moves the request to
  the queue, numbered per request (`sequence`); two workers moving the same request at once
  cannot both commit (the request's version is checked), and the mail and the webhook are then
  sent by the outbox and the webhook deliveries, each claimed before it is sent. The receiver
  can deduplicate its own retries by `handoff.id` (`REQ-7K3F9Q/1`).
"""

from __future__ import annotations

from enum import StrEnum


class HandoffReason(StrEnum):
    NO_MATCH = "no_match"  #: no active incident matched the request
    MATCHER_UNAVAILABLE = "matcher_unavailable"  #: the matcher failed: the request is kept
    INTERRUPTED = "interrupted"  #: stored, then the process died before the matcher answered
    DECLINED = "declined"  #: "no, my problem is different" to a proposal
    UNANSWERED = "unanswered"  #: a proposal left unanswered, not in the high band
    INCIDENT_OVER = "incident_over"  #: the incident the customer chose was over meanwhile
    DETACHED = "detached"  #: attached, then "my problem is different" (the customer)
    DETACHED_BY_STAFF = "detached_by_staff"  #: attached, then moved to the queue by our team
    STILL_BROKEN = "still_broken"  #: attached, resolved, and not fixed for the customer


#: The reasons of a request that leaves a master ticket: its history is the point.
LEFT_MASTER_TICKET = frozenset(
    {HandoffReason.DETACHED, HandoffReason.DETACHED_BY_STAFF, HandoffReason.STILL_BROKEN}
)


def handoff_id(reference: str, sequence: int) -> str:
    """Stable across retries: what a receiver deduplicates on."""
    return f"{reference}/{sequence}"


def subject(reference: str, customer_subject: str, fallback: str) -> str:
    """The help desk's ticket title: the reference first, so that agents and filters find it,
    then the customer's subject (or `fallback` when they gave none), on one line."""
    words = " ".join((customer_subject or "").split()) or fallback
    return f"[{reference}] {words}"[:255]
