"""A steward's test change set on the sample data: Bournemouth, Christchurch and Poole
(E06000058, home of Poole Hospital, RD3) moves from Dorset's LRF (E48000009) to another
(E48000010) from 2021-04-01."""

from __future__ import annotations

from typing import Any

DORSET_LRF, OTHER_LRF = "E48000009", "E48000010"

MOVE_BCP: dict[str, Any] = {
    "author": "a.steward@example.nhs.uk",
    "reason": "test correction",
    "changes": [
        {
            "end_area_membership": {
                "member": "E06000058",
                "parent": DORSET_LRF,
                "last_day": "2021-03-31",
            }
        },
        {"area_membership": {"member": "E06000058", "parent": OTHER_LRF, "from": "2021-04-01"}},
    ],
}
