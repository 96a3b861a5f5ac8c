"""The dated statements a steward change set ends or corrects, as they stand in the store: the
operations of a site (those not corrected already) and the memberships of an area in another.
Values are bound, never pasted into the query text."""

from __future__ import annotations

from typing import Any

from rdflib.term import Node

from service.rdf.store import GraphStore

OPERATIONS_OF_SITE = """
SELECT ?op ?site ?operator ?from ?to WHERE {
    ?op a nhskg:SiteOperation ; nhskg:operatedSite ?site ; nhskg:operator ?operator ;
        nhskg:validFrom ?from .
    OPTIONAL { ?op nhskg:validTo ?to }
    FILTER NOT EXISTS { ?correction nhskg:corrects ?op }
}"""


def operations_of_site(store: GraphStore, site: Node | str) -> list[dict[str, Any]]:
    """Each current operation of `site` (an IRI): op, operator, from, to (None: open)."""
    return list(store.select(OPERATIONS_OF_SITE, site=site))


MEMBERSHIPS_OF = """
SELECT ?m ?member ?parent ?from ?to WHERE {
    ?m nhskg:memberArea ?member ; nhskg:parentArea ?parent ; nhskg:validFrom ?from .
    OPTIONAL { ?m nhskg:validTo ?to }
}"""


def memberships_of(
    store: GraphStore, member: Node | str, parent: Node | str
) -> list[dict[str, Any]]:
    """Each membership of area `member` in area `parent` (IRIs): m, from, to (None: open)."""
    return list(store.select(MEMBERSHIPS_OF, member=member, parent=parent))
