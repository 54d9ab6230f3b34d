from statuspage.domain.requests import Relation, RequestState, relation

S = RequestState


def towards(state, attached=False, declined=False, detached_by_staff=False, still_broken=False):
    return relation(
        state,
        attached=attached,
        declined=declined,
        detached_by_staff=detached_by_staff,
        still_broken=still_broken,
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
