"""As-of answers: which trusts were open on a date, which sites a trust operated on a date, and
what became of an organisation asked about outside its life (a result naming the successor,
never an error).

Site operations are read once into memory, like the successions (reference/successions.py), and
read as documented on nhskg:SiteOperation: the statement covering the date, else the latest one
before it, with its operator carried on through the successions when it had closed by then.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from service.rdf.store import GraphStore, lexical_date
from service.reference.successions import Resolution, SuccessionIndex

# Small DISTINCT queries joined in Python: the same fact stated by several loaded files would
# otherwise multiply the solutions of one large query (four vintages of a trust give 4^5 rows).
ORGANISATION_CODES = """
SELECT DISTINCT ?node ?code WHERE {
    ?type rdfs:subClassOf* nhskg:Organisation . ?node a ?type ; nhskg:odsCode ?code .
}
"""
TRUSTS = "SELECT DISTINCT ?node WHERE { ?node a nhskg:NHSTrust }"
SITE_CODES = "SELECT DISTINCT ?node ?code WHERE { ?node a nhskg:Site ; nhskg:odsCode ?code }"
OPEN_DATES = "SELECT DISTINCT ?node ?day WHERE { ?node nhskg:openDate ?day }"
CLOSE_DATES = "SELECT DISTINCT ?node ?day WHERE { ?node nhskg:closeDate ?day }"
NAMES = """
SELECT ?node (MIN(?name) AS ?label) WHERE {
    ?node a nhskg:NHSTrust ; rdfs:label ?name } GROUP BY ?node
"""
SITE_OPERATIONS = """
SELECT ?op ?site ?operator ?from ?to ?stated WHERE {
    ?op a nhskg:SiteOperation ; nhskg:operatedSite ?site ; nhskg:operator ?operator ;
        nhskg:validFrom ?from .
    OPTIONAL { ?op nhskg:validTo ?to }
    OPTIONAL { ?op nhskg:statedOn ?stated }
    FILTER NOT EXISTS { ?correction nhskg:corrects ?op }
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
        rows = self.store.lexical_select
        organisations = {r["node"]: r["code"] or "" for r in rows(ORGANISATION_CODES)}
        sites = {r["node"]: r["code"] or "" for r in rows(SITE_CODES)}
        trusts = {r["node"] for r in rows(TRUSTS)}
        opened = {r["node"]: lexical_date(r["day"]) for r in rows(OPEN_DATES)}
        closed = {r["node"]: lexical_date(r["day"]) for r in rows(CLOSE_DATES)}
        names = {r["node"]: r["label"] for r in rows(NAMES)}
        self.lifetimes: dict[str, Lifetime] = {}
        for node, code in organisations.items():
            if (day := opened.get(node)) is not None:
                name = names.get(node) or code
                self.lifetimes[code] = Lifetime(code, name, day, closed.get(node), node in trusts)
        self.site_dates = {code: (opened.get(n), closed.get(n)) for n, code in sites.items()}
        self.statements: dict[str, list[Statement]] = defaultdict(list)
        for r in self.store.lexical_select(SITE_OPERATIONS):
            site = sites.get(r["site"] or "")
            operator = organisations.get(r["operator"] or "")
            start = lexical_date(r["from"])
            if site is None or operator is None or start is None:
                continue  # the shapes make every operation name a known site and operator
            statement = Statement(operator, start, lexical_date(r["to"]), lexical_date(r["stated"]))
            self.statements[site].append(statement)
        self.sites_by_operator: dict[str, set[str]] = defaultdict(set)
        for site, statements in self.statements.items():
            statements.sort(key=lambda s: (s.valid_from, s.stated_on or s.valid_from))
            for statement in statements:
                self.sites_by_operator[statement.operator].add(site)

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
                f"{life.name} ({code}) was not yet open on {day}: it opened on {life.opened}.",
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
                f"{life.name} ({code}) was closed on {day}: it closed on {life.closed}.{tail}",
                life,
                resolution,
            )
        return AsOfAnswer(code, day, "open", f"{life.name} ({code}) was open on {day}.", life)

    def _named(self, code: str) -> str:
        life = self.lifetimes.get(code)
        return f"{life.name} ({code})" if life else code

    def site_on(
        self, site: str, day: date, resolved: dict[str, tuple[str, ...]] | None = None
    ) -> SiteOnDate | None:
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
        resolved = {} if resolved is None else resolved
        if statement.operator not in resolved:
            resolved[statement.operator] = self.successions.resolve(statement.operator, day).codes
        operators = resolved[statement.operator]
        return SiteOnDate(site, statement.operator, operators, operators != (statement.operator,))

    def sites_operated_by(self, trust: str, day: date) -> list[SiteOnDate]:
        trust = trust.strip().upper()
        found = []
        resolved: dict[str, tuple[str, ...]] = {}  # operator -> who carries it on at `day`
        # Only sites stated under the trust or under an organisation it (transitively) carries on.
        lineage = self.successions.lineage(trust)
        candidates = set().union(*(self.sites_by_operator.get(c, set()) for c in lineage))
        for site in candidates:
            on = self.site_on(site, day, resolved)
            if on is not None and trust in on.operators:
                found.append(on)
        return sorted(found, key=lambda s: s.site)
