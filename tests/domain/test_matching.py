"""The matcher's rules, on small cases written for them (the labelled set is in test_deflection)."""

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import matching as m

T0 = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 14:00 in Paris

SERVICES = [
    m.Service("dns", ("DNS", "DNS")),
    m.Service("livedns", ("LiveDNS", "LiveDNS"), ("nameservers", "servfail"), group_id="dns"),
    m.Service("email", ("Email", "Email"), ("mail", "courriel")),
    m.Service(
        "smtp-out",
        ("Outgoing mail (SMTP out)", "Envoi des emails (SMTP sortant)"),
        ("smtp", "send", "envoi"),
        group_id="email",
    ),
    m.Service("hosting-paris", ("Web hosting Paris", "Hébergement web Paris"), ("website",)),
    m.Service(
        "hosting-lux", ("Web hosting Luxembourg", "Hébergement web Luxembourg"), ("website",)
    ),
    m.Service(
        "registration",
        ("Domain registration and renewal", "Enregistrement"),
        ("renewal", "renouvellement"),
    ),
    m.Service(
        "payments",
        ("Payments and invoices", "Paiements et factures"),
        ("invoice", "facture", "payment"),
    ),
]

LIVEDNS = m.Incident(
    id="livedns-down",
    name="LiveDNS resolution errors",
    kind="incident",
    started_at=T0,
    components=("livedns",),
    updates=(m.Update(T0, "Queries for some zones return **SERVFAIL** or time out."),),
)
SMTP = m.Incident(
    id="smtp-auth",
    name="Échecs d'authentification à l'envoi des emails",
    kind="incident",
    started_at=T0,
    components=("smtp-out",),
    updates=(m.Update(T0, "Les logiciels de messagerie signalent l'erreur `535 5.7.8`."),),
)
DENIC = m.Incident(
    id="denic",
    name="DENIC (.de) registry maintenance",
    kind="maintenance",
    started_at=T0,
    scheduled_for=T0,
    scheduled_until=T0 + timedelta(hours=4),
    components=("registration",),
    updates=(m.Update(T0 - timedelta(days=7), "Operations on .de domains are queued."),),
)
HOSTING_PARIS = m.Incident(
    id="paris-slow",
    name="Slow websites on web hosting Paris",
    kind="incident",
    started_at=T0,
    components=("hosting-paris",),
    updates=(m.Update(T0, "Some websites in Paris are slow or return 504 errors."),),
)


@pytest.fixture(scope="module")
def matcher():
    return m.Matcher(SERVICES)


def ask(matcher, incidents, subject, message="", minutes=20, service=None, domain=None, lang="en"):
    request = m.Request(subject, message, T0 + timedelta(minutes=minutes), service, domain, lang)
    return matcher.match(request, incidents)


def test_a_clear_report_is_proposed_with_reasons(matcher):
    result = ask(
        matcher,
        [LIVEDNS],
        "SERVFAIL on all our zones",
        "dig returns SERVFAIL for every domain on your nameservers",
        service="livedns",
    )
    assert result.proposal_id == "livedns-down"
    assert 0 <= result.proposal.score <= 1
    reasons = " | ".join(result.proposal.reasons)
    assert "servfail" in reasons
    assert "service: LiveDNS is affected" in reasons


def test_only_incidents_active_at_the_time_are_candidates(matcher):
    before = ask(matcher, [LIVEDNS], "SERVFAIL everywhere", minutes=-5, service="livedns")
    assert before.matches == ()
    resolved = m.Incident(
        **{**LIVEDNS.__dict__, "resolved_at": T0 + timedelta(minutes=10), "closed": True}
    )
    assert ask(matcher, [resolved], "SERVFAIL everywhere", minutes=20).matches == ()
    assert ask(matcher, [resolved], "SERVFAIL everywhere", minutes=5).matches


def test_a_maintenance_counts_only_inside_its_window(matcher):
    assert ask(matcher, [DENIC], ".de renewal queued", minutes=-10).matches == ()
    assert ask(matcher, [DENIC], ".de renewal queued", minutes=10).matches
    assert ask(matcher, [DENIC], ".de renewal queued", minutes=5 * 60).matches == ()


def test_only_updates_published_by_then_are_read(matcher):
    later = m.Incident(
        **{
            **LIVEDNS.__dict__,
            "updates": (m.Update(T0 + timedelta(hours=1), "Zone transfers to Zanzibar fail."),),
        }
    )
    assert "zanzibar" not in " ".join(
        ask(matcher, [later], "Zanzibar zone transfer", minutes=20).matches[0].reasons
    )


def test_an_unrelated_request_gets_no_proposal(matcher):
    result = ask(
        matcher,
        [LIVEDNS],
        "Duplicate invoice",
        "I was charged twice for my renewal, please refund.",
        service="payments",
    )
    assert result.proposal is None


def test_the_same_error_code_is_strong_evidence_across_languages(matcher):
    result = ask(
        matcher,
        [SMTP],
        "SMTP auth failing from our CRM",
        "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Error: authentication failed')",
    )
    assert result.proposal_id == "smtp-auth"
    assert any("same error code" in r for r in result.proposal.reasons)


def test_another_tld_contradicts_a_registry_maintenance(matcher):
    de = ask(
        matcher,
        [DENIC],
        "Renewal waiting for registry",
        "My renewal is pending.",
        service="registration",
        domain="nordlicht-yoga.de",
        minutes=30,
    )
    at = ask(
        matcher,
        [DENIC],
        "Registration still pending",
        "My registration is pending.",
        service="registration",
        domain="alpenblick-pension.at",
        minutes=30,
    )
    assert de.proposal_id == "denic"
    assert at.proposal is None
    assert any("contradiction: the customer's TLD .at" in r for r in at.matches[0].reasons)


def test_another_datacenter_contradicts(matcher):
    result = ask(
        matcher,
        [HOSTING_PARIS],
        "Slow site",
        "Our website is slow, 504 errors.",
        service="hosting-lux",
    )
    assert result.proposal is None
    assert any("concerns paris" in r for r in result.matches[0].reasons)


def test_a_problem_older_than_the_incident_is_not_it(matcher):
    result = ask(
        matcher,
        [SMTP],
        "Envoi impossible",
        "Impossible d'envoyer des emails depuis la semaine dernière, erreur 535.",
        service="smtp-out",
        lang="fr",
    )
    assert result.proposal is None
    assert any("before the incident" in r for r in result.matches[0].reasons)


def test_paris_local_time_is_read_in_paris(matcher):
    began, words = m.onset("ça ne marche plus depuis 14h10", T0 + timedelta(minutes=30), "fr")
    assert began == T0 + timedelta(minutes=10)  # 14:10 in Paris is 13:10 UTC in March
    assert words == "depuis 14h10"
    began, _ = m.onset("since about 9am CET", T0, "en")
    assert began == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    assert m.onset("it was fine yesterday", T0, "en")[0] is None


def test_text_processing_folds_accents_and_shares_concepts():
    assert m.fold("Réception ÉLÈVE") == "reception eleve"
    assert "send" in m.terms("Impossible d'envoyer un courriel")
    assert "send" in m.terms("cannot send mail")
    assert "motdepasse" in m.terms("mot de passe refusé") or "password" in m.terms(
        "mot de passe refusé"
    )
    assert m.tlds("ma boutique bücher.de et example.co.uk") >= {"de", "uk"}
    assert m.datacenters("15h50 Paris time, site on Luxembourg hosting") == {"luxembourg"}


def test_thresholds_are_configuration():
    strict = m.Matcher(SERVICES, proposal_threshold=0.999)
    result = ask(strict, [LIVEDNS], "SERVFAIL on all our zones", service="livedns")
    assert result.matches
    assert result.proposal is None
