"""Parents derived by joining two lookups on their building blocks (LSOAs).

ONS publishes LSOA -> CCG lookups for April 2019 and April 2020 and an LSOA -> sub-ICB location
lookup for July 2022, but a CCG -> NHS region lookup only for September 2020 (the GP practice
map). A CCG of another vintage lies in the region of the September 2020 CCGs its LSOAs were in:
joining the two LSOA lookups on the LSOA code says which, and how many of its LSOAs agree. The
files a join reads are named in the mapping's options (relative to the source file), so the
mapping says everything the load depends on.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from service.mapping.derive import derivation
from service.mapping.readers import Row
from service.mapping.spec import MappingError


def read_lookup(path: Path, key: str, value: str) -> dict[str, str]:
    """`key` column -> `value` column of a CSV lookup with a header (first value wins)."""
    if not path.exists():
        raise MappingError(f"lookup {path} named by the mapping is missing")
    out: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {key, value} <= set(reader.fieldnames):
            raise MappingError(f"lookup {path.name} has no columns {key!r} and {value!r}")
        for record in reader:
            k, v = (record.get(key) or "").strip(), (record.get(value) or "").strip()
            if k and v:
                out.setdefault(k, v)
    return out


def block_counts(
    rows: Iterable[tuple[str, str]], block_parent: dict[str, str]
) -> dict[str, Counter[str]]:
    """member -> parent -> number of the member's blocks (given as (block, member) pairs) that
    `block_parent` places in that parent; blocks it does not know are left out."""
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for block, member in rows:
        parent = block_parent.get(block)
        if member and parent:
            counts[member][parent] += 1
    return counts


def _parent_of_block(options: dict[str, Any], base: Path) -> dict[str, str]:
    joined = read_lookup(base / options["other"], options["other_block"], options["other_code"])
    via = options.get("via")
    if not via:
        return joined
    step = read_lookup(base / via, options["via_code"], options["via_parent"])
    return {block: step[code] for block, code in joined.items() if code in step}


@derivation("block_join")
def block_join(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """One row per (member, parent): the member's blocks (column options.block) joined to
    another lookup's blocks (options.other, other_block, other_code) and, optionally, on to a
    parent through a third (options.via, via_code, via_parent). With options.majority the member
    gets only the parent most of its blocks reach (share 1), else one row per parent with the
    fraction of its blocks there. The rows carry member_code, member_name, parent_code, share,
    blocks (how many agreed), of_blocks (how many joined), valid_from and valid_to."""
    block, mc, mn = options["block"], options["member_code"], options.get("member_name", "")
    parent_of = _parent_of_block(options, base)
    first: dict[str, Row] = {}
    pairs: list[tuple[str, str]] = []
    for row in rows:
        member = row.values.get(mc, "")
        if member:
            first.setdefault(member, row)
            pairs.append((row.values.get(block, ""), member))
    counts = block_counts(pairs, parent_of)
    valid_from, valid_to = str(options["valid_from"]), str(options.get("valid_to") or "")
    for member in sorted(counts):
        by_parent = counts[member]
        total = sum(by_parent.values())
        if options.get("majority"):
            parent, n = max(by_parent.items(), key=lambda item: (item[1], item[0]))
            chosen = {parent: (n, "1")}
        else:
            chosen = {p: (n, format(n / total, ".6f")) for p, n in sorted(by_parent.items())}
        source = first[member]
        for parent, (n, share) in chosen.items():
            values = {
                **source.values,
                "member_code": member,
                "member_name": source.values.get(mn, "") if mn else "",
                "parent_code": parent,
                "share": share,
                "blocks": str(n),
                "of_blocks": str(total),
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            yield Row(source.number, values)
