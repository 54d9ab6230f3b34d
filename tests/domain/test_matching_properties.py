"""Properties of the matcher over any text a customer can type (Hypothesis)."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statuspage.domain import matching as m

from .test_matching import HOSTING_PARIS, LIVEDNS, SERVICES, SMTP, T0

MATCHER = m.Matcher(SERVICES)
INCIDENTS = [LIVEDNS, SMTP, HOSTING_PARIS]

#: Text as customers paste it: any character, and the shapes the matcher reads (times, durations,
#: codes, extensions, phone numbers, datacenters) mixed in.
FRAGMENTS = st.sampled_from(
    [
        "depuis 2h", "since 9:45 UK time", "ça fait 1h30", "~3h", "since Monday", "vers 25h99",
        "à 0h", "535 5.7.8", "SERVFAIL", "0x800CCC0E", ".fr", "exemple.co.uk", "+33 6 12 34 56 78",
        "Paris", "LU-B", "j'ai changé mon mot de passe", "is it related?", "Gmail", "wix",
        "\x1b[31m", "\x00", "\ud800", "é" * 300, "9" * 40, "http://", "@", "''", "h:",
    ]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=80), FRAGMENTS), max_size=12).map(" ".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=TEXT,
    message=TEXT,
    minutes=st.integers(min_value=-60 * 24 * 400, max_value=60 * 24 * 400),
    service=st.sampled_from([None, "livedns", "smtp-out", "payments", "unknown-service"]),
    domain=st.one_of(st.none(), st.text(max_size=40), st.sampled_from(["a.fr", "b.co.uk"])),
    lang=st.sampled_from(["en", "fr"]),
)
def test_any_request_gets_an_answer_with_scores_between_0_and_1(
    subject, message, minutes, service, domain, lang
):
    request = m.Request(subject, message, T0 + timedelta(minutes=minutes), service, domain, lang)
    result = MATCHER.match(request, INCIDENTS)
    for match in result.matches:
        assert 0.0 <= match.score <= 1.0
    if result.proposal is not None:
        assert result.proposal.score >= MATCHER.proposal_threshold
        assert any(r.for_customer for r in result.proposal.reasons)
        assert result.proposal in result.shown
    assert [x.score for x in result.matches] == sorted(
        (x.score for x in result.matches), reverse=True
    )
    # the same request, the same answer
    again = MATCHER.match(request, INCIDENTS)
    assert again.proposal_id == result.proposal_id
    assert [(x.incident_id, x.score) for x in again.matches] == [
        (x.incident_id, x.score) for x in result.matches
    ]


@settings(max_examples=100, deadline=None)
@given(year=st.sampled_from([1, 2, 1970, 9998, 9999]), text=TEXT)
def test_requests_dated_at_the_ends_of_the_calendar_do_not_break_it(year, text):
    at = datetime(year, 6, 1, 12, tzinfo=UTC)
    request = m.Request("Subject " + text, text, at, "livedns", None, "fr")
    result = MATCHER.match(request, [*INCIDENTS, m.Incident("x", "X", "incident", at)])
    assert all(0.0 <= x.score <= 1.0 for x in result.matches)
