from hypothesis import given
from hypothesis import strategies as strategies

from statuspage.domain.share import LIMIT, share_text

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
