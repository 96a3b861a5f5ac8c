"""Geography derivations and the roll-up on small, hand-checkable inputs (no national data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from service.geography.carrying_on import SuccessionTable
from service.geography.lad_history import parse_history
from service.geography.methods import area_for_ods_code
from service.geography.rollup import RollUp
from service.mapping import derive
from service.mapping.readers import Row
from service.reference.placement import Area, Membership, Reference

HEADER = ["ltla19_code", "ltla19_name", "ltla20_code", "ltla20_name", "ltla21_code", "ltla21_name"]


def _history_file(tmp_path: Path) -> Path:
    lines = [
        ",".join(HEADER),
        "E07000004,Aylesbury Vale,E06000060,Buckinghamshire,E06000060,Buckinghamshire",
        "E07000005,Chiltern,E06000060,Buckinghamshire,E06000060,Buckinghamshire",
        "E08000025,Birmingham,E08000025,Birmingham,E08000025,Birmingham",
    ]
    path = tmp_path / "history.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_history_dates_codes_by_the_years_they_are_listed() -> None:
    rows = [dict(zip(HEADER, ["A", "a", "B", "b", "B", "b"], strict=True))]
    history = parse_history(rows, HEADER)
    assert history.in_use("A") == (None, date(2020, 3, 31))
    assert history.in_use("B") == (date(2020, 4, 1), None)
    assert history.descendants("A") == {"B"}


def _snapshot_options(history: Path, parent: str, **extra: Any) -> dict[str, Any]:
    """snapshot_membership's options for rows of LAD, NM and `parent` columns from 2019-04-01."""
    return {
        "member_code": "LAD",
        "member_name": "NM",
        "parent_code": parent,
        "parent_name": "NM",
        "valid_from": "2019-04-01",
        "valid_to": None,
        "history": history.name,
        **extra,
    }


def test_snapshot_membership_clips_old_codes_and_carries_to_successors(tmp_path: Path) -> None:
    history = _history_file(tmp_path)
    rows = [
        Row(2, {"LAD": "E07000004", "NM": "Aylesbury Vale", "LRF": "E48000030"}),
        Row(3, {"LAD": "E07000005", "NM": "Chiltern", "LRF": "E48000030"}),
        Row(4, {"LAD": "E08000025", "NM": "Birmingham", "LRF": "E48000041"}),
    ]
    options = _snapshot_options(history, "LRF")
    out = list(derive.apply("snapshot_membership", rows, options, tmp_path))
    got = {(r.values["member_code"], r.values["valid_from"], r.values["valid_to"]) for r in out}
    assert got == {
        ("E07000004", "2019-04-01", "2020-03-31"),
        ("E07000005", "2019-04-01", "2020-03-31"),
        ("E06000060", "2020-04-01", ""),  # once, though two predecessors carry it
        ("E08000025", "2019-04-01", ""),
    }


def test_snapshot_membership_backcasts_a_later_district_over_the_window(tmp_path: Path) -> None:
    """Sites are located with 2024 boundaries: Buckinghamshire (2020) must reach its
    predecessors' LRF on 2019-04-01 too, while the predecessors keep their own clipped lives."""
    history = _history_file(tmp_path)
    rows = [
        Row(2, {"LAD": "E07000004", "NM": "Aylesbury Vale", "LRF": "E48000030"}),
        Row(3, {"LAD": "E07000005", "NM": "Chiltern", "LRF": "E48000030"}),
    ]
    options = _snapshot_options(history, "LRF", backcast=True)
    out = list(derive.apply("snapshot_membership", rows, options, tmp_path))
    got = {(r.values["member_code"], r.values["valid_from"], r.values["valid_to"]) for r in out}
    assert got == {
        ("E07000004", "2019-04-01", "2020-03-31"),
        ("E07000005", "2019-04-01", "2020-03-31"),
        ("E06000060", "2019-04-01", ""),  # once, from the window's start
    }


def test_snapshot_membership_places_a_later_unitary_in_its_county_only_before_it_existed(
    tmp_path: Path,
) -> None:
    """Upper tiers: Buckinghamshire (2020) is its own upper tier from its creation, so it is not
    carried to its predecessors' county then; before it, its ground lay in that county. The
    snapshot may list the new code itself (the 2019 UTLA lookup does): no overlap either way."""
    history = _history_file(tmp_path)
    county = "E10000002"
    rows = [
        Row(2, {"LAD": "E07000004", "NM": "Aylesbury Vale", "UT": county}),
        Row(3, {"LAD": "E07000005", "NM": "Chiltern", "UT": county}),
        Row(4, {"LAD": "E06000060", "NM": "Buckinghamshire", "UT": "E06000060"}),
    ]
    options = _snapshot_options(
        history, "UT", valid_to="2021-03-31", carry=False, backcast="until_created"
    )

    def memberships(given: list[Row]) -> set[tuple[str, str, str, str]]:
        out = derive.apply("snapshot_membership", given, options, tmp_path)
        return {
            (v["member_code"], v["parent_code"], v["valid_from"], v["valid_to"])
            for v in (r.values for r in out)
        }

    before = ("E06000060", county, "2019-04-01", "2020-03-31")
    assert memberships(rows) == {
        ("E07000004", county, "2019-04-01", "2020-03-31"),
        ("E07000005", county, "2019-04-01", "2020-03-31"),
        before,  # once, though two predecessors carry it
        ("E06000060", "E06000060", "2020-04-01", "2021-03-31"),
    }
    assert memberships(rows[:2]) == {  # a snapshot older than the new code
        ("E07000004", county, "2019-04-01", "2020-03-31"),
        ("E07000005", county, "2019-04-01", "2020-03-31"),
        before,
    }


def test_area_shares_pool_predecessors_and_sum_to_one(tmp_path: Path) -> None:
    history = _history_file(tmp_path)
    rows = [
        Row(2, {"L": "E07000004", "N": "Aylesbury Vale", "I": "ICB1"}),
        Row(3, {"L": "E07000004", "N": "Aylesbury Vale", "I": "ICB1"}),
        Row(4, {"L": "E07000005", "N": "Chiltern", "I": "ICB2"}),
    ]
    options = {
        "member_code": "L",
        "member_name": "N",
        "parent_code": "I",
        "valid_from": "2019-04-01",
        "history": history.name,
    }
    out = list(derive.apply("area_shares", rows, options, tmp_path))
    bucks = {
        r.values["parent_code"]: r.values["share"]
        for r in out
        if r.values["member_code"] == "E06000060"
    }
    assert bucks == {"ICB1": "0.666667", "ICB2": "0.333333"}
    assert sum(Decimal(s) for s in bucks.values()) == 1


def test_plain_decimals_removes_exponents_and_drops_zeros() -> None:
    rows = [Row(2, {"p": "3.7e-06"}), Row(3, {"p": "0"}), Row(4, {"p": "0.5"})]
    out = list(derive.apply("plain_decimals", rows, {"columns": ["p"], "drop_zero": True}, Path()))
    assert [r.values["p"] for r in out] == ["0.0000037", "0.5"]


def test_successions_are_followed_to_the_organisations_open_on_a_date() -> None:
    table = SuccessionTable([("RD3", "R0D", date(2020, 10, 1)), ("RDZ", "R0D", date(2020, 10, 1))])
    assert table("RD3", date(2020, 9, 30)) == ("RD3",)
    assert table("RD3", date(2020, 10, 1)) == ("R0D",)
    assert table("RJ1", date(2020, 10, 1)) == ("RJ1",)


def _area(code: str, kind: str, ods: str | None = None, listed: tuple[date, ...] = ()) -> Area:
    return Area(f"a/{code}", code, code, frozenset({kind}), ods, listed)


def test_roll_up_multiplies_shares_along_a_path_and_respects_dates() -> None:
    ref = Reference(area_types={"LadCls": "LAD", "IcbCls": "ICB", "RegCls": "NHS_REGION"})
    for code, kind in [("L", "LAD"), ("I1", "ICB"), ("I2", "ICB"), ("R1", "NHS_REGION")]:
        ref.areas[f"a/{code}"] = _area(code, kind)
    ref.memberships["a/L"] = [
        Membership("m1", "a/L", "a/I1", date(2022, 7, 1), None, 0.75, "g"),
        Membership("m2", "a/L", "a/I2", date(2022, 7, 1), None, 0.25, "g"),
    ]
    for icb in ("I1", "I2"):
        ref.memberships[f"a/{icb}"] = [
            Membership(f"r{icb}", f"a/{icb}", "a/R1", date(2022, 7, 1), None, 1.0, "g")
        ]
    rollup = RollUp(ref)
    [region] = rollup.resolve("a/L", "NHS_REGION", date(2023, 1, 1))
    assert region.area == "a/R1" and region.share == 1.0
    shares = {r.area: r.share for r in rollup.resolve("a/L", "ICB", date(2023, 1, 1))}
    assert shares == {"a/I1": 0.75, "a/I2": 0.25}
    assert rollup.resolve("a/L", "ICB", date(2022, 6, 30)) == ()


def test_an_ods_code_resolves_to_the_area_listed_most_recently_on_or_before_the_date() -> None:
    ref = Reference()
    old = _area("E54000052", "ICB", "QXU", (date(2022, 7, 1),))
    new = _area("E54000063", "ICB", "QXU", (date(2024, 4, 1),))
    ref.areas_by_ods["QXU"] = [old, new]
    assert area_for_ods_code(ref, "QXU", date(2023, 1, 1)) == old
    assert area_for_ods_code(ref, "QXU", date(2025, 1, 1)) == new
    assert area_for_ods_code(ref, "QXU", date(2020, 1, 1)) == old  # the first listed


def test_share_within_turns_area_proportions_into_shares_of_each_trust() -> None:
    rows = [
        Row(2, {"t": "RRK", "a": "M1", "p": "0.5"}),
        Row(3, {"t": "RRK", "a": "M2", "p": "1.5"}),
        Row(4, {"t": "RJ1", "a": "M1", "p": "0.25"}),
        Row(5, {"t": "RRK", "a": "M2", "p": "2.0"}),  # a second predecessor's row: summed
    ]
    options = {"group": "t", "key": "a", "value": "p", "into": "s"}
    out = list(derive.apply("share_within", rows, options, Path()))
    assert [(r.values["t"], r.values["s"]) for r in out] == [
        ("RRK", "0.125000000"),
        ("RRK", "0.875000000"),
        ("RJ1", "1.000000000"),
    ]
