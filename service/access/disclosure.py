"""Disclosure control: which metrics' figures are protected, for whom, and the protection itself.

The policy is the ontology's (ontology/disclosure.ttl: nhskg:disclosurePolicy on a metric); no
threshold or noise is stated here. The protection is the cell-key method applied to the finest
cells the service holds: one organisation's value of a metric for one period (a record).

- A record's key is a whole number in [0, bigN), derived from the record's identity (reporting
  organisation, metric, period start) and a secret salt held beside the numbers store (never in
  code, never published): without the salt nobody can tell which noise a value got.
- The perturbation table (a CSV file the policy names) gives the noise for (value, key).
- Every figure is summed from the perturbed values, in DuckDB, by the same roll-up engine: the
  same record carries the same noise in every geography type, method, date, 7-day range and
  restatement, after a restart and in any order of queries; totals add up; differencing two
  overlapping figures gives the difference of perturbed values, never a true value.

`protection_for(access, metric_iri, numbers)` says what protection (if any) applies to one
caller's roll-up of one metric; service/access/policy.py's Access asks it for every roll-up.
"""

from __future__ import annotations

import csv
import os
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import URIRef

from service.access.principal import Principal
from service.rdf.terms import ONTOLOGY_DIR
from service.rdf.vocab import NHSKG
from service.validation.rulebook import ontology_graph

PERTURBED = "PERTURBED"
SALT_FILE = "disclosure.key"
_HEX = re.compile(r"^[0-9a-f]{32,128}$")


class DisclosureError(RuntimeError):
    """A protected metric that cannot be protected as the policy says (no salt, a bad table):
    its figures are refused rather than published unprotected."""


@dataclass(frozen=True)
class PerturbationRow:
    value: int
    noise: int
    key_from: int
    key_to: int


@dataclass(frozen=True)
class DisclosurePolicy:
    iri: str
    disclosive: bool
    method: str  # local name of the protection method concept
    threshold: int
    modulus: int
    maximum: int  # the largest noise either way (public)
    width: int  # the narrowest interval an attacker may derive for a small count
    roles: frozenset[str]
    scoped_grants: bool
    loss_bound: float
    table: tuple[PerturbationRow, ...]
    decimals: int = 6  # a protected figure is published rounded to these places

    def applies_to(self, principal: Principal) -> bool:
        """Whether this caller gets protected figures: a listed role, or (when the policy says
        so) any grant restricted in scope; a national grant of another role sees records."""
        if not self.disclosive or self.method == "NoProtection":
            return False
        return principal.role.value in self.roles or (self.scoped_grants and not principal.national)

    def noise(self, value: float, key: int) -> int:
        """The table's noise for one value and key (what the SQL relation adds, for the audit
        and the tests). Values without a row (negative, fractional) are not perturbed."""
        if value != int(value) or value < 0 or not self.table:
            return 0
        row_value = min(int(value), self.table[-1].value)
        for row in self.table:
            if row.value == row_value and row.key_from <= key <= row.key_to:
                return row.noise
        return 0


def _literal(graph_value: object, what: str, policy: str) -> str:
    if graph_value is None:
        raise DisclosureError(f"the disclosure policy {policy} states no {what}")
    return str(graph_value)


@lru_cache(maxsize=64)
def policy_of(metric_iri: str) -> DisclosurePolicy | None:
    """The metric's disclosure policy from the ontology, or None (open data)."""
    graph = ontology_graph()
    node = graph.value(URIRef(metric_iri), NHSKG.disclosurePolicy)
    if node is None:
        return None
    name = str(node)

    def get(prop: URIRef) -> object:
        return graph.value(node, prop)

    disclosive = str(get(NHSKG.disclosive)).lower() == "true"
    method = _literal(get(NHSKG.protectionMethod), "protection method", name).rsplit("#", 1)[-1]
    if not disclosive or method == "NoProtection":
        return DisclosurePolicy(name, False, method, 0, 1, 0, 0, frozenset(), False, 0.0, ())
    table_path = ONTOLOGY_DIR / _literal(get(NHSKG.perturbationTable), "perturbation table", name)
    return DisclosurePolicy(
        iri=name,
        disclosive=True,
        method=method,
        threshold=int(_literal(get(NHSKG.smallCountThreshold), "threshold", name)),
        modulus=int(_literal(get(NHSKG.cellKeyModulus), "cell key modulus", name)),
        maximum=int(_literal(get(NHSKG.maximumPerturbation), "maximum perturbation", name)),
        width=int(_literal(get(NHSKG.protectionWidth), "protection width", name)),
        roles=frozenset(str(r) for r in graph.objects(node, NHSKG.protectsRole)),
        scoped_grants=str(get(NHSKG.protectsScopedGrants)).lower() == "true",
        loss_bound=float(_literal(get(NHSKG.informationLossBound), "loss bound", name)),
        table=read_table(table_path),
        decimals=int(_literal(get(NHSKG.publishedDecimals), "published decimals", name)),
    )


def read_table(path: Path) -> tuple[PerturbationRow, ...]:
    """The perturbation table, checked: whole numbers, each value's key ranges contiguous from
    0, the value + noise never negative (a published count is never below 0)."""
    if not path.exists():
        raise DisclosureError(f"the perturbation table {path} does not exist")
    with path.open(newline="") as handle:
        try:
            rows = [
                PerturbationRow(
                    int(r["value"]), int(r["noise"]), int(r["key_from"]), int(r["key_to"])
                )
                for r in csv.DictReader(handle)
            ]
        except (KeyError, TypeError, ValueError) as exc:
            raise DisclosureError(f"{path}: not value,noise,key_from,key_to integers") from exc
    rows.sort(key=lambda r: (r.value, r.key_from))
    expected: dict[int, int] = {}
    for row in rows:
        if row.key_from != expected.get(row.value, 0) or row.key_to < row.key_from:
            raise DisclosureError(f"{path}: the key ranges of value {row.value} have a gap")
        if row.value + row.noise < 0:
            raise DisclosureError(f"{path}: value {row.value} + noise {row.noise} is negative")
        expected[row.value] = row.key_to + 1
    if not rows or len(set(expected.values())) != 1:
        raise DisclosureError(f"{path}: every value must cover the same key space")
    return tuple(rows)


def salt_for(numbers_path: Path | None) -> str:
    """The secret salt held beside the numbers store (made on first use where the store may be
    written; a read-only store without one refuses protected figures rather than publish them
    unprotected). An in-memory store gets a salt for the life of the process."""
    if numbers_path is None:
        return _process_salt()
    return _file_salt(numbers_path.parent / SALT_FILE)


@lru_cache(maxsize=1)
def _process_salt() -> str:
    return secrets.token_hex(32)


@lru_cache(maxsize=16)
def _file_salt(path: Path) -> str:
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DisclosureError(
                f"no disclosure salt at {path}, and it cannot be made ({exc.strerror}): "
                "protected figures are refused"
            ) from exc
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    salt = path.read_text().strip()
    if not _HEX.match(salt):
        raise DisclosureError(f"the disclosure salt at {path} is not 32-128 hex digits")
    return salt


@lru_cache(maxsize=64)
def source_floor(metric_iri: str) -> int:
    """The smallest value of the metric its source publishes as a number (0 for most): a source
    that suppresses 0 to k itself (UKHSA's -99 on MSOA cases, nhskg:suppressedAtSourceUpTo k)
    publishes nothing below k + 1, which any reader knows. The perturbation then treats k + 1 as
    zero (a value v >= k + 1 gets the table's noise for v - k - 1), so no published value falls
    below k + 1 and tells the reader more than the table allows."""
    found = ontology_graph().value(URIRef(metric_iri), NHSKG.suppressedAtSourceUpTo)
    return 0 if found is None else int(str(found)) + 1


@lru_cache(maxsize=1)
def protected_metrics() -> tuple[str, ...]:
    """Every metric the ontology gives a disclosive policy."""
    graph = ontology_graph()
    found = {str(m) for m in graph.subjects(NHSKG.disclosurePolicy, None)}
    return tuple(sorted(m for m in found if (p := policy_of(m)) is not None and p.disclosive))


@dataclass(frozen=True)
class Protection:
    """One roll-up's protection: the policy, the store's salt and the metric's source floor
    (source_floor). `relation(values)` is the reported values as the engine reads them,
    perturbed."""

    policy: DisclosurePolicy
    salt: str
    floor: int = 0

    @property
    def label(self) -> str:
        return PERTURBED

    def published(self, value: float) -> float:
        """A figure as published: rounded to the policy's places (the same digits whichever
        order DuckDB's parallel sum took)."""
        return round(value, self.policy.decimals) + 0.0  # + 0.0: never -0.0

    def key_sql(self, alias: str) -> str:
        """The record key of each row of `alias` (an md5 of the salt and the record's identity,
        as a number, modulo bigN)."""
        return (
            f"CAST(md5_number('{self.salt}|' || {alias}.org_code || '|' || {alias}.metric || "
            f"'|' || CAST({alias}.period_start AS VARCHAR)) % {self.policy.modulus} AS BIGINT)"
        )

    def relation(self, values: str) -> str:
        """`values` (a table expression named reported_value) with each value perturbed. The
        salt is checked hex and the table whole numbers, so both are written as literals."""
        return f"({self.select(values)}) AS reported_value"

    def select(self, values: str) -> str:
        """The SELECT of `relation` (values at or above the floor move by the table's noise for
        value - floor; a suppressed value, NULL, stays NULL)."""
        assert _HEX.match(self.salt)
        table = ", ".join(
            f"({r.value}, {r.noise}, {r.key_from}, {r.key_to})" for r in self.policy.table
        )
        last = self.policy.table[-1].value
        base = int(self.floor)
        return f"""
            SELECT pv.* REPLACE (pv.value + coalesce(pt.noise, 0) AS value)
            FROM (SELECT * FROM {values}) pv
            LEFT JOIN (VALUES {table}) pt(row_value, noise, key_from, key_to)
              ON pv.value >= {base} AND pv.value = floor(pv.value)
             AND pt.row_value = least(CAST(pv.value AS BIGINT) - {base}, {last})
             AND {self.key_sql("pv")} BETWEEN pt.key_from AND pt.key_to"""

    def noise(self, value: float, key: int) -> int:
        """The noise the relation adds to one value with one key (for the audit and tests)."""
        if value != int(value) or value < self.floor:
            return 0
        return self.policy.noise(value - self.floor, key)

    def record_key(self, org_code: str, metric: str, period_start: str) -> int:
        """The same key in Python (the audit and the tests), by DuckDB's md5_number."""
        import duckdb

        # The modulus written as the relation writes it: bound as a parameter, DuckDB would take
        # the remainder of a DOUBLE (md5_number is a UHUGEINT), and the keys would differ.
        row = duckdb.execute(
            "SELECT CAST(md5_number(? || '|' || ? || '|' || ? || '|' || ?) "
            f"% {int(self.policy.modulus)} AS BIGINT)",
            [self.salt, org_code, metric, period_start],
        ).fetchone()
        assert row is not None
        return int(row[0])


def protection_for(
    principal: Principal, metric_iri: str, numbers_path: Path | None
) -> Protection | None:
    """The protection one caller's roll-up of one metric gets, or None (open data, or a
    national grant the policy does not list)."""
    policy = policy_of(metric_iri)
    if policy is None or not policy.applies_to(principal):
        return None
    return Protection(policy, salt_for(numbers_path), source_floor(metric_iri))


_SAFE_IRI = re.compile(r"^https?://[A-Za-z0-9._~:/#-]+$")


@dataclass(frozen=True)
class RecordsProtection:
    """The protection of reads of records themselves (an organisation's or an area's values of
    any metric: GraphQL `observations`, GET /observations/{code}.ttl): each value of a metric
    whose policy applies to the caller is perturbed exactly as the roll-ups perturb it (the same
    key, table and floor: the same value published whichever path reads it); other metrics'
    values are read as stored."""

    by_metric: dict[str, Protection]

    def protects(self, metric_iri: str) -> bool:
        return metric_iri in self.by_metric

    def relation(self, values: str) -> str:
        """`values` with each protected metric's values perturbed (metric IRIs come from the
        ontology, checked, and are written as literals; nothing the caller sent is)."""
        if not self.by_metric:
            return values
        groups: dict[Protection, list[str]] = {}
        for metric, protection in sorted(self.by_metric.items()):
            if not _SAFE_IRI.match(metric):
                raise DisclosureError(f"the metric IRI {metric!r} cannot be written safely")
            groups.setdefault(protection, []).append(metric)

        def listed(metrics: list[str]) -> str:
            return "[" + ", ".join(f"'{m}'" for m in metrics) + "]"

        parts = [
            protection.select(f"(SELECT * FROM {values} WHERE list_contains({listed(ms)}, metric))")
            for protection, ms in groups.items()
        ]
        every = listed(sorted(self.by_metric))
        parts.append(f"SELECT * FROM {values} WHERE NOT list_contains({every}, metric)")
        return "(" + " UNION ALL ".join(f"({p})" for p in parts) + ") AS reported_value"


def records_protection(principal: Principal, numbers_path: Path | None) -> RecordsProtection:
    """What one caller's reads of records get: every disclosive metric's protection that
    applies to the caller (none for a national grant the policies do not list)."""
    found = {}
    for metric in protected_metrics():
        protection = protection_for(principal, metric, numbers_path)
        if protection is not None:
            found[metric] = protection
    return RecordsProtection(found)
