"""A deterministic national-size synthetic health system for the roll-up benchmark, built on the
real geography: English LADs with their real LRF, region and ICB; current trusts with real ODS
codes (the open ones in etr-2026-07.csv), predecessors with the real codes of closed trusts;
mergers and splits over the years; sites spread over LADs; daily values of ten metrics.

Everything derives from `seed` (numpy's PCG64 and Python's Random), so two runs give the same data.
"""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

DEF = "https://w3id.org/nhskg/def#"
# Flow metrics of the project's metric scheme (ontology/metrics.ttl on the returns branch): sums
# over organisations and over days are meaningful, so every path answers the same question.
METRICS = tuple(
    DEF + name
    for name in (
        "AEAttendancesType1",
        "AEAttendancesOver4HoursType1",
        "AEBookedAttendancesType1",
        "AEBookedAttendancesOver4HoursType1",
        "EmergencyAdmissionsViaAEType1",
        "AEAttendancesType2",
        "AEAttendancesOver4HoursType2",
        "AEBookedAttendancesType2",
        "AEBookedAttendancesOver4HoursType2",
        "EmergencyAdmissionsViaAEType2",
    )
)
LAST_DAY = date(2026, 3, 31)


@dataclass(frozen=True)
class Size:
    trusts: int = 240
    sites: int = 1_500
    mergers: int = 30
    splits: int = 10
    days: int = 365 * 3
    metrics: int = 10


@dataclass(frozen=True)
class Geography:
    lad_lrf: dict[str, str]
    lad_region: dict[str, str]
    lad_icb: dict[str, str]


@dataclass(frozen=True)
class Event:
    """From `day` the predecessors' work is carried on by the successors (share per successor)."""

    day: date
    predecessors: tuple[str, ...]
    successors: tuple[tuple[str, float], ...]


@dataclass
class SyntheticSystem:
    geography: Geography
    current: list[str]  # trusts open on the last day
    predecessors: list[str]  # trusts closed by an event
    events: list[Event]
    site_lad: dict[str, tuple[str, str]]  # site code -> (trust, LAD)
    first_day: date
    last_day: date
    metrics: tuple[str, ...]
    # Values, one per (organisation, metric, day) the organisation was open: parallel arrays.
    org: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    metric: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    day: np.ndarray = field(default_factory=lambda: np.array([], dtype="datetime64[D]"))
    value: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.float64))

    def closed_on(self) -> dict[str, date]:
        return {p: e.day for e in self.events for p in e.predecessors}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def read_geography(data_dir: Path) -> Geography:
    """LAD19 -> LRF19 and region (England only); ICB by where most of a LAD's LSOAs are."""
    ons = data_dir / "ons"
    lrf = {r["LAD19CD"]: r["LRF19CD"] for r in _rows(ons / "132_LAD19_LRF19_EW_LU.csv")}
    lrf = {lad: v for lad, v in lrf.items() if lad.startswith("E")}
    region = {r["LAD18CD"]: r["RGN18CD"] for r in _rows(ons / "016_LAD18_RGN18_EN_LU.csv")}
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for r in _rows(ons / "lookup_lsoa11_sicbl22_icb22_ltla22.csv"):
        counts[r["ltla22_code"]][r["icb22_code"]] += 1
    icb = {lad: c.most_common(1)[0][0] for lad, c in counts.items()}
    by_lrf: dict[str, str] = {}  # a LAD that merged after 2019: the ICB of a LAD in its LRF
    for lad, forum in sorted(lrf.items()):
        if lad in icb:
            by_lrf.setdefault(forum, icb[lad])
    lads = sorted(lad for lad in lrf if lad in region)
    return Geography(
        {lad: lrf[lad] for lad in lads},
        {lad: region[lad] for lad in lads},
        {lad: icb.get(lad, by_lrf.get(lrf[lad], "")) for lad in lads},
    )


def trust_codes(data_dir: Path) -> tuple[list[str], list[str]]:
    """(open, closed) three-character trust codes from the July 2026 ODS trust file."""
    with (data_dir / "ods" / "etr-2026-07.csv").open(newline="", encoding="latin-1") as f:
        rows = [r for r in csv.reader(f) if len(r[0]) == 3]
    return sorted(r[0] for r in rows if not r[11]), sorted(r[0] for r in rows if r[11])


def _padded(codes: list[str], n: int, prefix: str, taken: set[str]) -> list[str]:
    """`codes` cut or padded to n with synthetic codes that no real trust uses."""
    out = list(codes[:n])
    i = 0
    while len(out) < n:
        code = f"{prefix}{i:02d}"
        if code not in taken:
            out.append(code)
        i += 1
    return out


def _events(rng: random.Random, size: Size, current: list[str], pool: list[str], first: date):
    """Mergers (two predecessors into a successor, sometimes a later predecessor: a chain) and
    splits (one predecessor into two current trusts with shares), on distinct days."""
    span, margin = (LAST_DAY - first).days, min(30, (LAST_DAY - first).days // 10)
    chosen = rng.sample(range(margin, span - margin), size.mergers + size.splits)
    days = sorted(first + timedelta(days=d) for d in chosen)
    events: list[Event] = []
    kinds = ["merger"] * size.mergers + ["split"] * size.splits
    rng.shuffle(kinds)
    next_pred = 0
    for i, kind in enumerate(kinds):
        day = days[i]
        if kind == "split":
            preds = (pool[next_pred],)
            a, b = rng.sample(current, 2)
            share = round(rng.uniform(0.3, 0.7), 2)
            events.append(Event(day, preds, ((a, share), (b, round(1 - share, 2)))))
            next_pred += 1
            continue
        preds = (pool[next_pred], pool[next_pred + 1])
        next_pred += 2
        # A chain: the successor is a trust that is itself merged later (one not yet used).
        later = pool[next_pred + 1 :] if i < len(kinds) - 3 and rng.random() < 0.2 else []
        successor = later[0] if later else rng.choice(current)
        events.append(Event(day, preds, ((successor, 1.0),)))
    return events, next_pred


def generate(data_dir: Path, size: Size = Size(), seed: int = 7) -> SyntheticSystem:
    rng = random.Random(seed)
    geography = read_geography(data_dir)
    open_codes, closed_codes = trust_codes(data_dir)
    taken = set(open_codes) | set(closed_codes)
    current = _padded(open_codes, size.trusts, "ZC", taken)
    needed = 2 * size.mergers + size.splits
    pool = _padded(closed_codes, needed, "ZP", taken)
    first = LAST_DAY - timedelta(days=size.days - 1)
    events, used = _events(rng, size, current, pool, first)
    predecessors = pool[:used]
    site_lad = _sites(rng, geography, current + predecessors, size.sites)
    system = SyntheticSystem(
        geography, current, predecessors, events, site_lad, first, LAST_DAY, METRICS[: size.metrics]
    )
    _values(system, seed)
    return system


def _sites(
    rng: random.Random, geo: Geography, orgs: list[str], n: int
) -> dict[str, tuple[str, str]]:
    """Every trust gets a home LAD and at least one site; most sites are in the home LAD, the rest
    in another LAD of the same region (so some trusts straddle LRFs and get shares)."""
    lads = sorted(geo.lad_lrf)
    by_region: dict[str, list[str]] = defaultdict(list)
    for lad in lads:
        by_region[geo.lad_region[lad]].append(lad)
    home = {org: rng.choice(lads) for org in orgs}
    owners = list(orgs) + [rng.choice(orgs) for _ in range(max(0, n - len(orgs)))]
    out = {}
    for i, org in enumerate(owners):
        lad = home[org]
        if rng.random() < 0.3:
            lad = rng.choice(by_region[geo.lad_region[lad]])
        out[f"{org}S{i:04d}"] = (org, lad)
    return out


def _values(system: SyntheticSystem, seed: int) -> None:
    """One value per organisation, metric and open day: a per-organisation level plus noise."""
    rng = np.random.default_rng(seed)
    closed = system.closed_on()
    days = np.arange(
        np.datetime64(system.first_day), np.datetime64(system.last_day) + 1, dtype="datetime64[D]"
    )
    orgs, metrics, dates, values = [], [], [], []
    for org in system.current + system.predecessors:
        end = np.datetime64(closed[org]) if org in closed else days[-1] + 1
        open_days = days[days < end]
        for metric in system.metrics:
            level = rng.integers(20, 400)
            orgs.append(np.full(len(open_days), org, dtype=object))
            metrics.append(np.full(len(open_days), metric, dtype=object))
            dates.append(open_days)
            values.append((level + rng.integers(0, 60, len(open_days))).astype(np.float64))
    # In publication order (by day, as daily returns arrive), not organisation by organisation.
    order = np.argsort(np.concatenate(dates), kind="stable")
    system.org, system.metric = np.concatenate(orgs)[order], np.concatenate(metrics)[order]
    system.day, system.value = np.concatenate(dates)[order], np.concatenate(values)[order]
