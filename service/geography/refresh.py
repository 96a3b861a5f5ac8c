"""Keep the org_area table of a numbers store in step with the reference graph after a steward
change: the rows of the organisations a change set touches are placed again from a fresh
reference snapshot and replaced in one DuckDB transaction.

Which organisations a change touches (from the nodes it `affects`):
- an organisation: itself and every organisation that carries it on later (a succession moves
  its sites and catchment to its successors; a new ODS record places it by ODS_STATED);
- a site: every organisation ever stated to operate it, and their successors;
- and with any organisation, the sites reporting values that it (or a predecessor) was stated
  to operate (a site's placement by every method but SITES follows the organisation running it);
- an area or a geography type: every organisation the table holds (a membership can move any
  of them).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from service.geography.assign import Placer
from service.geography.table import (
    TABLE_VERSION,
    bulk_insert,
    org_area_rows,
    reference_fingerprint,
)
from service.rdf.store import GraphStore
from service.rdf.terms import ID
from service.reference.successions import SuccessionIndex
from service.returns.numbers import NumbersStore
from service.rollup.area_places import place_areas, reporting_codes

ORG = str(ID["org/"])


def touched_organisations(placer: Placer, affects: Iterable[str]) -> set[str] | None:
    """The organisation codes whose placements a change about `affects` (IRIs) can alter; None
    when it can alter any (an area or a geography type changed)."""
    codes: set[str] = set()
    for iri in affects:
        if not iri.startswith(ORG):
            return None
        codes.add(iri.removeprefix(ORG))
    operators: set[str] = set()
    for op in placer.reference.site_operations:
        if op.site.removeprefix(ORG) in codes:
            operators.add(op.operator)
    return codes | operators


def refresh_org_areas(store: GraphStore, numbers: NumbersStore, affects: Iterable[str]) -> int:
    """Place the touched organisations again (by every method, in every area type the table
    holds) and replace their rows; the number of rows written. A table that holds no rows
    (roll-ups not built yet) is left alone."""
    con = numbers.con
    types = [str(r[0]) for r in con.execute("SELECT DISTINCT area_type FROM org_area").fetchall()]
    if not types:
        return 0
    placer = Placer.from_store(store)
    successions = SuccessionIndex.from_store(store)
    touched = touched_organisations(placer, [str(a) for a in affects])
    placer.ctx.share_catchment_states = touched is None  # a few organisations: see Context
    if touched is None:
        held = {str(r[0]) for r in con.execute("SELECT DISTINCT org_code FROM org_area").fetchall()}
        touched = held | _reporters(numbers)
        # An area or a geography type changed: the areas reporting values are placed again too.
        place_areas(numbers, placer.reference, reporting_codes(numbers), placer.ctx.rollup)
    organisations = sorted(successions.later_carriers(touched))
    organisations = sorted({*organisations, *_reporting_sites(placer, numbers, organisations)})
    rows = org_area_rows(placer, area_types=types, organisations=organisations)

    def insert() -> None:
        if rows:
            bulk_insert(con, rows, Path(tempfile.gettempdir()))
        _refresh_fingerprint(numbers, store)

    numbers.replace_rows("org_area", organisations, insert)
    return len(rows)


def _reporting_sites(
    placer: Placer, numbers: NumbersStore, organisations: Iterable[str]
) -> set[str]:
    """The sites that report values (a per-site supplies return) and were ever stated under one
    of `organisations` or an organisation that passed to one of them: their placements by the
    methods other than SITES follow the organisation running them
    (service/geography/site_placement.py)."""
    lineage = getattr(placer.ctx.carrying_on, "lineage", None)
    codes = set(organisations)
    for code in list(codes):
        codes |= set(lineage(code)) if lineage else set()
    reporting = _reporters(numbers) - set(placer.reference.organisations)
    return {
        op.site.removeprefix(ORG)
        for op in placer.reference.site_operations
        if op.operator in codes and op.site.removeprefix(ORG) in reporting
    }


def _reporters(numbers: NumbersStore) -> set[str]:
    rows = numbers.con.execute(
        "SELECT DISTINCT org_code FROM reporter WHERE area_type IS NULL"
    ).fetchall()
    return {str(r[0]) for r in rows}


def _refresh_fingerprint(numbers: NumbersStore, store: GraphStore) -> None:
    """The table now places by the current graphs: say so in its fingerprint (the part naming
    the graphs), so a later `materialise` of the same organisations and types does not rebuild
    it."""
    try:
        found = numbers.con.execute("SELECT fingerprint FROM org_area_meta").fetchone()
    except Exception:  # a table written by materialise_org_areas alone has no fingerprint
        return
    if not found or not str(found[0]).startswith(TABLE_VERSION + ":"):
        return
    _, _, rest = str(found[0]).split(":", 2)
    fingerprint = f"{TABLE_VERSION}:{reference_fingerprint(store)}:{rest}"
    numbers.con.execute("UPDATE org_area_meta SET fingerprint = ?", [fingerprint])


def numbers_at(path: Path | None) -> NumbersStore | None:
    """The numbers store at `path`, when there is one."""
    return NumbersStore(path) if path is not None and path.exists() else None
