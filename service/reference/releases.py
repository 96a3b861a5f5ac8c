"""The reference releases loaded: one per current named graph, from its PROV-O load record (file,
mapping, rows, time). For the front page's account of what the service holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.rdf.store import GraphStore

RELEASES = """
SELECT ?graph ?file ?mapping ?rows ?at WHERE {
    ?graph a nhskg:LoadedGraph ; prov:wasGeneratedBy ?load .
    ?load nhskg:mapping ?mapping ; prov:used ?source ; prov:startedAtTime ?at .
    ?source nhskg:fileName ?file .
    OPTIONAL { ?load nhskg:rowCount ?rows }
}"""


@dataclass(frozen=True)
class Release:
    graph: str
    file: str
    mapping: str
    rows: int | None
    loaded_at: datetime | None


def releases(store: GraphStore) -> list[Release]:
    """Current loads (retired ones are history, not what the service holds), by mapping."""
    retired = store.retired_graphs()
    found = [
        Release(
            r["graph"],
            str(r["file"]),
            str(r["mapping"]),
            int(r["rows"]) if r["rows"] is not None else None,
            r["at"] if isinstance(r["at"], datetime) else None,
        )
        for r in store.select(RELEASES)
        if r["graph"] not in retired
    ]
    return sorted(found, key=lambda r: (r.mapping, r.file))
