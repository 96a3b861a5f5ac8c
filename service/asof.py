"""As-of answers: which trusts were open on a date, which sites a trust operated on a date, and
what became of an organisation asked about outside its life (a result naming the successor,
never an error).

Site operations are read once into memory, like the successions (service/succession.py), and
read as documented on nhskg:SiteOperation: the statement covering the date, else the latest one
before it, with its operator carried on through the successions when it had closed by then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from service.store import GraphStore
from service.succession import Resolution, SuccessionIndex

ORGANISATIONS = """
SELECT ?code ?name ?open ?close ?trust WHERE {
    ?org nhskg:odsCode ?code ; a ?type ; nhskg:openDate ?open .
    ?type rdfs:subClassOf* nhskg:Organisation .
    OPTIONAL { ?org nhskg:closeDate ?close }
    OPTIONAL { ?org rdfs:label ?name }
    BIND (EXISTS { ?org a nhskg:NHSTrust } AS ?trust)
}
"""

SITE_OPERATIONS = """
SELECT ?site ?operator ?from ?to ?stated ?open ?close WHERE {
    ?op a nhskg:SiteOperation ; nhskg:operatedSite/nhskg:odsCode ?site ;
        nhskg:operator/nhskg:odsCode ?operator ; nhskg:validFrom ?from .
    OPTIONAL { ?op nhskg:validTo ?to }
    OPTIONAL { ?op nhskg:statedOn ?stated }
    OPTIONAL { ?op nhskg:operatedSite/nhskg:openDate ?open }
    OPTIONAL { ?op nhskg:operatedSite/nhskg:closeDate ?close }
}
"""


@dataclass(frozen=True)
class Lifetime:
    code: str
    name: str
    opened: date
    closed: date | None
    trust: bool

    def open_on(self, day: date) -> bool:
        return self.opened <= day and (self.closed is None or day <= self.closed)


@dataclass(frozen=True)
class AsOfAnswer:
    """What a code was on a date: `open`, `not_yet_open`, `closed` or `unknown`, in words, with
    the organisation(s) that carried it on when it had closed."""

    code: str
    on: date
    status: str
    message: str
    lifetime: Lifetime | None = None
    successors: Resolution | None = None


@dataclass(frozen=True)
class Statement:
    operator: str
    valid_from: date
    valid_to: date | None
    stated_on: date | None


@dataclass(frozen=True)
class SiteOnDate:
    site: str
    stated_operator: str  # as the source stated it
    operators: tuple[str, ...]  # who operated it on the date, after successions
    via_succession: bool

    @property
    def ambiguous(self) -> bool:
        """Several operators: the stated one split, and no source says which successor took it."""
        return len(self.operators) > 1


class AsOf:
    """Organisation lifetimes and site statements in memory, with a succession index."""

    def __init__(self, store: GraphStore, successions: SuccessionIndex | None = None) -> None:
        self.store = store
        self.successions = successions or SuccessionIndex.from_store(store)
        self.refresh(successions=False)

    def refresh(self, *, successions: bool = True) -> None:
        if successions:
            self.successions.refresh()
        self.lifetimes: dict[str, Lifetime] = {}
        for r in self.store.select(ORGANISATIONS):
            life = Lifetime(r["code"], r["name"] or r["code"], r["open"], r["close"], r["trust"])
            self.lifetimes[r["code"]] = life
        self.site_dates: dict[str, tuple[date | None, date | None]] = {}
        self.statements: dict[str, list[Statement]] = defaultdict(list)
        for r in self.store.select(SITE_OPERATIONS):
            self.statements[r["site"]].append(
                Statement(r["operator"], r["from"], r["to"], r["stated"])
            )
            self.site_dates[r["site"]] = (r["open"], r["close"])
        for statements in self.statements.values():
            statements.sort(key=lambda s: (s.valid_from, s.stated_on or s.valid_from))

    def trusts_open_on(self, day: date) -> list[str]:
        return sorted(c for c, life in self.lifetimes.items() if life.trust and life.open_on(day))

    def organisation_on(self, code: str, day: date) -> AsOfAnswer:
        code = code.strip().upper()
        life = self.lifetimes.get(code)
        if life is None:
            return AsOfAnswer(code, day, "unknown", f"{code} is not an organisation in the data.")
        if day < life.opened:
            return AsOfAnswer(
                code,
                day,
                "not_yet_open",
                f"{life.name} ({code}) had not opened on {day}: it opened on {life.opened}.",
                life,
            )
        if life.closed is not None and day > life.closed:
            resolution = self.successions.resolve(code, day)
            if resolution.carried_on:
                by = ", ".join(self._named(c) for c in resolution.codes)
                tail = f" Its services were carried on by {by}."
            else:
                tail = " No successor is recorded."
            return AsOfAnswer(
                code,
                day,
                "closed",
                f"{life.name} ({code}) had closed on {day}: it closed on {life.closed}.{tail}",
                life,
                resolution,
            )
        return AsOfAnswer(code, day, "open", f"{life.name} ({code}) was open on {day}.", life)

    def _named(self, code: str) -> str:
        life = self.lifetimes.get(code)
        return f"{life.name} ({code})" if life else code

    def site_on(self, site: str, day: date) -> SiteOnDate | None:
        """Who operated a site on a date, or None when no statement reaches the date or the site
        was not open then."""
        opened, closed = self.site_dates.get(site, (None, None))
        if (opened and day < opened) or (closed and day > closed):
            return None
        before = [s for s in self.statements.get(site, ()) if s.valid_from <= day]
        if not before:
            return None
        covering = [s for s in before if s.valid_to is None or day <= s.valid_to]
        statement = (covering or before)[-1]
        operators = self.successions.resolve(statement.operator, day).codes
        return SiteOnDate(site, statement.operator, operators, operators != (statement.operator,))

    def sites_operated_by(self, trust: str, day: date) -> list[SiteOnDate]:
        trust = trust.strip().upper()
        found = []
        for site in self.statements:
            on = self.site_on(site, day)
            if on is not None and trust in on.operators:
                found.append(on)
        return sorted(found, key=lambda s: s.site)
