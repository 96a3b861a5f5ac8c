"""Row derivations for ODS sites: the etrust file (trusts and their sites) and site lists.

Both decide, per row, whether a dated site operation can be stated, and say why when it cannot
(the row is then loaded without it, or left out, and the reason is counted in the load report).
The model of dated site operations is documented on nhskg:SiteOperation (ontology/ods.ttl).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from service.mapping.derive import REFERENCE, VINTAGE, derivation
from service.mapping.engine import NOTE, SKIP
from service.mapping.readers import Row

Lifetimes = dict[str, tuple[date, date | None]]

NO_TRUST = "site of a trust this file does not list (its code prefix is no trust code here)"
CLOSED_BEFORE_TRUST = "site closed before its trust opened: site loaded without an operation"
UNKNOWN_PARENT = (
    "parent is not an organisation in the reference data (independent-sector provider, Welsh"
    " health board or other non-trust body): site and record loaded, no site operation"
)
OTHER_TRUSTS_SITE = (
    "parent differs from the trust the site code belongs to, which was open on the list's"
    " vintage: parent kept as stated on the site record, no site operation"
)
STALE_PARENT = (
    "parent had closed before the list's vintage (a stale statement, such as Poole RD304 under"
    " RD3 in 2023): site operation kept as stated; it resolves through the successions"
)


@lru_cache(maxsize=100_000)
def ods_date(value: str) -> date | None:
    # Cached: a national file repeats a few thousand dates over 100k cells; strptime is slow.
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def _ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


@derivation("etrust_sites")
def etrust_sites(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Trust rows (3-character codes) pass through as `kind=trust`; site rows (5 characters) get
    their operating trust (the code's first three characters) and the operation's dates."""
    reference: Lifetimes = options.get(REFERENCE, {})
    rows = list(rows)
    trusts = {r.values["code"]: r.values for r in rows if len(r.values["code"]) == 3}
    for row in rows:
        values = dict(row.values)
        code = values["code"]
        if len(code) != 5:
            yield Row(row.number, {**values, "kind": "trust"})
            continue
        trust = trusts.get(code[:3])
        if trust is None:
            yield Row(row.number, {**values, SKIP: NO_TRUST})
            continue
        values.update(kind="site", operator="", operation_from="", operation_to="")
        site_open, trust_open = ods_date(values["open_date"]), ods_date(trust["open_date"])
        if site_open is None or trust_open is None:
            yield Row(row.number, values)  # the shapes report the broken date
            continue
        start = max(site_open, trust_open)
        ends = [ods_date(values["close_date"]), ods_date(trust["close_date"])]
        ends.append(reference.get(trust["code"], (trust_open, None))[1])
        end = min((d for d in ends if d is not None), default=None)
        if end is not None and end < start:
            yield Row(row.number, {**values, NOTE: CLOSED_BEFORE_TRUST})
            continue
        values.update(operator=trust["code"], operation_from=_ymd(start))
        values["operation_to"] = _ymd(end) if end else ""
        yield Row(row.number, values)


@derivation("site_list")
def site_list(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """A site list states each site's parent as of its vintage. The parent becomes the site's
    operator for that day only when it is a known organisation and does not contradict the ODS
    rule that a site code begins with its trust's code (while that trust is open)."""
    reference: Lifetimes = options.get(REFERENCE, {})
    vintage = datetime.strptime(options[VINTAGE], "%Y-%m-%d").date()
    code_column, parent_column = options["code"], options["parent"]
    for row in rows:
        values = {**row.values, "operator": ""}
        code, parent = values[code_column], values[parent_column]
        note = _parent_note(code, parent, vintage, reference)
        if note in (None, STALE_PARENT):
            values["operator"] = parent
        if note:
            values[NOTE] = note
        yield Row(row.number, values)


def _parent_note(code: str, parent: str, vintage: date, reference: Lifetimes) -> str | None:
    if parent not in reference:
        return UNKNOWN_PARENT
    if parent != code[:3] and _open_on(reference.get(code[:3]), vintage):
        return OTHER_TRUSTS_SITE
    closed = reference[parent][1]
    if closed is not None and closed < vintage:
        return STALE_PARENT
    return None


def _open_on(lifetime: tuple[date, date | None] | None, day: date) -> bool:
    if lifetime is None:
        return False
    opened, closed = lifetime
    return opened <= day and (closed is None or day <= closed)


# The succession derivations live in their own module and register on import.
from service.mapping import derive_ods_succ  # noqa: E402, F401
