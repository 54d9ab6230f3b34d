"""A lived-in history for newcomers: `make demo` only, never by itself."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from statuspage.domain import status as st
from statuspage.models import Component, Incident
from statuspage.services.incidents import create_incident, post_update

S = st.IncidentStatus
C = st.ComponentStatus

# name, impact, {component key: status}, [(status, minutes after start, body)]
SCENARIOS = [
    (
        "Delays in receiving email",
        st.Impact.MINOR,
        {"smtp-in": C.DEGRADED_PERFORMANCE},
        [
            (
                S.INVESTIGATING,
                0,
                "Incoming email is delayed by up to 20 minutes. Messages are queued, not lost.",
            ),
            (S.IDENTIFIED, 25, "A spam wave is slowing down our filters. We are adding capacity."),
            (S.MONITORING, 70, "Queues are draining; delivery times are back to normal."),
            (S.RESOLVED, 110, "All queued messages have been delivered."),
        ],
    ),
    (
        "LiveDNS resolution errors",
        st.Impact.CRITICAL,
        {"livedns": C.MAJOR_OUTAGE},
        [
            (
                S.INVESTIGATING,
                0,
                "Queries for some zones return **SERVFAIL**. Websites and "
                "incoming email of the domains concerned may be unreachable.",
            ),
            (
                S.IDENTIFIED,
                14,
                "A faulty configuration reached part of our anycast fleet. We are "
                "rolling it back node by node.",
            ),
            (S.MONITORING, 48, "The rollback is complete; resolution works again everywhere."),
            (
                S.RESOLVED,
                95,
                "No further errors for 45 minutes. Record changes made during the "
                "incident have been published.",
            ),
        ],
    ),
    (
        "Websites unavailable on web hosting Paris",
        st.Impact.MAJOR,
        {"web-hosting-paris": C.PARTIAL_OUTAGE},
        [
            (S.INVESTIGATING, 0, "Some websites hosted in Paris return **502** errors."),
            (
                S.IDENTIFIED,
                20,
                "A storage node failed; instances are being moved to healthy nodes.",
            ),
            (
                S.RESOLVED,
                85,
                "All instances run on healthy nodes. Files and databases were never at risk.",
            ),
        ],
    ),
    (
        "Slow control panel",
        st.Impact.MINOR,
        {"control-panel": C.DEGRADED_PERFORMANCE},
        [
            (S.INVESTIGATING, 0, "Pages of the control panel take a long time to load."),
            (S.RESOLVED, 40, "A slow database query has been fixed; pages load normally."),
        ],
    ),
    (
        "Card payments refused",
        st.Impact.MAJOR,
        {"payments": C.PARTIAL_OUTAGE},
        [
            (S.INVESTIGATING, 0, "Some card payments are refused. No card is charged twice."),
            (S.IDENTIFIED, 30, "Our payment provider has an incident; we are in touch with them."),
            (S.RESOLVED, 150, "Our provider has fixed the issue; payments go through again."),
        ],
    ),
    (
        "Outgoing mail rejected by some providers",
        st.Impact.MINOR,
        {"smtp-out": C.DEGRADED_PERFORMANCE},
        [
            (S.INVESTIGATING, 0, "Mail sent through our relay to some large providers bounces."),
            (S.MONITORING, 90, "The listing of one of our IP addresses has been lifted."),
            (S.RESOLVED, 240, "Delivery to every provider is back to normal."),
        ],
    ),
    (
        "Cloud servers unreachable in Luxembourg",
        st.Impact.CRITICAL,
        {"cloud-servers-luxembourg": C.MAJOR_OUTAGE},
        [
            (S.INVESTIGATING, 0, "Cloud servers in Luxembourg are unreachable."),
            (S.IDENTIFIED, 12, "A core router failed; traffic is being moved to its twin."),
            (S.RESOLVED, 55, "The network is back; servers were never stopped."),
        ],
    ),
    (
        "Domain transfers delayed for .fr",
        st.Impact.MINOR,
        {"domain-transfers": C.DEGRADED_PERFORMANCE},
        [
            (S.INVESTIGATING, 0, "Incoming transfers of **.fr** domains are stuck pending."),
            (S.RESOLVED, 300, "The registry has processed the backlog of transfers."),
        ],
    ),
]

MAINTENANCES = [
    (
        "Web hosting Luxembourg: storage migration",
        {"web-hosting-luxembourg": C.UNDER_MAINTENANCE},
        "While each instance is migrated (about 10 minutes), its file system is read-only.",
        120,
    ),
    (
        "Webmail upgrade",
        {"webmail": C.UNDER_MAINTENANCE},
        "Webmail will be unavailable for a few minutes during the upgrade.",
        60,
    ),
    (
        "Network maintenance in Paris",
        {"cloud-servers-paris": C.UNDER_MAINTENANCE, "web-hosting-paris": C.UNDER_MAINTENANCE},
        "Short network interruptions (under a minute) are possible during the window.",
        180,
    ),
]

#: the French of every English text above: the demo history is bilingual
FRENCH = {
    "Delays in receiving email": "Retards de réception des emails",
    ("Incoming email is delayed by up to 20 minutes. Messages are queued, not lost."): (
        "Les emails entrants arrivent avec jusqu'à 20 minutes de retard. Les "
        "messages sont en file d'attente, pas perdus."
    ),
    "A spam wave is slowing down our filters. We are adding capacity.": (
        "Une vague de spam ralentit nos filtres. Nous ajoutons de la capacité."
    ),
    "Queues are draining; delivery times are back to normal.": (
        "Les files d'attente se vident ; les délais de distribution redeviennent normaux."
    ),
    "All queued messages have been delivered.": "Tous les messages en attente ont été distribués.",
    "LiveDNS resolution errors": "Erreurs de résolution LiveDNS",
    (
        "Queries for some zones return **SERVFAIL**. Websites and incoming "
        "email of the domains concerned may be unreachable."
    ): (
        "Les requêtes pour certaines zones renvoient **SERVFAIL**. Les sites "
        "web et la réception des emails des domaines concernés peuvent être "
        "inaccessibles."
    ),
    (
        "A faulty configuration reached part of our anycast fleet. We are "
        "rolling it back node by node."
    ): (
        "Une configuration défectueuse a atteint une partie de notre flotte "
        "anycast. Nous la retirons nœud par nœud."
    ),
    "The rollback is complete; resolution works again everywhere.": (
        "Le retour en arrière est terminé ; la résolution fonctionne de nouveau partout."
    ),
    (
        "No further errors for 45 minutes. Record changes made during the "
        "incident have been published."
    ): (
        "Plus aucune erreur depuis 45 minutes. Les modifications "
        "d'enregistrements faites pendant l'incident ont été publiées."
    ),
    "Websites unavailable on web hosting Paris": "Sites inaccessibles sur l'hébergement web Paris",
    "Some websites hosted in Paris return **502** errors.": (
        "Certains sites hébergés à Paris renvoient des erreurs **502**."
    ),
    "A storage node failed; instances are being moved to healthy nodes.": (
        "Un nœud de stockage est tombé en panne ; les instances sont déplacées "
        "vers des nœuds sains."
    ),
    ("All instances run on healthy nodes. Files and databases were never at risk."): (
        "Toutes les instances tournent sur des nœuds sains. Les fichiers et "
        "bases de données n'ont jamais été en danger."
    ),
    "Slow control panel": "Interface de gestion lente",
    "Pages of the control panel take a long time to load.": (
        "Les pages de l'interface de gestion mettent longtemps à s'afficher."
    ),
    "A slow database query has been fixed; pages load normally.": (
        "Une requête lente en base de données a été corrigée ; les pages s'affichent normalement."
    ),
    "Card payments refused": "Paiements par carte refusés",
    "Some card payments are refused. No card is charged twice.": (
        "Certains paiements par carte sont refusés. Aucune carte n'est débitée deux fois."
    ),
    "Our payment provider has an incident; we are in touch with them.": (
        "Notre prestataire de paiement a un incident ; nous sommes en contact avec lui."
    ),
    "Our provider has fixed the issue; payments go through again.": (
        "Notre prestataire a corrigé le problème ; les paiements passent de nouveau."
    ),
    "Outgoing mail rejected by some providers": "Emails sortants refusés par certains fournisseurs",
    "Mail sent through our relay to some large providers bounces.": (
        "Les emails envoyés par notre relais vers certains grands fournisseurs sont rejetés."
    ),
    "The listing of one of our IP addresses has been lifted.": (
        "L'inscription d'une de nos adresses IP sur liste noire a été levée."
    ),
    "Delivery to every provider is back to normal.": (
        "La distribution vers tous les fournisseurs est revenue à la normale."
    ),
    "Cloud servers unreachable in Luxembourg": "Serveurs cloud injoignables au Luxembourg",
    "Cloud servers in Luxembourg are unreachable.": (
        "Les serveurs cloud au Luxembourg sont injoignables."
    ),
    "A core router failed; traffic is being moved to its twin.": (
        "Un routeur de cœur de réseau est tombé en panne ; le trafic est basculé vers son jumeau."
    ),
    "The network is back; servers were never stopped.": (
        "Le réseau est rétabli ; les serveurs n'ont jamais été arrêtés."
    ),
    "Domain transfers delayed for .fr": "Transferts de domaines en .fr retardés",
    "Incoming transfers of **.fr** domains are stuck pending.": (
        "Les transferts entrants de domaines en **.fr** restent en attente."
    ),
    "The registry has processed the backlog of transfers.": (
        "Le registre a traité les transferts en retard."
    ),
    "Web hosting Luxembourg: storage migration": (
        "Hébergement web Luxembourg : migration du stockage"
    ),
    ("While each instance is migrated (about 10 minutes), its file system is read-only."): (
        "Pendant la migration de chaque instance (environ 10 minutes), son "
        "système de fichiers est en lecture seule."
    ),
    "Webmail upgrade": "Mise à jour du webmail",
    "Webmail will be unavailable for a few minutes during the upgrade.": (
        "Le webmail sera indisponible quelques minutes pendant la mise à jour."
    ),
    "Network maintenance in Paris": "Maintenance réseau à Paris",
    ("Short network interruptions (under a minute) are possible during the window."): (
        "De courtes coupures réseau (moins d'une minute) sont possibles pendant le créneau."
    ),
}


def _both(english: str) -> dict[str, str]:
    return {"en": english, "fr": FRENCH[english]}


class DemoRefused(Exception):
    pass


def load(session: Session, days: int = 90, seed: int = 7, *, now: datetime) -> int:
    if session.execute(select(func.count(Incident.id))).scalar():
        raise DemoRefused("incidents already exist: the demo loads only into an empty history")
    rows = list(session.execute(select(Component)).scalars())
    if not rows:
        raise DemoRefused("the catalogue is empty: run `flask --app wsgi init` first")
    first_day = (now - timedelta(days=days)).date()
    for component in rows:  # the history is older than the catalogue's first sync
        if component.start_date is None or component.start_date > first_day:
            component.start_date = first_day
    components = {c.key: c.id for c in rows}
    rng = random.Random(seed)  # noqa: S311 - a repeatable demo, not a secret
    count = 0
    for day in sorted(rng.sample(range(1, days), k=min(len(SCENARIOS) * 2, days - 1))):
        name, impact, affected, steps = SCENARIOS[count % len(SCENARIOS)]
        start = (now - timedelta(days=day)).replace(
            hour=rng.randrange(6, 22), minute=rng.randrange(60), second=0, microsecond=0
        )
        ids = {components[k]: v for k, v in affected.items() if k in components}
        status, _, body = steps[0]
        incident = create_incident(
            session,
            name=_both(name),
            kind=st.IncidentKind.INCIDENT,
            status=status,
            impact=impact,
            body=_both(body),
            components=ids,
            now=start,
            started_at=start,
        )
        for status, minutes, body in steps[1:]:
            at = start + timedelta(minutes=minutes)
            changes = dict.fromkeys(ids, C.OPERATIONAL) if status is S.MONITORING else None
            post_update(
                session,
                incident,
                status=status,
                body=_both(body),
                components=changes,
                now=at,
                display_at=at,
            )
        count += 1
    for index, (name, affected, body, minutes) in enumerate(MAINTENANCES):
        ids = {components[k]: v for k, v in affected.items() if k in components}
        if index == len(MAINTENANCES) - 1:
            start = (now + timedelta(days=3)).replace(hour=1, minute=0, second=0, microsecond=0)
        else:
            start = (now - timedelta(days=rng.randrange(5, days))).replace(
                hour=1, minute=0, second=0, microsecond=0
            )
        announced = min(now, start - timedelta(days=7))
        create_incident(
            session,
            name=_both(name),
            kind=st.IncidentKind.MAINTENANCE,
            status=S.SCHEDULED,
            impact=st.Impact.MAINTENANCE,
            body=_both(body),
            components=ids,
            now=announced,
            scheduled_for=start,
            scheduled_until=start + timedelta(minutes=minutes),
            display_at=announced,
        )
        count += 1
    return count
