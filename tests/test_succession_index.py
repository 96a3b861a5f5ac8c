"""The succession walk itself, on small hand-made event lists (no store needed)."""

from __future__ import annotations

from datetime import date

from service.reference.successions import Step, SuccessionIndex


def step(name: str, originals: str, resultings: str, day: date, kind: str = "Merger") -> Step:
    return Step(
        event=f"e:{name}",
        type=kind,
        effective=day,
        basis="inferred",
        originals=tuple(originals.split()),
        resultings=tuple(resultings.split()),
    )


SPLIT = step("split", "A", "B C", date(2021, 10, 1), "Split")
LATER = step("later", "B", "D", date(2023, 4, 1), "Acquisition")


def test_a_split_with_shares_is_weighted_and_chains_multiply() -> None:
    index = SuccessionIndex([SPLIT, LATER], {("e:split", "B"): 0.25, ("e:split", "C"): 0.75})
    resolution = index.resolve("A", date(2024, 1, 1))
    assert {(s.code, s.weight) for s in resolution.successors} == {("C", 0.75), ("D", 0.25)}
    assert not resolution.unweighted
    d = next(s for s in resolution.successors if s.code == "D")
    assert [s.event for s in d.chain] == ["e:split", "e:later"]


def test_a_split_without_shares_is_flagged_unweighted() -> None:
    resolution = SuccessionIndex([SPLIT], {}).resolve("A", date(2022, 1, 1))
    assert resolution.codes == ("B", "C")
    assert resolution.unweighted


def test_events_after_the_date_do_not_apply() -> None:
    index = SuccessionIndex([SPLIT, LATER], {})
    assert index.resolve("A", date(2021, 9, 30)).codes == ("A",)
    assert index.resolve("A", date(2022, 1, 1)).codes == ("B", "C")


def test_a_reused_code_does_not_loop() -> None:
    # X into Y (2010), then Y's code handed back to X (2015): following forward in time stops.
    there = step("there", "X", "Y", date(2010, 4, 1), "CodeChange")
    back = step("back", "Y", "X", date(2015, 4, 1), "CodeChange")
    index = SuccessionIndex([there, back], {})
    assert index.resolve("X", date(2012, 1, 1)).codes == ("Y",)
    resolution = index.resolve("X", date(2016, 1, 1))
    assert resolution.codes == ("X",)
    assert [s.event for s in resolution.successors[0].chain] == ["e:there", "e:back"]
