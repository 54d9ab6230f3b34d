from datetime import UTC, datetime, timedelta
from pathlib import Path
from shutil import copytree

import pytest

from statuspage.content import (
    ContentError,
    load_catalogue,
    load_incident_templates,
    load_pages,
)
from statuspage.domain import status as st
from statuspage.extensions import db
from statuspage.models import Component
from statuspage.services.catalogue import sync_catalogue
from statuspage.services.incidents import create_incident

from .conftest import CONTENT

EXPECTED_TREE = {
    ("Domain names", "Noms de domaine"): [
        ("Domain registration and renewal", "Enregistrement et renouvellement"),
        ("Domain transfers", "Transferts de domaine"),
    ],
    ("DNS", "DNS"): [("LiveDNS", "LiveDNS"), ("Secondary DNS", "DNS secondaire")],
    ("Email", "Email"): [
        ("Incoming mail (SMTP in)", "Réception des emails (SMTP entrant)"),
        ("Outgoing mail (SMTP out)", "Envoi des emails (SMTP sortant)"),
        ("Mailbox access (IMAP/POP3)", "Accès aux boîtes (IMAP/POP3)"),
        ("Webmail", "Webmail"),
    ],
    ("Web hosting", "Hébergement web"): [
        ("Web hosting Paris", "Hébergement web Paris"),
        ("Web hosting Luxembourg", "Hébergement web Luxembourg"),
    ],
    ("Cloud servers", "Serveurs cloud"): [
        ("Cloud servers Paris", "Serveurs cloud Paris"),
        ("Cloud servers Luxembourg", "Serveurs cloud Luxembourg"),
    ],
    ("SSL certificates", "Certificats SSL"): [],
    ("Website builder", "Créateur de site"): [],
    ("Web redirection", "Redirection web"): [],
    ("Public API", "API publique"): [],
    ("Customer account and billing", "Compte client et facturation"): [
        ("Control panel", "Interface de gestion"),
        ("Payments and invoices", "Paiements et factures"),
    ],
}
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_catalogue_is_the_expected_tree_in_both_languages():
    entries = load_catalogue(CONTENT)
    top = sorted((e for e in entries if e.group is None), key=lambda e: e.position)
    tree = {}
    for group in top:
        children = sorted((e for e in entries if e.group == group.key), key=lambda e: e.position)
        tree[(group.names["en"], group.names["fr"])] = [
            (c.names["en"], c.names["fr"]) for c in children
        ]
    assert tree == EXPECTED_TREE
    for entry in entries:
        assert all(entry.descriptions.values()), entry.key
        assert all(entry.aliases.values()), entry.key


def test_email_aliases_cover_what_customers_say():
    email = {e.key: e for e in load_catalogue(CONTENT)}["email"]
    words = email.aliases["en"] + email.aliases["fr"]
    for alias in ("mail", "courriel", "e-mail", "boîte mail"):
        assert alias in words


def test_site_texts_and_templates_exist_in_both_languages():
    pages = load_pages(CONTENT)
    for key in ("about", "contact-intro"):
        assert set(pages[key].bodies) == {"en", "fr"}
        assert pages[key].titles["fr"]
    templates = load_incident_templates(CONTENT)
    assert templates
    keys = {e.key for e in load_catalogue(CONTENT)}
    for template in templates.values():
        assert template.names["en"]
        assert template.names["fr"]
        assert template.bodies["en"]
        assert template.bodies["fr"]
        assert set(template.components) <= keys


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    return Path(copytree(CONTENT, tmp_path / "content"))


def test_a_file_with_a_missing_field_is_refused_with_its_name(content_copy: Path):
    path = content_copy / "catalogue" / "06-ssl.md"
    path.write_text(path.read_text().replace("name_fr: Certificats SSL\n", ""))
    with pytest.raises(ContentError, match="06-ssl.md: missing field 'name_fr'"):
        load_catalogue(content_copy)


def test_an_unknown_group_is_refused(content_copy: Path):
    path = content_copy / "catalogue" / "02-01-livedns.md"
    path.write_text(path.read_text().replace("group: dns", "group: dnz"))
    with pytest.raises(ContentError, match="unknown group 'dnz'"):
        load_catalogue(content_copy)


def test_a_template_with_a_wrong_status_is_refused(content_copy: Path):
    path = content_copy / "incident-templates" / "livedns-resolution.md"
    path.write_text(path.read_text().replace("livedns: major_outage", "livedns: down"))
    with pytest.raises(ContentError, match="expected one of operational"):
        load_incident_templates(content_copy)


def test_sync_is_idempotent(session):
    report = sync_catalogue(db.session, load_catalogue(CONTENT), now=NOW)
    assert (report.created, report.changed, report.hidden) == ([], [], [])
    assert db.session.execute(db.select(db.func.count(Component.id))).scalar() == 24


def test_groups_and_children_are_linked(session, components):
    components = {c.key: c for c in session.execute(db.select(Component)).scalars()}
    assert components["email"].is_group
    assert components["smtp-in"].group_id == components["email"].id
    assert not components["ssl"].is_group
    assert components["ssl"].group_id is None
    assert [c.key for c in components["dns"].children] == ["livedns", "secondary-dns"]


def test_rename_keeps_the_id_and_history(session, components, content_copy: Path):
    smtp_in = components["smtp-in"]
    incident = create_incident(
        db.session,
        name="Mail delays",
        kind=st.IncidentKind.INCIDENT,
        status=st.IncidentStatus.INVESTIGATING,
        impact=st.Impact.MINOR,
        body="Delays.",
        components={smtp_in.id: st.ComponentStatus.DEGRADED_PERFORMANCE},
        now=NOW,
    )
    db.session.commit()
    path = content_copy / "catalogue" / "03-01-smtp-in.md"
    path.write_text(
        path.read_text().replace("name_en: Incoming mail (SMTP in)", "name_en: Mail in")
    )
    report = sync_catalogue(db.session, load_catalogue(content_copy), now=NOW + timedelta(days=1))
    db.session.commit()
    assert report.changed == ["smtp-in"]
    renamed = db.session.get(Component, smtp_in.id)
    assert renamed.name_en == "Mail in"
    change = incident.updates[0].changes[0]
    assert change.component_id == smtp_in.id


def test_a_removed_component_is_hidden_not_deleted(session, components, content_copy: Path):
    (content_copy / "catalogue" / "08-web-redirection.md").unlink()
    report = sync_catalogue(db.session, load_catalogue(content_copy), now=NOW)
    db.session.commit()
    assert report.hidden == ["web-redirection"]
    kept = db.session.get(Component, components["web-redirection"].id)
    assert kept is not None
    assert kept.hidden
    # coming back un-hides it, with the same id
    report = sync_catalogue(db.session, load_catalogue(CONTENT), now=NOW)
    assert report.changed == ["web-redirection"]
    assert not db.session.get(Component, components["web-redirection"].id).hidden
