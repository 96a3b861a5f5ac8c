"""What a return batch says in the graph: its dataset and publication, the unregistered providers
it introduced (batch graph), and the PROV-O record of the batch and its load (provenance graph)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.mapping.spec import PROV
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG
from service.returns.context import BatchContext
from service.returns.spec import ReturnMapping

Triple = tuple[Node, Node, Node]


def dataset_iri(spec: ReturnMapping) -> URIRef:
    return ID[f"dataset/{spec.dataset}"]


def publication_iri(key: str) -> URIRef:
    return ID[f"publication/{key}"]


def batch_triples(
    spec: ReturnMapping,
    path: Path,
    key: str,
    ctx: BatchContext,
    known: set[str],
    release: date | None = None,
) -> list[Triple]:
    dataset, publication = dataset_iri(spec), publication_iri(key)
    triples: list[Triple] = [
        (dataset, RDF.type, NHSKG.StatisticalDataset),
        (dataset, RDFS.label, Literal(spec.dataset_title)),
        (publication, RDF.type, NHSKG.Publication),
        (publication, NHSKG.publicationOf, dataset),
        (publication, RDFS.label, Literal(f"{spec.dataset_title}: {path.name}")),
    ]
    if release is not None:
        triples.append((publication, NHSKG.releaseDate, Literal(release)))
    batch = URIRef(ctx.batch_iri)
    for code, (name, regions) in sorted(ctx.resolution.unregistered.items()):
        org = ID[f"org/{code}"]
        triples += [
            (org, RDF.type, NHSKG.UnregisteredProvider),
            (org, NHSKG.odsCode, Literal(code)),
            (org, RDFS.label, Literal(name)),
        ]
        triples += [(org, NHSKG.statedRegion, Literal(r)) for r in sorted(regions) if r]
        if code not in known:
            triples.append((org, NHSKG.firstReportedIn, batch))
    return triples


def provenance_triples(
    spec: ReturnMapping,
    path: Path,
    sha: str,
    ctx: BatchContext,
    old_batch: str | None,
    warnings: int,
) -> list[Triple]:
    batch = URIRef(ctx.batch_iri)
    activity = URIRef(ctx.batch_iri + "#load")
    source = ID[f"source-file/{sha}"]
    now = Literal(datetime.now(UTC).replace(microsecond=0))
    v = ctx.values
    triples: list[Triple] = [
        (batch, RDF.type, NHSKG.ReturnBatch),
        (batch, NHSKG.batchOf, publication_iri(f"{spec.id}/{path.stem}")),
        (batch, PROV.wasGeneratedBy, activity),
        (batch, PROV.wasDerivedFrom, source),
        (batch, NHSKG.valueCount, Literal(len(v))),
        (batch, NHSKG.warningCount, Literal(warnings)),
        (activity, RDF.type, NHSKG.ReturnLoad),
        (activity, PROV.used, source),
        (activity, PROV.startedAtTime, now),
        (activity, NHSKG.mapping, Literal(spec.id)),
        (activity, NHSKG.softwareVersion, Literal(__version__)),
        (source, RDF.type, NHSKG.SourceFile),
        (source, NHSKG.fileName, Literal(path.name)),
        (source, NHSKG.sha256, Literal(sha)),
    ]
    if len(v):
        triples += [
            (batch, NHSKG.firstPeriod, Literal(min(v.period_start))),
            (batch, NHSKG.lastPeriod, Literal(max(v.period_end))),
        ]
    triples += [(batch, NHSKG.reportsMetric, URIRef(m)) for m in sorted(set(v.metric))]
    if old_batch:
        old = URIRef(old_batch)
        triples += [(batch, PROV.wasRevisionOf, old), (old, PROV.invalidatedAtTime, now)]
    return triples
