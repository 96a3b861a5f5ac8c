"""GP practices and the CCGs / sub-ICB locations that commission them, over time.

Read from the graph once (the September 2020 GP practice map and the ODS epraccur file): each
practice with its open and close dates, ODS status, prescribing setting, what its latest ODS
record states (name, postcode, NHS region, ICB) and its commissionings, each with the source that
states it. Placing a practice in the geographies is service/geography/practices.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from service.rdf.store import GraphStore

# Small DISTINCT queries joined in Python (one large query with OPTIONALs multiplies the rows of
# a practice the map and epraccur both state).
PRACTICES = """
SELECT DISTINCT ?code ?label WHERE {
    ?practice a nhskg:GPPractice ; nhskg:odsCode ?code ; rdfs:label ?label .
}"""
FACTS = """
SELECT DISTINCT ?code ?open ?close ?status ?setting WHERE {
    ?practice a nhskg:GPPractice ; nhskg:odsCode ?code .
    OPTIONAL { ?practice nhskg:openDate ?open }
    OPTIONAL { ?practice nhskg:closeDate ?close }
    OPTIONAL { ?practice nhskg:practiceStatusCode ?status }
    OPTIONAL { ?practice nhskg:prescribingSettingCode ?setting }
}"""
POSTCODES = """
SELECT DISTINCT ?code ?postcode WHERE {
    ?practice a nhskg:GPPractice ; nhskg:odsCode ?code ; nhskg:postcode ?postcode .
}"""
RECORDS = """
SELECT DISTINCT ?code ?vintage ?label ?postcode ?region ?icb WHERE {
    ?practice a nhskg:GPPractice ; nhskg:odsCode ?code .
    ?record nhskg:recordOf ?practice ; nhskg:vintage ?vintage ; rdfs:label ?label .
    OPTIONAL { ?record nhskg:postcode ?postcode }
    OPTIONAL { ?record nhskg:statedRegionCode ?region }
    OPTIONAL { ?record nhskg:statedHealthGeographyCode ?icb }
}"""
# The carried pair in two OPTIONALs (shapes/organisations.ttl states both or neither): as one
# two-triple OPTIONAL, Oxigraph took 155 s over the national store instead of 2.5 s.
COMMISSIONINGS = """
SELECT DISTINCT ?code ?commissioner ?pcn ?from ?to ?g ?carriedTo ?carriedOn WHERE {
    GRAPH ?g { ?c nhskg:commissionedPractice ?practice ; nhskg:commissionerCode ?commissioner ;
                  nhskg:validFrom ?from .
               OPTIONAL { ?c nhskg:validTo ?to }
               OPTIONAL { ?c nhskg:primaryCareNetworkCode ?pcn }
               OPTIONAL { ?c nhskg:carriedToCommissionerCode ?carriedTo }
               OPTIONAL { ?c nhskg:carriedToDate ?carriedOn } }
    ?practice nhskg:odsCode ?code .
}"""
LABELS = """
SELECT DISTINCT ?scheme ?notation ?label WHERE {
    ?concept skos:inScheme ?scheme ; skos:notation ?notation ; skos:prefLabel ?label .
    VALUES ?scheme { nhskg:PracticeStatusScheme nhskg:PrescribingSettingScheme }
}"""


@dataclass(frozen=True)
class Commissioning:
    commissioner: str  # ODS code
    pcn: str | None
    start: date
    end: date | None
    source: str = ""  # the named graph that states it
    # A commissioning carried from the 2020 practice map (ods-practice-map-carried): the
    # commissioner the map's CCG merged into, and the day of that ODS succession.
    carried_to: str | None = None
    carried_on: date | None = None

    def holds_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def span(self) -> str:
        return f"{self.start} to {self.end or 'open'}"

    def basis(self) -> str:
        """What the statement rests on, in words (the source; for a carried one, the merger)."""
        if self.carried_to is None:
            return self.source
        return (
            f"{self.source}: in {self.commissioner} on the September 2020 practice map; "
            f"{self.commissioner} merged into {self.carried_to} on {self.carried_on} (ODS "
            f"successions, eccg close date), which epraccur states the practice joined that day"
        )


@dataclass(frozen=True)
class StatedRecord:
    """What one ODS vintage states about a practice."""

    vintage: date
    name: str
    postcode: str | None
    region_code: str | None
    icb_code: str | None


@dataclass
class Practice:
    code: str
    name: str
    postcode: str | None = None
    open_date: date | None = None
    close_date: date | None = None
    status: str | None = None  # ODS status code (A, C, D, P)
    setting: int | None = None  # prescribing setting code (4 = GP practice)
    records: list[StatedRecord] = field(default_factory=list)  # oldest first
    commissionings: list[Commissioning] = field(default_factory=list)

    def commissioning_on(self, day: date) -> Commissioning | None:
        """The statement holding on a day; of several, the one that started last (the practice
        map's one-day statement over an epraccur span that covers it)."""
        holding = [c for c in self.commissionings if c.holds_on(day)]
        return max(holding, key=lambda c: (c.start, c.source)) if holding else None

    def open_on(self, day: date) -> bool:
        return (self.open_date is None or self.open_date <= day) and (
            self.close_date is None or day <= self.close_date
        )

    @property
    def latest(self) -> StatedRecord | None:
        return self.records[-1] if self.records else None


class PracticeIndex:
    def __init__(
        self, practices: list[Practice], labels: dict[str, dict[str, str]] | None = None
    ) -> None:
        self.by_code = {p.code: p for p in practices}
        # scheme local name -> notation -> label (PracticeStatusScheme, PrescribingSettingScheme)
        self.labels = labels or {}

    def get(self, code: str) -> Practice | None:
        return self.by_code.get(code.strip().upper())

    def status_label(self, practice: Practice) -> str | None:
        found = self.labels.get("PracticeStatusScheme", {})
        return found.get(practice.status or "", practice.status)

    def setting_label(self, practice: Practice) -> str | None:
        if practice.setting is None:
            return None
        found = self.labels.get("PrescribingSettingScheme", {})
        return found.get(str(practice.setting), f"prescribing setting {practice.setting}")

    @classmethod
    def build(cls, store: GraphStore) -> PracticeIndex:
        found: dict[str, Practice] = {}
        for r in store.select(PRACTICES):
            found.setdefault(r["code"], Practice(r["code"], r["label"]))
        for r in store.select(FACTS):
            p = found[r["code"]]
            p.open_date = r["open"] or p.open_date
            p.close_date = r["close"] or p.close_date
            p.status = r["status"] or p.status
            p.setting = int(r["setting"]) if r["setting"] is not None else p.setting
        for r in store.select(POSTCODES):
            found[r["code"]].postcode = found[r["code"]].postcode or r["postcode"]
        for r in store.select(RECORDS):
            record = StatedRecord(r["vintage"], r["label"], r["postcode"], r["region"], r["icb"])
            found[r["code"]].records.append(record)
        current = set(store.current_graphs())
        for r in store.select(COMMISSIONINGS):
            if str(r["g"]) not in current:
                continue  # a replaced load's graph, kept as history
            c = Commissioning(
                r["commissioner"],
                r["pcn"],
                r["from"],
                r["to"],
                graph_name(r["g"]),
                r["carriedTo"],
                r["carriedOn"],
            )
            practice = found.get(r["code"])
            if practice is not None and c not in practice.commissionings:
                practice.commissionings.append(c)
        for p in found.values():
            p.records.sort(key=lambda s: s.vintage)
            p.commissionings.sort(key=lambda c: (c.start, c.source))
            if (latest := p.latest) is not None:  # the newest vintage names the practice
                p.name, p.postcode = latest.name, latest.postcode or p.postcode
        labels: dict[str, dict[str, str]] = {}
        for r in store.select(LABELS):
            labels.setdefault(str(r["scheme"]).rsplit("#", 1)[-1], {})[str(r["notation"])] = str(
                r["label"]
            )
        return cls(list(found.values()), labels)


def graph_name(iri: object) -> str:
    """The source part of a graph IRI (…/graph/ods-epraccur/2025-04-01/<sha> -> ods-epraccur)."""
    text = str(iri)
    marker = "/graph/"
    return text.split(marker, 1)[1].split("/", 1)[0] if marker in text else text
