"""Why an incident is proposed, in the reader's words: plain sentences for the customer on their
private page, every piece of evidence with its weight and the score for staff."""

import re
from html import unescape

from statuspage.domain.matching import text as matching_text

from .test_deflection import SERVFAIL, contact, reference_of, request_row, text


def why(html: str) -> list[str]:
    """The sentences under "Why we suggest this incident", as the customer reads them."""
    found = re.findall(r'<div class="why">(.*?)</div>', html, re.S)
    return [unescape(item) for block in found for item in re.findall(r"<li>(.*?)</li>", block)]


def evidence(html: str) -> list[tuple[str, str]]:
    """The console's rows of evidence: (sentence, weight as shown)."""
    rows = re.findall(
        r'<tr class="(?:for|against)"><td>(.*?)</td><td class="weight">([^<]+)</td></tr>', html
    )
    return [(unescape(re.sub(r" <strong>.*?</strong>", "", s)), w) for s, w in rows]


def test_the_private_page_says_why_in_english(client, livedns, components):
    response, _ = contact(
        client,
        service=components["livedns"].id,
        subject="SERVFAIL",
        message="dig gives SERVFAIL for my domain.",
        lang="en",
    )
    _, url = reference_of(response)
    html = text(client.get(url + "&lang=en"))
    assert "Why we suggest this incident" in html
    sentences = why(html)
    assert "You chose LiveDNS, which this incident affects." in sentences
    assert "Your message mentions SERVFAIL, as our updates do." in sentences


def test_the_private_page_says_why_in_french(client, livedns, components):
    response, _ = contact(
        client,
        service=components["livedns"].id,
        subject="Erreur SERVFAIL",
        message="Mon domaine répond SERVFAIL depuis dix minutes.",
        lang="fr",
    )
    _, url = reference_of(response)
    html = text(client.get(url + "&lang=fr"))
    assert "Pourquoi nous vous proposons cet incident" in unescape(html)
    sentences = why(html)
    name = components["livedns"].name_fr
    assert f"Vous avez choisi {name}, que cet incident touche." in sentences
    assert "Votre message mentionne SERVFAIL, comme nos mises à jour." in sentences
    assert not any("You chose" in s or "Your message" in s for s in sentences)


def test_the_customer_reads_no_score_no_stem_and_no_evidence_against(
    client, data, livedns, components
):
    message = "Queries for our zones time out since yesterday, websites do not resolve."
    response, _ = contact(
        client, service=components["livedns"].id, subject="Queries time out", message=message
    )
    reference, url = reference_of(response)
    stored = request_row(data, reference)
    assert stored.state.value == "proposed"
    html = text(client.get(url + "&lang=en"))
    sentences = why(html)
    assert sentences
    said = " ".join(sentences)
    stems = {stem for stem, word in matching_text.worded_terms(message) if stem != word.lower()}
    assert stems  # "quer", "resolv"...: what the matcher compares, never what the customer reads
    for stem in stems:
        assert not re.search(rf"\b{re.escape(stem)}\b", said), stem
    score = stored.proposal_score
    for shown in (f"{score:.2f}", f"{score:.2f}".replace(".", ","), f"{score:.0%}"):
        assert shown not in html
    assert "log-odds" not in html
    # the evidence against the incident (it began before it) is for staff only
    against = [r for r in stored.proposal_reasons if r["weight"] < 0 or not r["customer"]]
    assert any(r["code"] == "onset_before" for r in against)
    assert "before the incident" not in html


def test_staff_read_the_score_every_reason_and_its_weight(admin, client, data, livedns, components):
    response, _ = contact(
        client,
        service=components["livedns"].id,
        subject="SERVFAIL",
        message="dig gives SERVFAIL for my domain since yesterday; my websites and incoming "
        "email do not resolve.",
    )
    reference, _ = reference_of(response)
    stored = request_row(data, reference)
    html = text(admin.get(f"/staff/requests/{stored.id}?lang=en"))
    assert f"score {stored.proposal_score:.2f}" in html
    rows = evidence(html)
    assert len(rows) == len(stored.proposal_reasons)  # every reason, for and against
    weights = sorted(f"{r['weight']:+.2f}" for r in stored.proposal_reasons)
    assert sorted(w for _, w in rows) == weights
    shown = dict(rows)
    assert "You chose LiveDNS, which this incident affects." in shown
    began = "Says it began “since yesterday”, before the incident."
    assert shown[began].startswith("-")
    assert re.search(re.escape(began) + r" <strong>\(against\)</strong>", html)
    french = text(admin.get(f"/staff/requests/{stored.id}?lang=fr"))
    assert f"score {stored.proposal_score:.2f}".replace(".", ",") in french
    assert any(s.startswith("Dit que cela a commencé") for s, _ in evidence(french))


def test_reasons_stored_as_plain_sentences_still_read(admin, client, data, livedns, components):
    """Rows written before reasons were data hold English sentences: staff still read them, the
    customer is not shown words that were never meant for them."""
    response, _ = contact(client, service=components["livedns"].id, **SERVFAIL)
    reference, url = reference_of(response)
    row = request_row(data, reference)
    with data() as session:
        session.get(type(row), row.id).proposal_reasons = ["service picked", "codes: servfail"]
    console = text(admin.get(f"/staff/requests/{row.id}?lang=en"))
    assert [s for s, _ in evidence(console)] == ["service picked", "codes: servfail"]
    mine = text(client.get(url))
    assert "Is this your problem?" in mine
    assert why(mine) == []
