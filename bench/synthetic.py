"""Validation at the size the sites and successions files will bring: a deterministic synthetic
batch of N sites, each with a site operation by one of 240 trusts (about 9 triples per site),
validated by the fast path and by plain pySHACL (which is expected to hit its time limit)."""

from __future__ import annotations

from rdflib import RDF, RDFS, XSD, Graph, Literal

from bench.core import Context, Row, benchmark, row, run_child
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG

SITES = 30_000
TRUSTS = 240


def synthetic_sites(n: int) -> Graph:
    """n sites with one operation each; every code and date derives from the index."""
    g = Graph()
    for t in range(TRUSTS):
        trust = ID[f"org/R{t:02X}"]
        g.add((trust, RDF.type, NHSKG.NHSTrust))
        g.add((trust, NHSKG.odsCode, Literal(f"R{t:02X}")))
        g.add((trust, RDFS.label, Literal(f"Synthetic NHS Trust {t}")))
        g.add((trust, NHSKG.openDate, Literal("2000-04-01", datatype=XSD.date)))
    for i in range(n):
        site, operation = ID[f"site/S{i:04X}"], ID[f"site-operation/S{i:04X}"]
        g.add((site, RDF.type, NHSKG.Site))
        g.add((site, NHSKG.odsCode, Literal(f"S{i:04X}")))
        g.add((site, RDFS.label, Literal(f"Synthetic site {i}")))
        g.add((site, NHSKG.latitude, Literal(f"{50 + (i % 900) / 100:.2f}", datatype=XSD.decimal)))
        g.add((site, NHSKG.longitude, Literal(f"{-3 + (i % 400) / 100:.2f}", datatype=XSD.decimal)))
        g.add((operation, RDF.type, NHSKG.SiteOperation))
        g.add((operation, NHSKG.operatedSite, site))
        g.add((operation, NHSKG.operator, ID[f"org/R{i % TRUSTS:02X}"]))
        g.add((operation, NHSKG.validFrom, Literal("2010-04-01", datatype=XSD.date)))
    return g


@benchmark("validation-synthetic-sites")
def synthetic_validation(ctx: Context) -> list[Row]:
    rows = []
    for validator, label, limit in (
        ("fast", "fast path", ctx.timeout),
        ("pyshacl", "plain pySHACL", ctx.old_path_timeout),
    ):
        args = ["validate-synthetic", "--sites", str(SITES), "--validator", validator]
        run = run_child([*args, "--store", "-"], limit)
        out = run.output or {}
        why = f"timed out after {limit:.0f} s" if run.timed_out else run.error
        note = f"{out['triples']} triples, conforms={out['conforms']}" if out else why
        rows.append(
            row(f"validate {SITES:,} synthetic sites, {label}", out.get("seconds"), "s", note=note)
        )  # type: ignore[arg-type]
        if out:
            rows.append(row(f"  peak RSS, {label}", run.peak_rss_mb, "MB"))
    return rows
