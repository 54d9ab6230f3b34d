from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import requests as rq
from statuspage.domain.requests import (
    PROPOSAL_TIMEOUT,
    NotOfferedError,
    Relation,
    RequestState,
    after_timeout,
    consent_pending,
    offered_choice,
    proposal_time_left,
    relation,
)

S = RequestState


def towards(
    state,
    attached=False,
    declined=False,
    detached_by_staff=False,
    still_broken=False,
    to_confirm=False,
):
    return relation(
        state,
        attached=attached,
        declined=declined,
        detached_by_staff=detached_by_staff,
        still_broken=still_broken,
        to_confirm=to_confirm,
    )


def test_a_proposal_waits_for_the_answer():
    assert towards(S.PROPOSED) is Relation.PROPOSED


def test_on_the_master_ticket_until_resolved_and_confirmed():
    assert towards(S.ATTACHED, attached=True) is Relation.ATTACHED
    assert towards(S.AWAITING_CONFIRMATION, attached=True) is Relation.ATTACHED
    assert towards(S.CLOSED, attached=True) is Relation.WAS_ATTACHED


def test_still_broken_while_back_in_the_queue_only():
    assert towards(S.QUEUED, attached=True, still_broken=True) is Relation.STILL_BROKEN
    assert towards(S.CLOSED, attached=True, still_broken=True) is Relation.WAS_ATTACHED


def test_what_the_customer_said_wins_over_what_staff_did():
    assert towards(S.QUEUED, declined=True) is Relation.DECLINED
    assert towards(S.QUEUED, detached_by_staff=True) is Relation.DETACHED_BY_STAFF
    assert towards(S.QUEUED, declined=True, detached_by_staff=True) is Relation.DECLINED


def test_a_proposal_never_attached():
    assert towards(S.QUEUED) is Relation.NOT_TAKEN
    assert towards(S.CLOSED) is Relation.NOT_TAKEN


def test_an_unanswered_proposal_is_attached_only_in_the_high_band_of_a_live_incident():
    assert after_timeout(0.9, 0.8) is S.ATTACHED
    assert after_timeout(0.8, 0.8) is S.ATTACHED
    assert after_timeout(0.79, 0.8) is S.QUEUED
    assert after_timeout(0.9, 0.8, incident_over=True) is S.QUEUED


def test_the_time_left_is_rounded_up_to_the_minute():
    at = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert proposal_time_left(at, at) == PROPOSAL_TIMEOUT
    assert proposal_time_left(at, at + timedelta(seconds=1)) == PROPOSAL_TIMEOUT
    assert proposal_time_left(at, at + timedelta(minutes=20)) == timedelta(minutes=10)
    assert proposal_time_left(at, at + PROPOSAL_TIMEOUT) == timedelta(minutes=1)


def test_attached_by_our_team_waits_for_the_customer_s_yes():
    assert towards(S.ATTACHED, attached=True, to_confirm=True) is Relation.TO_CONFIRM
    # the resolution asks its own question
    assert towards(S.AWAITING_CONFIRMATION, attached=True, to_confirm=True) is Relation.ATTACHED


def test_consent_is_pending_from_a_staff_attachment_until_confirmed():
    assert not consent_pending(["received", "proposed", "attached"])
    assert consent_pending(["received", "queued", "attached by staff"])
    assert consent_pending(["received", "queued", "attached by staff", "resolved", "attached"])
    assert not consent_pending(["received", "queued", "attached by staff", "confirmed"])
    assert consent_pending(
        ["received", "attached by staff", "confirmed", "detached by staff", "attached by staff"]
    )


def test_yes_attaches_to_the_incident_chosen_among_those_offered():
    assert offered_choice(None, "first") == "first"
    assert offered_choice("", "first", "second") == "first"
    assert offered_choice("first", "first", "second") == "first"
    assert offered_choice("second", "first", "second") == "second"


@pytest.mark.parametrize(
    ("chosen", "alternative"),
    [("second", None), ("other", "second"), ("FIRST", "second"), ("first ", None)],
)
def test_an_incident_not_offered_is_refused(chosen, alternative):
    with pytest.raises(NotOfferedError):
        offered_choice(chosen, "first", alternative)


def test_staff_read_why_a_request_is_in_the_queue():
    queued = rq.RequestState.QUEUED
    assert rq.why_queued(queued, ["received", "queued"]) == "queued"
    assert rq.why_queued(queued, ["received", "proposed", "declined", "handed off"]) == "declined"
    history = ["received", "proposed", "attached", "resolved", "still broken"]
    assert rq.why_queued(queued, history) == "still broken"
    moved = ["received", "queued", "attached by staff", "detached by staff"]
    assert rq.why_queued(queued, moved) == "detached by staff"
    assert rq.why_queued(rq.RequestState.ATTACHED, ["received", "proposed", "attached"]) is None
