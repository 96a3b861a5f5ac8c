"""Row derivations for geography lookups, area shares and point locations.

Each is pure in the rows it is given; the reference files it also reads (the LAD code history,
the LAD boundaries) are named in the mapping's options, relative to the source file's directory,
so a mapping says everything a load depends on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from service.geography.lad_history import LadHistory, read_history
from service.mapping.derive import derivation
from service.mapping.readers import Row
from service.mapping.spec import MappingError

Window = tuple[date, date | None]


def _date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _clip(window: Window, first: date | None, last: date | None) -> Window | None:
    start = max(window[0], first) if first else window[0]
    ends = [d for d in (window[1], last) if d is not None]
    end = min(ends) if ends else None
    return None if end is not None and end < start else (start, end)


def _history(options: dict[str, Any], base: Path) -> LadHistory | None:
    name = options.get("history")
    if not name:
        return None
    path = base / name
    if not path.exists():
        raise MappingError(f"LAD code history {path} named by the mapping is missing")
    return read_history(path)


def _window(options: dict[str, Any]) -> Window:
    start = _date(options.get("valid_from"))
    if start is None:
        raise MappingError("a snapshot needs options.valid_from")
    return start, _date(options.get("valid_to"))


def _out(row: Row, values: dict[str, str], window: Window) -> Row:
    end = window[1].isoformat() if window[1] else ""
    return Row(row.number, {**values, "valid_from": window[0].isoformat(), "valid_to": end})


@derivation("snapshot_membership")
def snapshot_membership(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """One membership per lookup row, valid over the snapshot's window; with a LAD code history,
    clipped to the years the LAD code was in use, and carried to the codes that replaced it
    (a district merged after the snapshot inherits its predecessors' parent from its creation).

    Options: member_code, member_name, parent_code, parent_name (columns), valid_from, valid_to
    (the window), history (file), history_of (member | parent: which side's codes changed),
    carry (false: only clip, for parents that do not pass to a successor, such as a county) and
    backcast (true: a code carried to is not clipped to its creation but gets the whole window,
    so a point located with later boundaries finds the parent its ground was in; only where the
    predecessors share one parent, else the overlapping memberships are refused by SHACL;
    "until_created": a later code gets its predecessors' parent only before it came into use,
    from the window's start, and nothing from its creation on: for parents a new district does
    not inherit, such as the county above a new unitary that is its own upper tier, also when
    the snapshot lists the new code from its creation).
    """
    cols = {k: options[k] for k in ("member_code", "member_name", "parent_code", "parent_name")}
    window, history = _window(options), _history(options, base)
    side = options.get("history_of", "member")
    rows = [r for r in rows if r.values.get(cols["member_code"])]
    members = {r.values[cols["member_code"]] for r in rows}
    backcast = options.get("backcast")
    until_created = backcast == "until_created"
    carry = history if options.get("carry", True) or until_created else None
    listed = set() if until_created else members  # until_created ends before: no overlap
    seen: set[tuple[str, str, date]] = set()
    for row in rows:
        base_values = {k: row.values.get(c, "") for k, c in cols.items()}
        for values in _carried(base_values, side, carry, listed):
            code = values[f"{side}_code"]
            first, last = history.in_use(code) if history else (None, None)
            carried = code != base_values[f"{side}_code"]
            if carried and until_created:  # its ground, in its predecessors' parent, before
                clipped = _clip(window, None, first - timedelta(days=1)) if first else None
            elif carried and backcast:  # created later: its ground, in its predecessors' parent
                clipped = _clip(window, None, last)
            else:
                clipped = _clip(window, first, last)
            key = (
                values["member_code"],
                values["parent_code"],
                clipped[0] if clipped else window[0],
            )
            if clipped is None or key in seen:
                continue
            seen.add(key)
            yield _out(row, {**row.values, **values}, clipped)


def _carried(
    values: dict[str, str], side: str, history: LadHistory | None, members: set[str]
) -> Iterator[dict[str, str]]:
    yield values
    if history is None:
        return
    for code in sorted(history.descendants(values[f"{side}_code"])):
        if side == "member" and code in members:
            continue  # the snapshot states that code's own parent
        yield {**values, f"{side}_code": code, f"{side}_name": history.names.get(code, code)}


def _shares(counts: Counter[str]) -> dict[str, str]:
    """Fractions to six places that add up to exactly one (the last takes the rounding)."""
    total = sum(counts.values())
    keys = sorted(counts)
    out: dict[str, str] = {}
    running = Decimal(0)
    for key in keys[:-1]:
        share = (Decimal(counts[key]) / total).quantize(Decimal("0.000001"))
        out[key] = str(share)
        running += share
    out[keys[-1]] = str(Decimal(1) - running)
    return out


@derivation("area_shares")
def area_shares(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Memberships with shares from building blocks: a member area's share in each parent is the
    fraction of its blocks (LSOAs) there. With a LAD code history, a district created later gets
    the pooled blocks of its predecessors from its creation date.

    Options: member_code, member_name, parent_code (columns), valid_from, valid_to, history,
    backcast (true: a district created after the window also gets its predecessors' pooled
    blocks over the window, so a point located with later boundaries still finds the parents
    its ground was in; not clipped to the years its code was in use).
    """
    mc, mn, pc = options["member_code"], options["member_name"], options["parent_code"]
    window, history = _window(options), _history(options, base)
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    first_row: dict[str, Row] = {}
    for row in rows:
        member, parent = row.values.get(mc, ""), row.values.get(pc, "")
        if member and parent:
            counts[member][parent] += 1
            first_row.setdefault(member, row)
    pooled: dict[str, Counter[str]] = defaultdict(Counter)
    source_row: dict[str, Row] = {}
    names: dict[str, str] = {}
    for member, by_parent in counts.items():
        codes = [member, *(sorted(history.descendants(member)) if history else [])]
        for code in codes:
            if code != member and code in counts:
                continue
            pooled[code].update(by_parent)
            source_row.setdefault(code, first_row[member])
            names[code] = first_row[member].values.get(mn, "") if code == member else ""
            if not names[code] and history:
                names[code] = history.names.get(code, code)
    for code in sorted(pooled):
        first, last = history.in_use(code) if history else (None, None)
        if options.get("backcast") and code not in counts:
            first = None  # a district created later: its area, as its predecessors' blocks
        clipped = _clip(window, first, last)
        if clipped is None:
            continue
        for parent, share in _shares(pooled[code]).items():
            values = {"member_code": code, "member_name": names[code], "parent_code": parent}
            yield _out(source_row[code], {**values, "share": share}, clipped)


@derivation("plain_decimals")
def plain_decimals(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Write the named number columns as plain decimals (xsd:decimal has no exponent: 3.7e-06
    becomes 0.0000037); rows whose value is zero are dropped when options.drop_zero is set."""
    columns = options["columns"]
    for row in rows:
        values = dict(row.values)
        for col in columns:
            raw = values.get(col, "")
            try:
                number = Decimal(raw)
            except ArithmeticError:
                continue  # left as is: the shapes report the ill-typed value
            values[col] = format(number, "f")
            if options.get("drop_zero") and number == 0:
                break
        else:
            yield Row(row.number, values)


@derivation("share_within")
def share_within(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Turn a value per (group, key) into the key's share of its group: value / group total, as
    a plain decimal to nine places in column options.into. Rows repeating a (group, key) pair
    are summed into the first (codes rolled forward to a successor repeat the successor once per
    predecessor); zero rows are left out.

    The OHID MSOA table gives, per MSOA, the share of its admissions that went to each trust;
    a trust's share of patients from an MSOA is then proportional to it (assuming MSOAs of equal
    population, which they are by design to within a factor of about two).
    """
    group, key, value, into = options["group"], options["key"], options["value"], options["into"]
    first: dict[tuple[str, str], Row] = {}
    sums: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        try:
            number = Decimal(row.values.get(value, ""))
        except ArithmeticError:
            continue  # not a number: nothing to share out
        pair = (row.values.get(group, ""), row.values.get(key, ""))
        if number > 0:
            first.setdefault(pair, row)
            sums[pair] += number
            totals[pair[0]] += number
    for pair, row in first.items():
        share = (sums[pair] / totals[pair[0]]).quantize(Decimal("0.000000001"))
        if share > 0:
            yield Row(row.number, {**row.values, into: format(share, "f")})


# Point-in-polygon lives in its own module (shapely); importing it registers the derivation.
from service.geography import locate as _locate  # noqa: E402,F401
