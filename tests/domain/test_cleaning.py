"""The one rule for text coming in: control characters out, what a person typed kept."""

import pytest

from statuspage.domain.cleaning import clean_data, clean_text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("\x1b[31mred\x1b[0m", "[31mred[0m"),
        ("a\x00b", "ab"),
        ("tab\tand\nline", "tab\tand\nline"),
        ("windows\r\nold mac\r", "windows\nold mac\n"),
        ("c1\x85\x9f", "c1"),
        ("lone \ud800 surrogate", "lone  surrogate"),
        ("non-characters \ufffe\uffff", "non-characters "),
        (
            "accents é, emoji 😀, arabic مرحبا, RTL \u202e",
            "accents é, emoji 😀, arabic مرحبا, RTL \u202e",
        ),
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


def test_clean_data_reaches_every_string_keys_included():
    assert clean_data({"a\x00": ["b\x1b", {"c": "d\x07"}], "n": 1, "t": True, "z": None}) == {
        "a": ["b", {"c": "d"}],
        "n": 1,
        "t": True,
        "z": None,
    }
