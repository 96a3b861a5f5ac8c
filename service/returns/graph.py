"""What a batch says in the graph: its dataset and publication, the unregistered providers it
introduced (batch graph), and the PROV-O record of the batch and its load (provenance graph).
One writer for every batch: returns reported by organisations and values reported by area."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.term import Node

from service import __version__
from service.mapping.spec import PROV
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG
from service.returns.context import BatchContext
from service.returns.numbers import BatchRecord

Triple = tuple[Node, Node, Node]


def dataset_iri(dataset: str) -> URIRef:
    return ID[f"dataset/{dataset}"]


def publication_iri(key: str) -> URIRef:
    return ID[f"publication/{key}"]


def publication_triples(record: BatchRecord, dataset_title: str) -> list[Triple]:
    """The batch's dataset and publication (with its release date)."""
    dataset, publication = dataset_iri(record.dataset), publication_iri(record.publication)
    return [
        (dataset, RDF.type, NHSKG.StatisticalDataset),
        (dataset, RDFS.label, Literal(dataset_title)),
        (publication, RDF.type, NHSKG.Publication),
        (publication, NHSKG.publicationOf, dataset),
        (publication, RDFS.label, Literal(f"{dataset_title}: {record.file}")),
        (publication, NHSKG.releaseDate, Literal(record.release_date)),
    ]


def unregistered_triples(ctx: BatchContext, known: set[str]) -> list[Triple]:
    """The providers a return names that the reference data does not hold."""
    batch = URIRef(ctx.batch_iri)
    triples: list[Triple] = []
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
    record: BatchRecord,
    periods: tuple[Iterable[date], Iterable[date]],
    metrics: Iterable[str],
    old_batch: str | None,
    warnings: int,
) -> list[Triple]:
    """The PROV-O record of the batch, its load and its source file; `periods`: the values'
    first and last days (starts, ends)."""
    batch = URIRef(record.batch_id)
    activity = URIRef(record.batch_id + "#load")
    source = ID[f"source-file/{record.sha256}"]
    now = Literal(datetime.now(UTC).replace(microsecond=0))
    triples: list[Triple] = [
        (batch, RDF.type, NHSKG.ReturnBatch),
        (batch, NHSKG.batchOf, publication_iri(record.publication)),
        (batch, PROV.wasGeneratedBy, activity),
        (batch, PROV.wasDerivedFrom, source),
        (batch, NHSKG.valueCount, Literal(record.value_count)),
        (batch, NHSKG.warningCount, Literal(warnings)),
        (activity, RDF.type, NHSKG.ReturnLoad),
        (activity, PROV.used, source),
        (activity, PROV.startedAtTime, now),
        (activity, NHSKG.mapping, Literal(record.mapping)),
        (activity, NHSKG.softwareVersion, Literal(__version__)),
        (source, RDF.type, NHSKG.SourceFile),
        (source, NHSKG.fileName, Literal(record.file)),
        (source, NHSKG.sha256, Literal(record.sha256)),
    ]
    starts, ends = list(periods[0]), list(periods[1])
    if starts:
        triples += [
            (batch, NHSKG.firstPeriod, Literal(min(starts))),
            (batch, NHSKG.lastPeriod, Literal(max(ends))),
        ]
    triples += [(batch, NHSKG.reportsMetric, URIRef(m)) for m in sorted(set(metrics))]
    if old_batch:
        old = URIRef(old_batch)
        triples += [(batch, PROV.wasRevisionOf, old), (old, PROV.invalidatedAtTime, now)]
    return triples
