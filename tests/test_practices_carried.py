"""The commissioning carried from the September 2020 practice map to a CCG merger, and the PCN
mapping, on real rows of ../shared/data (issue 16): what is carried, what is refused with its
reason (a practice that moved, a CCG that did not close the day before, no later commissioner),
and a named file that is missing. The national outcome is in tests/test_practices.py."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from service.loader import map_file
from service.mapping.engine import MappedBatch
from service.mapping.spec import MappingError, load_mapping
from service.rdf.terms import ID
from service.rdf.vocab import NHSKG

MERGED = "B85001"  # map: North Kirklees CCG 03J; epraccur: X2C4Y from 2021-04-01 (03J -> X2C4Y)
MOVED = "B82002"  # map: Vale of York 03Q; epraccur: North Yorkshire 42D from 2024-04-01
SAME = "A81001"  # map: 16C; epraccur: 16C from 2020-04-01


def _lines(path: Path, codes: set[str], *, header: bool, column: int) -> list[str]:
    with path.open(encoding="utf-8-sig") as f:
        lines = f.read().splitlines()
    kept = [
        line for line in lines[1 if header else 0 :] if next(csv.reader([line]))[column] in codes
    ]
    return ([lines[0]] if header else []) + kept


@pytest.fixture
def data(shared_data: Path, tmp_path: Path) -> Path:
    """Real rows of the four files for three practices, in a directory laid out as ods/."""
    ods = shared_data / "ods"
    out = tmp_path / "ods"
    out.mkdir()
    practices = {MERGED, MOVED, SAME}
    files = {
        "gp-practice-map-2020-09.csv": (practices, True, 2),
        "epraccur-2025-04.csv": (practices, False, 0),
        "eccg-2025.csv": ({"03J", "03Q", "16C", "42D", "X2C4Y"}, False, 0),
        "succ-2026-04.csv": ({"03J", "03Q", "16C"}, False, 0),
    }
    for name, (codes, header, column) in files.items():
        lines = _lines(ods / name, codes, header=header, column=column)
        (out / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _carried(data: Path) -> MappedBatch:
    batch = map_file(
        data / "gp-practice-map-2020-09.csv", load_mapping("ods-practice-map-carried"), ""
    )
    assert isinstance(batch, MappedBatch)
    return batch


def test_a_practice_whose_ccg_merged_is_carried_to_the_day_before_the_merger(data: Path) -> None:
    batch = _carried(data)
    node = URIRef(ID[f"practice-commissioning/practice-map-carried/2020-09-02/{MERGED}"])
    triples = set(batch.triples)
    day = XSD.date
    assert (node, NHSKG.commissionerCode, Literal("03J")) in triples
    assert (node, NHSKG.validFrom, Literal("2020-09-02", datatype=day)) in triples
    assert (node, NHSKG.validTo, Literal("2021-03-31", datatype=day)) in triples
    assert (node, NHSKG.carriedToCommissionerCode, Literal("X2C4Y")) in triples
    assert (node, NHSKG.carriedToDate, Literal("2021-04-01", datatype=day)) in triples
    # The others are refused, each with its reason.
    subjects = {str(s) for s, _, _ in triples}
    assert not any(MOVED in s or SAME in s for s in subjects)
    reasons = " | ".join(batch.skipped)
    assert "the practice moved on a day no file states" in reasons
    assert "epraccur states the map's CCG already on the map's day" in reasons


def test_no_carry_when_the_ccg_did_not_close_the_day_before(data: Path) -> None:
    eccg = data / "eccg-2025.csv"
    text = eccg.read_text(encoding="utf-8").replace(
        '"20130401","20210331"', '"20130401","20210330"'
    )
    eccg.write_text(text, encoding="utf-8")
    batch = _carried(data)
    assert batch.triples == {} or not any(MERGED in str(s) for s, _, _ in batch.triples)
    assert any("did not close the day before" in r for r in batch.skipped)


def test_no_carry_without_a_later_commissioner(data: Path) -> None:
    epraccur = data / "epraccur-2025-04.csv"
    lines = [
        line for line in epraccur.read_text(encoding="utf-8").splitlines() if MERGED not in line
    ]
    epraccur.write_text("\n".join(lines) + "\n", encoding="utf-8")
    batch = _carried(data)
    assert not any(MERGED in str(s) for s, _, _ in batch.triples)
    assert any("practice not in epraccur" in r for r in batch.skipped)


def test_a_missing_file_the_mapping_names_is_an_error(data: Path) -> None:
    (data / "succ-2026-04.csv").unlink()
    with pytest.raises(MappingError, match=r"succ-2026-04\.csv"):
        _carried(data)


def test_pcns_become_areas_in_their_ccg_on_the_map_day_and_u_is_no_area(
    data: Path, tmp_path: Path
) -> None:
    target = tmp_path / "map.csv"
    shutil.copy(data / "gp-practice-map-2020-09.csv", target)
    with target.open("a", encoding="utf-8") as f:  # a practice in no PCN (code U), as the map has
        f.write(
            "GP_PRAC_PAT_LIST,01-Sep-20,Z99999,NO PCN SURGERY,TS18 1HU,U,UNALLOCATED,"
            "E38000247,16C,NHS Tees Valley CCG,E54000050,QHM,Cumbria and North East,"
            "E40000009,Y63,North East and Yorkshire\n"
        )
    batch = map_file(target, load_mapping("ods-practice-map-pcns"), "")
    assert isinstance(batch, MappedBatch)
    triples = set(batch.triples)
    pcn = URIRef(ID["area/U89141"])  # A81001's PCN (Stockton)
    assert (pcn, NHSKG.odsCode, Literal("U89141")) in triples
    membership = URIRef(ID["membership/U89141/sub-icb/E38000247/2020-09-01"])
    assert (membership, NHSKG.parentArea, URIRef(ID["area/E38000247"])) in triples
    assert (membership, NHSKG.validTo, Literal("2020-09-01", datatype=XSD.date)) in triples
    assert not any(str(s).endswith("area/U") for s, _, _ in triples)
    assert any("does not match" in r for r in batch.skipped)
