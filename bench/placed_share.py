"""The share of a day's values each placement method puts in some area, per geography type: the
measurement the default method is chosen from (README, "Placement policy").

    python -m bench.placed_share DIR [--materialise]

DIR holds `store` (the national reference, with the COVID publication loaded) and
`numbers.duckdb`; `--materialise` first builds org_area for every geography type (a minute).
Prints a Markdown table of BedsOccupiedCovid on 2020-04-15, as reported and restated to
2026-04-01.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from service.geography.assign import Placer
from service.manifest import materialise_for_returns
from service.rdf.store import GraphStore
from service.rdf.vocab import NHSKG
from service.returns.codes import graph_successions
from service.returns.numbers import NumbersStore
from service.rollup.engine import rollup
from service.rollup.model import AREA_MEMBERSHIP, AS_REPORTED, Method, to_organisations_at

DAY = date(2020, 4, 15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--materialise", action="store_true")
    args = parser.parse_args()
    store = GraphStore(args.dir / "store")
    if args.materialise:
        types = tuple(Placer.from_store(store).reference.api_names())
        materialise_for_returns(store, args.dir / "numbers.duckdb", types)
    numbers = NumbersStore(args.dir / "numbers.duckdb")
    types = [
        str(r[0])
        for r in numbers.con.execute(
            "SELECT DISTINCT area_type FROM org_area ORDER BY 1"
        ).fetchall()
    ]
    successions = graph_successions(store)
    metric = str(NHSKG.BedsOccupiedCovid)
    row = numbers.con.execute(
        "SELECT sum(value) FROM reported_value WHERE metric = ? AND period_start = ?", [metric, DAY]
    ).fetchone()
    total = float(row[0]) if row and row[0] else 0.0
    print(f"{total:,.0f} values reported on {DAY}")
    print("| method | " + " | ".join(types) + " |")
    print("|---" * (len(types) + 1) + "|")
    for restate in (AS_REPORTED, to_organisations_at(date(2026, 4, 1))):
        for method in Method:
            if method == AREA_MEMBERSHIP:  # values reported by areas, not by organisations
                continue
            cells = []
            for area_type in types:
                if method == Method.RETURN_STATED and area_type != "NHS_REGION":
                    cells.append("-")
                    continue
                result = rollup(
                    numbers,
                    metric,
                    area_type,
                    DAY,
                    method,
                    restate,
                    successions=successions,
                    detail=False,
                )
                cells.append(f"{100 * sum(r.value for r in result.rows) / total:.1f}%")
            label = f"{method.value}, restated to {restate.at}" if restate.at else method.value
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
