"""The matcher's evidence and decisions on small cases (the labelled sets: test_deflection)."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from statuspage.domain import matching as m
from statuspage.domain.matching import catalogue, entities, intent, onset, text

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


def codes(result_match) -> set[str]:
    return {r.code for r in result_match.reasons}


def test_a_clear_report_is_proposed_with_reasons(matcher):
    result = ask(
        matcher,
        [LIVEDNS],
        "SERVFAIL on all our zones",
        "dig returns SERVFAIL for every domain on your nameservers",
        service="livedns",
    )
    assert result.proposal_id == "livedns-down"
    assert 0.5 <= result.proposal.score <= 1
    found = {r.code: r for r in result.proposal.reasons}
    assert found["service_affected"].for_customer
    assert found["service_affected"].param("service") == "livedns"
    assert found["codes"].param("codes") == "SERVFAIL"
    assert result.shown == (result.proposal,)


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
    found = ask(matcher, [later], "Zanzibar zone transfer", minutes=20).matches[0]
    assert "zanzibar" not in " ".join(r.param("words") for r in found.reasons)


def test_an_unrelated_request_gets_no_proposal(matcher):
    result = ask(
        matcher,
        [LIVEDNS],
        "Duplicate invoice",
        "I was charged twice for my renewal, please refund.",
        service="payments",
    )
    assert result.proposal is None
    assert "cue_billing" in codes(result.matches[0])


def test_the_same_error_code_is_evidence_across_languages(matcher):
    result = ask(
        matcher,
        [SMTP],
        "SMTP auth failing from our CRM",
        "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Error: authentication failed')",
    )
    assert result.proposal_id == "smtp-auth"
    assert "codes" in codes(result.proposal)


def test_another_tld_weighs_against_a_registry_maintenance(matcher):
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
    assert "tld" in codes(de.matches[0])
    assert "tld_conflict" in codes(at.matches[0])
    assert at.matches[0].score < de.matches[0].score


def test_another_datacenter_weighs_against(matcher):
    paris = ask(matcher, [HOSTING_PARIS], "Slow site", "Our website is slow, 504 errors.",
                service="hosting-paris")  # fmt: skip
    lux = ask(matcher, [HOSTING_PARIS], "Slow site", "Our website is slow, 504 errors.",
              service="hosting-lux")  # fmt: skip
    assert "datacenter_conflict" in codes(lux.matches[0])
    assert lux.matches[0].score < paris.matches[0].score


def test_a_problem_older_than_the_incident_weighs_against(matcher):
    old = ask(matcher, [SMTP], "Envoi impossible",
              "Impossible d'envoyer des emails depuis la semaine dernière, erreur 535.",
              service="smtp-out", lang="fr")  # fmt: skip
    new = ask(matcher, [SMTP], "Envoi impossible",
              "Impossible d'envoyer des emails depuis 20 minutes, erreur 535.",
              service="smtp-out", lang="fr")  # fmt: skip
    assert "onset_before" in codes(old.matches[0])
    assert old.matches[0].score < new.matches[0].score


def test_two_close_incidents_are_both_shown():
    close = m.Matcher(SERVICES, proposal_threshold=0.01)
    twin = m.Incident(**{**LIVEDNS.__dict__, "id": "livedns-twin"})
    result = ask(close, [LIVEDNS, twin], "SERVFAIL on all our zones", service="livedns")
    assert {x.incident_id for x in result.shown} == {"livedns-down", "livedns-twin"}


def test_thresholds_are_configuration():
    strict = m.Matcher(SERVICES, proposal_threshold=0.999)
    result = ask(strict, [LIVEDNS], "SERVFAIL on all our zones", service="livedns")
    assert result.matches
    assert result.proposal is None


def test_scores_are_shared_out_among_the_reasons(matcher):
    result = ask(matcher, [LIVEDNS], "SERVFAIL on all our zones", service="livedns")
    weights = [r.weight for r in result.proposal.reasons if r.for_customer]
    assert max(weights) > 0


# -- each kind of evidence on its own ---------------------------------------------------------


def test_text_folds_accents_and_meets_across_languages():
    assert text.fold("Réception ÉLÈVE") == "reception eleve"
    assert "send" in text.terms("Impossible d'envoyer un courriel")
    assert "send" in text.terms("cannot send mail")
    assert "password" in text.terms("mot de passe refusé")
    assert "certif" in text.terms("certificat SSL")
    assert "certif" in text.terms("certificate")


def test_the_background_weighs_ordinary_words_down():
    back = text.Background.from_texts(["my mail is broken", "mail help", "site mail", "3-D Secure"])
    assert back.rarity("mail") < back.rarity("3dsecure") <= 1


def test_entities_read_codes_extensions_datacenters_and_phones():
    assert {"535", "5.7.8"} <= entities.error_codes("535 5.7.8 Error: authentication failed")
    assert entities.tlds("ma boutique bücher.de et example.co.uk") >= {"de", "uk"}
    assert entities.tlds("write to jane@gmail.com") == set()
    assert entities.datacenters("15h50 Paris time, site on Luxembourg hosting") == {"luxembourg"}
    assert entities.phone_countries("my number +44 7700 900123") == {"44"}
    assert entities.family({"re"}) >= {"fr", "re", "pm"}


def test_scope_reads_what_an_incident_says_is_not_affected():
    found = entities.scope(
        "Échecs de paiement par carte",
        [
            "Les cartes Visa émises par des banques françaises échouent.",
            "PayPal et le prélèvement SEPA fonctionnent.",
            "Les autres extensions (.com, .eu) ne sont pas concernées. Extensions : .fr",
        ],
    )
    assert "paypal" in found.excluded_terms
    assert "card" not in found.excluded_terms
    assert found.excluded_tlds == {"com", "eu"}
    assert "fr" in found.tlds


def test_codes_and_providers_named_only_as_not_affected_count_against(matcher):
    found = entities.scope(
        "Outgoing mail delayed",
        [
            "Mail sent through our relays leaves 30 to 90 minutes late, to every recipient.",
            "Immediate rejections such as 550 5.1.1 User unknown are not related to this incident.",
            "Domains whose MX point to Google Workspace are not affected.",
        ],
    )
    assert "550" in found.excluded_codes
    assert "550" not in found.codes
    assert "google workspace" in found.excluded_text
    delayed = m.Incident(
        id="smtp-delay",
        name="Outgoing mail delayed",
        kind="incident",
        started_at=T0,
        components=("smtp-out",),
        updates=(
            m.Update(T0, "Mail sent through our relays leaves 30 to 90 minutes late."),
            m.Update(T0, "Immediate rejections such as 550 5.1.1 User unknown are not related."),
        ),
    )
    bounce = ask(
        matcher,
        [delayed],
        "Bounce 550 5.1.1",
        "My mail bounced: 550 5.1.1 User unknown",
        service="smtp-out",
    )
    (only,) = bounce.matches
    assert only.features.get("codes_excluded") == 1.0
    assert "codes" not in codes(only)
    assert only.features.get("near_excluded", 0) > 0


def test_what_an_incident_says_is_unrelated_or_unchanged_is_out_of_its_scope():
    found = entities.scope(
        "Envoi d'e-mails retardé",
        [
            "Les e-mails envoyés partent avec 30 à 90 minutes de retard.",
            "Les rejets immédiats (« 550 5.1.1 User unknown ») ne sont pas liés à cet incident.",
            "The IP addresses and TSIG settings of the secondaries do not change.",
        ],
    )
    assert {"550", "5.1.1"} <= found.excluded_codes
    assert "tsig" in found.excluded_terms
    assert "retard" not in found.excluded_terms
    assert "change" not in found.excluded_terms  # the words that say so are not the scope


def test_a_change_of_the_customer_s_own_made_before_the_incident_weighs_against(matcher):
    at = T0 + timedelta(minutes=30)  # 14:30 in Paris, the incident began at 14:00
    said = intent.cues("Hier soir j'ai changé le mot de passe de ma boîte, depuis Outlook refuse")
    when = onset.changed_at(
        "Hier soir j'ai changé le mot de passe de ma boîte, depuis Outlook refuse",
        said["own_change"].words,
        at,
    )
    assert when is not None
    assert when < T0
    morning = "This morning we moved our master. Since then transfers fail."
    assert onset.changed_at(morning, intent.cues(morning)["own_change"].words, at) < T0
    # a change the customer dates only in another sentence, or not at all, has no time
    undated = "I changed my password. Yesterday the site was fine."
    assert onset.changed_at(undated, intent.cues(undated)["own_change"].words, at) is None
    assert onset.changed_at("I changed my password", "", at) is None

    def features(message):
        result = ask(matcher, [HOSTING_PARIS], "Site lent", message, service="hosting-paris")
        return result.matches[0].features

    assert features("Since we deployed our plugin last night the site is slow.")["change_before"]
    undated = features("We updated our plugin, and now the site is slow.")
    assert undated["cue_own_change"]
    assert "change_before" not in undated


def test_rare_evidence_against_is_weighed_next_to_the_trees():
    """Evidence too rare for a tree to split on is weighed by the calibration: it lowers the
    probability by its learned weight, and staff see that share next to its reason."""
    model = m.Model(
        {
            "features": ["text"],
            "baseline": 0.0,
            "trees": [
                {"f": [0, -1, -1], "t": [0.5, 0, 0], "l": [1, -1, -1], "r": [2, -1, -1],
                 "v": [0.0, -1.0, 2.0]}
            ],
            "calibration": {"a": 2.0, "b": 0.0, "evidence": {"change_before": -3.0}},
        }
    )  # fmt: skip
    plain = {"text": 1.0}
    changed = {"text": 1.0, "change_before": 1.0}
    assert model.probability(plain) > 0.95
    assert model.probability(changed) < model.probability(plain)
    logit, shares = model.explain(changed)
    assert shares["change_before"] == -1.5  # in the trees' units: -3.0 once scaled by 2.0
    assert logit == 0.5
    assert model.calibrate(logit) == pytest.approx(1 / (1 + math.exp(-1.0)))


def test_a_clock_time_at_the_incident_is_a_reason_the_customer_reads(matcher):
    result = ask(
        matcher,
        [HOSTING_PARIS],
        "Site lent",
        "Mon site est très lent depuis 14h05, pages en 504.",
        service="hosting-paris",
        lang="fr",
    )
    found = {r.code: r for r in result.matches[0].reasons}
    assert found["onset_match"].for_customer
    assert found["onset_match"].param("words")
    later = ask(
        matcher,
        [HOSTING_PARIS],
        "Site lent",
        "Mon site est très lent depuis 9h05, pages en 504.",
        service="hosting-paris",
        lang="fr",
    )
    assert "onset_match" not in codes(later.matches[0])


def test_onset_reads_durations_zones_and_days():
    at = T0 + timedelta(minutes=30)  # 14:30 in Paris
    assert onset.onset("ça ne marche plus depuis 14h10", at).began == T0 + timedelta(minutes=10)
    assert onset.onset("depuis 2h ça ne marche plus", at).began == at - timedelta(hours=2)
    assert onset.onset("ça fait 1h30 que ça rame", at).began == at - timedelta(minutes=90)
    assert onset.onset("since 12:45 UK time", at).began == datetime(2026, 3, 10, 12, 45, tzinfo=UTC)
    assert onset.onset("since 8am", at, tld="ca").began == datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert onset.onset("since Monday", at).days_before
    assert onset.onset("it was fine yesterday", at).began is None


def test_intent_tells_questions_from_reports():
    assert "howto" in intent.cues("Comment faire pour rediriger mon domaine ?")
    assert "howto" in intent.cues("Comment met-on en place le mandat ?")  # inverted question
    assert "sales" in intent.cues("What is the price of the backup option?")
    assert "own_change" in intent.cues("since I updated a WordPress plugin it fails")
    assert "failure" in intent.cues("notre site ne s'affiche plus")
    assert "precaution" in intent.cues("Nous n'avons pas été bloqués, mais faut-il prévoir ?")
    assert "precaution" in intent.cues("We were not affected ourselves; should we switch?")
    assert "precaution" not in intent.cues("Nous sommes bloqués depuis ce matin")
    assert intent.third_parties("our mail is on Microsoft 365") == {"microsoft 365": "host"}
    assert intent.third_parties("site fait avec Wix") == {"wix": "host"}
    assert intent.third_parties("my domain redirects to my Shopify store") == {"shopify": "target"}


def test_the_catalogue_relates_a_pick_to_what_is_affected():
    cat = catalogue.Catalogue(
        [*SERVICES, m.Service("site", ("Web hosting", "Hébergement web"), depends_on=("smtp-out",))]
    )
    assert cat.relation("smtp-out", {"smtp-out"}) == catalogue.Relation.EXACT
    assert cat.relation("email", {"smtp-out"}) == catalogue.Relation.GROUP
    assert cat.relation("site", {"smtp-out"}) == catalogue.Relation.RELATED
    assert cat.relation("payments", {"smtp-out"}) == catalogue.Relation.OTHER
    assert cat.relation(None, {"smtp-out"}) == catalogue.Relation.NONE
    assert "livedns" in cat.named_in("vos nameservers renvoient servfail")


def test_the_words_say_which_service_whatever_service_was_picked():
    """The committed model reads the service a request describes (`Said`)."""
    said = m.Model.load().said

    def top(text):
        found = said.probabilities(text)
        assert abs(sum(found.values()) - 1) < 1e-6
        return max(found, key=found.__getitem__)

    assert top("code 2FA refusé, impossible de me connecter") == "control-panel"
    assert top("my server in luxembourg is frozen, load 40, cpu idle") == (
        "cloud-servers-luxembourg"
    )
    assert top("renewal of my .be domain still pending") == "domain-registration"


def test_a_request_under_the_wrong_service_is_offered_what_its_words_describe():
    services = [
        m.Service("control-panel", ("Control panel", "Espace client"), ("2fa", "login")),
        m.Service("dns", ("DNS", "DNS")),
    ]
    panel = m.Incident(
        id="panel-2fa",
        name="Control panel sign-in: verification codes refused",
        kind="incident",
        started_at=T0,
        components=("control-panel",),
        updates=(m.Update(T0, "Valid two-factor codes are refused at sign-in."),),
    )
    request = m.Request(
        "urgent DNS change", "I can't sign in, my 2FA code is refused", T0 + timedelta(minutes=30),
        "dns", None, "en",
    )  # fmt: skip
    (match,) = m.Matcher(services).match(request, [panel]).matches
    assert match.features["said_affected"] > 0.5
    reasons = {r.code: r for r in match.reasons}
    assert reasons["reads_as_service"].for_customer
    assert reasons["reads_as_service"].param("service") == "control-panel"


def test_a_quoted_message_counts_for_the_incident_that_explains_it(matcher):
    assert entities.quotes('It says « Connexion refusée » then "Try again later" and `x`') == [
        "Connexion refusée",
        "Try again later",
    ]
    assert entities.quotes("Log:\n```\nstatus: SERVFAIL\n```") == ["status: SERVFAIL"]
    assert entities.quotes("it's the customer's site") == []
    assert entities.quotes("l'erreur 'Access denied' puis « » et “ok”") == ["Access denied", "ok"]

    explained = ask(
        matcher,
        [LIVEDNS],
        "DNS errors",
        "dig answers:\n```\nstatus: SERVFAIL, some zones time out\n```",
        service="livedns",
    )
    (match,) = explained.matches
    assert match.features["quote_match"] >= 0.68
    assert "quote_explained" in codes(match)
    assert next(r for r in match.reasons if r.code == "quote_explained").for_customer
    unexplained = ask(
        matcher,
        [LIVEDNS],
        "DNS errors",
        'The panel says "Your invoice has been archived by accounting" when I open my zone.',
        service="livedns",
    )
    (match,) = unexplained.matches
    assert match.features["quote_unexplained"] == 1.0
    assert "quote_unexplained" in codes(match)
    assert not next(r for r in match.reasons if r.code == "quote_unexplained").for_customer
    plain = ask(matcher, [LIVEDNS], "DNS down", "No quotes here.")
    assert "quote_match" not in plain.matches[0].features


def test_quotes_cost_no_more_than_the_text_s_length():
    """Unmatched quotation marks and long runs of spaces: one pass, not a regex backtracking."""
    import time

    hostile = [
        "«" + " " * 20000 + "x",
        "«" * 20000,
        "“" * 20000,
        '"' * 20000,
        "'a " * 7000,
        "```" * 7000,
        ("« " + "x" * 50) * 400,
        " 'abcdefg'x" * 3000,
    ]
    began = time.perf_counter()
    for sample in hostile:
        entities.quotes(sample)
    # a regex with nested lazy groups took over a minute on the first one alone
    assert time.perf_counter() - began < 5
