"""block_join on small files (no shared data): a member's parent through its blocks, by
majority or with shares, and a missing lookup named."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.mapping.derive import apply
from service.mapping.readers import Row
from service.mapping.spec import MappingError


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def base(tmp_path: Path) -> Path:
    # LSOA -> April 2020 CCG, and CCG -> region (the practice map's role).
    _write(tmp_path / "other.csv", "LSOA,CCG20\nL1,C1\nL2,C1\nL3,C2\nL4,C2\nL5,C3\n")
    _write(tmp_path / "via.csv", "CCG,REGION\nC1,R1\nC2,R1\nC3,R2\n")
    return tmp_path


ROWS = [
    Row(2, {"LSOA": "L1", "CCG19": "A"}),
    Row(3, {"LSOA": "L2", "CCG19": "A"}),
    Row(4, {"LSOA": "L3", "CCG19": "B"}),
    Row(5, {"LSOA": "L4", "CCG19": "B"}),
    Row(6, {"LSOA": "L5", "CCG19": "B"}),
    Row(7, {"LSOA": "L9", "CCG19": "B"}),  # a block the other lookup does not know
]
OPTIONS = {
    "block": "LSOA",
    "member_code": "CCG19",
    "other": "other.csv",
    "other_block": "LSOA",
    "other_code": "CCG20",
    "via": "via.csv",
    "via_code": "CCG",
    "via_parent": "REGION",
    "valid_from": "2019-04-01",
    "valid_to": "2020-03-31",
}


def _pairs(rows: list[Row]) -> list[tuple[str, str, str, str]]:
    return [
        (r.values["member_code"], r.values["parent_code"], r.values["share"], r.values["blocks"])
        for r in rows
    ]


def test_majority_parent_through_the_blocks(base: Path) -> None:
    rows = list(apply("block_join", ROWS, {**OPTIONS, "majority": True}, base))
    assert _pairs(rows) == [("A", "R1", "1", "2"), ("B", "R1", "1", "2")]
    assert rows[0].number == 2 and rows[0].values["valid_to"] == "2020-03-31"


def test_shares_of_the_blocks_without_majority(base: Path) -> None:
    rows = list(apply("block_join", ROWS, OPTIONS, base))
    assert _pairs(rows) == [
        ("A", "R1", "1.000000", "2"),
        ("B", "R1", "0.666667", "2"),
        ("B", "R2", "0.333333", "1"),
    ]


def test_a_missing_lookup_is_named(base: Path) -> None:
    with pytest.raises(MappingError, match="missing"):
        list(apply("block_join", ROWS, {**OPTIONS, "other": "nope.csv"}, base))
