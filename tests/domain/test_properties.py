"""Properties that hold for any input (Hypothesis): the matcher, the input cleaning, the domain
parser and the time check never raise on what a customer can type, and answer consistently."""

from datetime import UTC, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from statuspage.domain import matching as m
from statuspage.domain.cleaning import (
    CONTROL,
    EARLIEST,
    LATEST,
    clean_data,
    clean_text,
    plausible_time,
)
from statuspage.domain.domains import normalise
from statuspage.domain.webhooks import url_problem

from .test_matching import DENIC, LIVEDNS, SERVICES, SMTP, T0

MATCHER = m.Matcher(SERVICES)
TEXT = s.text(max_size=400)
WORDS = s.lists(
    s.sampled_from(
        ["SERVFAIL", "dns", "mail", "smtp", "535", ".de", "site", "down", "facture", "é", "\x00"]
    ),
    max_size=12,
).map(" ".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    subject=s.one_of(TEXT, WORDS),
    message=s.one_of(TEXT, WORDS),
    minutes=s.integers(min_value=-600, max_value=6000),
    service=s.sampled_from([None, "dns", "livedns", "smtp-out", "unknown-id"]),
    domain=s.one_of(s.none(), s.text(max_size=60)),
    lang=s.sampled_from(["en", "fr", "de", ""]),
)
def test_the_matcher_never_raises_scores_in_0_1_same_input_same_answer(
    subject, message, minutes, service, domain, lang
):
    request = m.Request(subject, message, T0 + timedelta(minutes=minutes), service, domain, lang)
    result = MATCHER.match(request, [LIVEDNS, SMTP, DENIC])
    for match in result.matches:
        assert 0.0 <= match.score <= 1.0
    assert result.proposal is None or result.proposal in result.matches
    assert set(result.shown) <= set(result.matches)
    assert MATCHER.match(request, [LIVEDNS, SMTP, DENIC]) == result


@given(s.text())
def test_clean_text_leaves_no_control_and_is_idempotent(value):
    cleaned = clean_text(value)
    assert not CONTROL.search(cleaned)
    assert "\r" not in cleaned
    assert clean_text(cleaned) == cleaned
    cleaned.encode("utf-8")  # storable anywhere: no lone surrogate


JSON = s.recursive(
    s.none() | s.booleans() | s.integers() | s.text(),
    lambda children: s.lists(children, max_size=4) | s.dictionaries(s.text(), children, max_size=4),
)


@given(JSON)
def test_clean_data_keeps_the_shape_of_json(value):
    cleaned = clean_data(value)
    assert type(cleaned) is type(value)
    if isinstance(value, list):
        assert len(cleaned) == len(value)


@given(s.text(max_size=300))
def test_the_domain_parser_answers_or_refuses_with_value_error(value):
    try:
        ascii_form = normalise(value)[0]
    except ValueError:
        return
    assert ascii_form.isascii()


@given(s.text(max_size=300))
def test_webhook_url_check_never_raises(value):
    url_problem(value)
    url_problem("http://" + value)


@given(s.datetimes(timezones=s.just(UTC)))
def test_plausible_time_is_the_2000_to_2100_window(moment):
    assert plausible_time(moment) == (EARLIEST <= moment < LATEST)
    assert plausible_time(moment.replace(tzinfo=None)) == plausible_time(moment)
