"""What the matcher reads and what it answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Update:
    at: datetime
    body: str


@dataclass(frozen=True)
class Incident:
    """An incident or maintenance as published when the request was sent."""

    id: str
    name: str
    kind: str  #: incident or maintenance
    started_at: datetime | None
    resolved_at: datetime | None = None
    scheduled_for: datetime | None = None
    scheduled_until: datetime | None = None
    closed: bool = False  #: resolved, postmortem or completed
    components: tuple[str, ...] = ()  #: ids of the services it affects
    keywords: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    #: the other language's name and update texts, when the incident has them
    translations: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    subject: str
    message: str
    at: datetime
    service_id: str | None = None
    domain: str | None = None
    lang: str = "en"


@dataclass(frozen=True)
class Reason:
    """One piece of evidence, in data: the views put it in the reader's words.

    `for_customer` reasons are the ones a customer may read ("You chose Webmail, which this
    incident affects"); the others (contradictions, intent) are for staff.
    """

    code: str
    params: tuple[tuple[str, str], ...] = ()
    for_customer: bool = False
    weight: float = 0.0  #: its contribution to the score, in log-odds

    def as_data(self) -> dict:
        """As stored with a request and sent by the API: plain JSON values."""
        return {
            "code": self.code,
            "params": dict(self.params),
            "customer": self.for_customer,
            "weight": self.weight,
        }

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")

    def __str__(self) -> str:
        details = ", ".join(f"{k}={v}" for k, v in self.params)
        return f"{self.code}({details})" if details else self.code


@dataclass(frozen=True)
class Match:
    incident_id: str
    name: str
    score: float  #: calibrated: the probability that the request is about this incident
    reasons: tuple[Reason, ...]
    features: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Result:
    matches: tuple[Match, ...]  #: best first
    proposal: Match | None
    high: bool  #: the proposal is in the high band
    #: what the customer is shown: the proposal, and a second incident when the two are close
    shown: tuple[Match, ...] = ()

    @property
    def proposal_id(self) -> str | None:
        return self.proposal.incident_id if self.proposal else None
