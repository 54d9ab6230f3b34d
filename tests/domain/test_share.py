from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as strategies

from statuspage.domain.share import (
    LIMIT,
    ShareParts,
    compose,
    first_sentence,
    next_update_in,
    share_text,
)

LINK = "https://status.example.com/i/a1b2c3d4e5f6"


def test_short_title_is_kept_whole():
    assert share_text("Resolved", "LiveDNS resolution errors", LINK) == (
        f"[Resolved] LiveDNS resolution errors {LINK}"
    )


def test_long_title_is_shortened_never_the_link():
    title = "Très longue panne " * 40
    text = share_text("Résolu", title, LINK)
    assert len(text) <= LIMIT
    assert text.startswith("[Résolu] Très longue panne")
    assert text.endswith(" " + LINK)
    assert "…" in text


@given(
    strategies.text(min_size=0, max_size=600),
    strategies.sampled_from(["Investigating", "Cause identifiée", "En cours d'analyse"]),
)
def test_always_within_280_characters_with_the_link(title, label):
    text = share_text(label, title, LINK)
    assert len(text) <= LIMIT
    assert LINK in text
    assert text.startswith(f"[{label}]")


def test_a_full_text_says_status_impact_services_what_changed_when_and_the_link():
    parts = ShareParts(
        status="Identified",
        title="LiveDNS resolution errors",
        link=LINK,
        impact="Critical impact on LiveDNS.",
        changed="A faulty configuration reached part of our anycast fleet.",
        next_update="Next update by 3:15 PM Paris time (CET).",
    )
    assert compose(parts) == (
        "[Identified] LiveDNS resolution errors. Critical impact on LiveDNS. A faulty "
        "configuration reached part of our anycast fleet. Next update by 3:15 PM Paris time "
        f"(CET). {LINK}"
    )


def test_what_changed_goes_first_when_it_does_not_fit_then_the_title_is_shortened():
    parts = ShareParts(
        status="Identifié",
        title="Erreurs de résolution LiveDNS",
        link=LINK,
        impact="Impact critique sur LiveDNS.",
        changed="Une phrase très longue " * 12,
        next_update="Prochaine mise à jour vers 15:15 heure de Paris (CET).",
    )
    text = compose(parts)
    assert len(text) <= LIMIT
    assert "Une phrase" not in text
    assert "Prochaine mise à jour vers 15:15" in text
    assert "Impact critique sur LiveDNS." in text
    long_title = ShareParts(status="Résolu", title="Panne " * 80, link=LINK, impact="Impact.")
    text = compose(long_title)
    assert len(text) <= LIMIT
    assert text.endswith(" " + LINK)
    assert "…" in text


def test_first_sentence():
    assert first_sentence("Queries return SERVFAIL. We roll back.") == "Queries return SERVFAIL."
    assert first_sentence("Version 2.0 is out! Next.") == "Version 2.0 is out!"
    assert first_sentence("  ") == ""
    assert first_sentence("Les requêtes échouent. Nous analysons.") == "Les requêtes échouent."


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Next update within 30 minutes.", 30),
        ("We will post the next update in 1 hour.", 60),
        ("Next update in 1 hour.", 60),
        ("Prochaine mise à jour d'ici 30 minutes.", 30),
        ("Prochaine mise à jour dans 2 heures.", 120),
        ("Queues are draining.", None),
        ("Next update within 900 hours.", None),
    ],
)
def test_next_update_is_read_from_the_text(text, minutes):
    found = next_update_in(text)
    assert found == (timedelta(minutes=minutes) if minutes else None)


@given(
    strategies.text(max_size=300),
    strategies.text(max_size=300),
    strategies.text(max_size=300),
    strategies.text(max_size=300),
)
def test_every_composition_fits_and_keeps_the_link(title, impact, changed, next_update):
    text = compose(ShareParts("Résolu", title, LINK, impact, changed, next_update))
    assert len(text) <= LIMIT
    assert text.endswith(LINK)
    assert text.startswith("[Résolu]")
