"""Which answers rest on synthetic values: the batches behind a metric's values whose return
mapping marks its dataset synthetic (dataset: synthetic: true, e.g. the Supply Chain 360
generator's return). Every answer and page that shows such values carries the notice."""

from __future__ import annotations

from functools import lru_cache

from service.mapping.spec import MappingError
from service.returns.numbers import NumbersStore
from service.returns.spec import load_return_mapping


@lru_cache(maxsize=64)
def _synthetic_mapping(mapping_id: str) -> bool:
    try:
        return load_return_mapping(mapping_id).synthetic
    except MappingError:  # a batch of a mapping since removed: not known to be synthetic
        return False


def synthetic_notice(numbers: NumbersStore, metric_iris: list[str]) -> str | None:
    """None when every value of these metrics is real; otherwise the notice naming the
    synthetic datasets and the files (releases) they came from."""
    con = numbers.reader()
    try:
        rows = con.execute(
            "SELECT DISTINCT b.mapping, b.dataset, b.file FROM batch b WHERE b.batch_id IN "
            f"(SELECT DISTINCT batch_id FROM {numbers.values} WHERE list_contains(?, metric)) "
            "ORDER BY b.dataset, b.file",
            [metric_iris],
        ).fetchall()
    finally:
        con.close()
    found = [(dataset, file) for mapping, dataset, file in rows if _synthetic_mapping(mapping)]
    if not found:
        return None
    datasets = sorted({d for d, _ in found})
    files = ", ".join(f for _, f in found)
    return (
        f"SYNTHETIC DATA: these figures come from {', '.join(datasets)} ({files}), generated "
        "by nhskg supplies generate; they are not real and must not inform decisions"
    )
