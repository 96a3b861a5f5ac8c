"""Who may report a return's values: the organisations the reference graph registers (and its
sites, for mappings that admit them), saved with the store between loads.

Finding them is two SPARQL queries, but on a national store holding a retired graph they read
an in-memory copy of the current graphs (service/rdf/store.py, `_reading`): 18 s of a weekly
release's 24 s load. A return load changes no registered organisation, so the answer is saved
beside the store (`nhskg-reporters.snapshot`, service/reference/saved.py) and keyed by the
current graphs other than the graphs of returns and of values reported by area.

Why leaving those graphs out is exact. A return's graph states organisation facts (a type, an
ODS code, dates) only about the unregistered providers it names, each typed
`nhskg:UnregisteredProvider` in that graph (tests/reference/test_reporters.py checks every
return graph of a real load). Registered organisations are those typed with another
organisation class and never typed unregistered in a current graph. So, with U the providers
typed unregistered now (one pattern lookup: `GraphStore.typed`):

- an organisation outside U has no fact in any return graph, so its row is the same whatever
  the return graphs are; the saved rows are those outside U as it was when they were found;
- the answer is the saved rows less U now, valid while U holds every provider it held then
  (U shrinks only when a return graph naming a provider is replaced without it; the rows are
  then found again).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.reference import saved

FILE_NAME = "nhskg-reporters.snapshot"

# Classes first, then their members, de-duplicated before the optional dates: asking each of the
# ~35,000 nodes with an ODS code for its classes took 2 s on the national store, this 0.05 s.
ORGANISATIONS = """
SELECT DISTINCT ?org ?code ?open ?close WHERE {
    { SELECT DISTINCT ?org ?code WHERE {
        ?type rdfs:subClassOf* nhskg:Organisation .
        FILTER (?type != nhskg:UnregisteredProvider)
        ?org a ?type ; nhskg:odsCode ?code .
    } }
    OPTIONAL { ?org nhskg:openDate ?open }
    OPTIONAL { ?org nhskg:closeDate ?close }
}
"""

# Sites (nhskg:Site: five-character ODS site codes) as reporters of a return whose mapping
# admits them (`site_reporters: true`): the site's own open and close dates bound its values.
SITES = """
SELECT DISTINCT ?site ?code ?open ?close WHERE {
    ?site a nhskg:Site ; nhskg:odsCode ?code .
    OPTIONAL { ?site nhskg:openDate ?open }
    OPTIONAL { ?site nhskg:closeDate ?close }
}
"""


@dataclass(frozen=True)
class Registered:
    iri: str
    open_date: date | None
    close_date: date | None


# (ODS code in upper case, IRI, open date, close date): plain tuples, which a saved file reads
# back in a tenth of the time the same rows take as objects.
Row = tuple[str, str, date | None, date | None]


@dataclass(frozen=True)
class Reporters:
    """The rows found, less those of providers typed unregistered then (`unregistered`)."""

    organisations: list[Row]
    sites: list[Row]
    unregistered: frozenset[str]


def _rows(store: GraphStore, query: str, subject: str) -> list[Row]:
    return [
        (str(r["code"]).upper(), r[subject], r["open"], r["close"]) for r in store.select(query)
    ]


def _unregistered(store: GraphStore) -> frozenset[str]:
    return frozenset(store.typed(str(NHSKG.UnregisteredProvider)))


def _find(store: GraphStore, unregistered: frozenset[str] | None = None) -> Reporters:
    unregistered = _unregistered(store) if unregistered is None else unregistered
    organisations = [r for r in _rows(store, ORGANISATIONS, "org") if r[1] not in unregistered]
    return Reporters(organisations, _rows(store, SITES, "site"), unregistered)


def _reporters(store: GraphStore) -> tuple[Reporters, frozenset[str]]:
    """The saved (or found) rows, and the providers typed unregistered now."""
    now = _unregistered(store)
    found = saved.load_or_build(store, lambda s: _find(s, now), FILE_NAME, saved.NUMBERS_GRAPHS)
    if not found.unregistered <= now:  # a provider is no longer unregistered: find them again
        found = _find(store, now)
        if store.path is not None and not store.read_only:
            key = saved.fingerprint(store, leaving_out=saved.NUMBERS_GRAPHS)
            saved.save(store, found, key, FILE_NAME)
    return found, now


def _first_by_code(rows: list[Row], leaving_out: frozenset[str]) -> dict[str, Registered]:
    out: dict[str, Registered] = {}
    for code, iri, opened, closed in rows:
        if iri not in leaving_out and code not in out:
            out[code] = Registered(iri, opened, closed)
    return out


def reference_organisations(store: GraphStore) -> dict[str, Registered]:
    """ODS code -> the registered organisation (IRI, open and close dates)."""
    found, unregistered = _reporters(store)
    return _first_by_code(found.organisations, unregistered)


def reference_sites(store: GraphStore) -> dict[str, Registered]:
    """Site code -> the site as a registered reporter (IRI, open and close dates)."""
    found, _ = _reporters(store)
    return _first_by_code(found.sites, frozenset())


def registered_reporters(store: GraphStore, *, sites: bool) -> dict[str, Registered]:
    """Who may report a return's values: the registered organisations, and the sites too when
    the return's mapping admits them (an organisation's code wins); one read of the saved rows."""
    found, unregistered = _reporters(store)
    organisations = _first_by_code(found.organisations, unregistered)
    return {**_first_by_code(found.sites, frozenset()), **organisations} if sites else organisations
