"""service/reference/ is the one read model of the reference graph: no module outside it runs its
own SPARQL query over reference facts. Allowed besides: the graph infrastructure (service/rdf/:
the store, a remote store, dumps), the SPARQL endpoint (service/sparql/ and its route) and
validation (service/validation/), which query whatever they are given.

Reference facts are the terms the ontology defines for organisations, sites, areas and their
dated memberships, successions, catchments, metrics and placement methods (ontology files below,
and W3C ORG's change events), less the bookkeeping terms of loads and change sets; a query over
access records, load provenance or returns may live with its package."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef

from service.rdf.terms import DEF, ONTOLOGY_DIR, ROOT, load_ontology
from tests.support.sparql_text import QueryText, is_sparql, queries_in

SERVICE = ROOT / "service"
ALLOWED = ("service/reference/", "service/rdf/", "service/sparql/", "service/validation/")
ALLOWED_FILES = ("service/api/routes/sparql.py",)

REFERENCE_FILES = ("core.ttl", "ods.ttl", "geography.ttl", "metrics.ttl", "placement.ttl")
REFERENCE_FILES += ("change.ttl",)  # successions; its change-set records are bookkeeping below
BOOKKEEPING = {
    # load provenance (the loader's PROV-O record of each graph)
    "Load", "SourceFile", "LoadedGraph", "fileName", "sha256", "rowCount", "tripleCount",
    "mapping", "softwareVersion", "supersedes", "skipNote",
    # steward change sets as records (what was applied, when, by whom, why)
    "ChangeSet", "ChangeSetApplication", "ChangeSetReversion", "ChangeSetCheck", "reason",
    "changeSetId", "affects", "corrects", "checkOutcome",
}  # fmt: skip
ORG = "http://www.w3.org/ns/org#"
PREFIXES = {"nhskg": DEF, "org": ORG}


def reference_terms() -> set[str]:
    graph = load_ontology([ONTOLOGY_DIR / name for name in REFERENCE_FILES])
    ours = {str(s) for s in graph.subjects() if isinstance(s, URIRef) and str(s).startswith(DEF)}
    changes = {ORG + t for t in ("ChangeEvent", "originalOrganization", "resultingOrganization")}
    return (ours - {DEF + t for t in BOOKKEEPING}) | changes


def allowed(path: Path, root: Path) -> bool:
    relative = path.relative_to(root).as_posix()
    return relative.startswith(ALLOWED) or relative in ALLOWED_FILES


def violations(paths: list[Path], terms: set[str], root: Path = ROOT) -> list[str]:
    out = []
    for path in paths:
        if allowed(path, root):
            continue
        for query in queries_in(path):
            named = query.terms(PREFIXES) & terms
            if named:
                local = ", ".join(sorted(t.rsplit("#", 1)[-1] for t in named)[:5])
                out.append(f"{path.relative_to(root).as_posix()}:{query.line} reads {local}")
    return out


def test_no_module_outside_the_read_model_queries_reference_facts() -> None:
    found = violations(sorted(SERVICE.rglob("*.py")), reference_terms())
    assert not found, (
        "SPARQL over reference facts outside service/reference/ (read them from the snapshot, "
        "or add the query to service/reference/):\n" + "\n".join(found)
    )


def test_the_reference_terms_are_the_ones_the_facts_use() -> None:
    terms = reference_terms()
    for local in ("odsCode", "SiteOperation", "AreaMembership", "CatchmentShare", "apiName"):
        assert DEF + local in terms
    assert DEF + "AccessGrant" not in terms and DEF + "changeSetId" not in terms


QUERIES = {
    "organisations": 'Q = """SELECT ?code WHERE { ?org nhskg:odsCode ?code }"""\n',
    "full IRI in an f-string": (
        'def q(x):\n    return f"""SELECT ?m WHERE {{ ?m '
        '<https://w3id.org/nhskg/def#memberArea> {x} }}"""\n'
    ),
    "successions": 'Q = "SELECT ?e WHERE { ?e a org:ChangeEvent }"\n',
}


@pytest.mark.parametrize("source", QUERIES.values(), ids=QUERIES.keys())
def test_the_guard_fails_when_someone_adds_one(tmp_path: Path, source: str) -> None:
    """A module added to a package outside the read model with a query over reference facts
    is found; the same module under service/reference/ is not."""
    paths = [tmp_path / "service" / package / "probe.py" for package in ("returns", "reference")]
    for path in paths:
        path.parent.mkdir(parents=True)
        path.write_text(source)
    found = violations(paths, reference_terms(), root=tmp_path)
    assert len(found) == 1 and found[0].startswith("service/returns/probe.py:"), found


@pytest.mark.parametrize(
    "text, sparql",
    [
        ("SELECT ?code WHERE { ?o nhskg:odsCode ?code }", True),
        ("SELECT org_code, sum(value) FROM reported_value WHERE metric = ? GROUP BY ALL", False),
        ("SELECT unnest(?::VARCHAR[]) AS org_code FROM {values}", False),
        ("ASK { GRAPH ?g { ?s ?p ?o } }", True),
    ],
)
def test_sql_is_not_taken_for_sparql(text: str, sparql: bool) -> None:
    assert is_sparql(text) is sparql


def test_queries_over_other_facts_stay_where_they_are() -> None:
    """Access records and load provenance are not reference facts."""
    terms = reference_terms()
    for text in (
        "SELECT ?g ?c WHERE { ?g a nhskg:AccessGrant ; nhskg:conditions ?c }",
        "SELECT ?g ?a WHERE { ?g nhskg:affects ?a ; nhskg:changeSetId ?id }",
    ):
        assert not QueryText(Path("x.py"), 1, text).terms(PREFIXES) & terms
