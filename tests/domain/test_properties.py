"""Properties that hold for any input (Hypothesis): the input cleaning, the domain parser and the
time check never raise on what a customer can type, and answer consistently (the matcher's own
properties: test_matching_properties)."""

from datetime import UTC

from hypothesis import given
from hypothesis import strategies as s

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
