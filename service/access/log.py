"""The access log: every query answered (who, under which grant, what was asked, how many rows,
when), one JSON line each, append-only and tamper-evident: each entry carries the SHA-256 of the
previous entry's hash and its own content, so changing, removing or reordering any line breaks
the chain from there on (`verify`)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64


def _canonical(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _digest(previous: str, body: dict[str, Any]) -> str:
    return hashlib.sha256((previous + _canonical(body)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    broken_at: int | None = None  # 1-based line of the first entry that does not chain
    message: str = ""


class AccessLog:
    """Appends to a JSON-lines file (or keeps entries in memory when path is None)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory: list[str] = []
        self._last = GENESIS
        self._seq = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            for line in self._lines():
                entry = json.loads(line)
                self._last, self._seq = entry["hash"], entry["seq"]
            self._handle = path.open("a", encoding="utf-8")

    def _lines(self) -> Iterator[str]:
        if self.path is None:
            yield from self._memory
        elif self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                yield from (line for line in handle if line.strip())

    def append(
        self,
        *,
        identity: str,
        role: str,
        grant: str | None,
        asked: str,
        rows: int,
        status: int = 200,
    ) -> None:
        with self._lock:
            body: dict[str, Any] = {
                "seq": self._seq + 1,
                "time": datetime.now(UTC).isoformat(timespec="microseconds"),
                "identity": identity,
                "role": role,
                "grant": grant,
                "asked": asked[:2000],
                "rows": rows,
                "status": status,
                "prev": self._last,
            }
            canonical = _canonical(body)  # one serialisation: the hashed text is the line
            digest = hashlib.sha256((self._last + canonical).encode()).hexdigest()
            line = canonical[:-1] + f',"hash":"{digest}"}}'
            body["hash"] = digest
            if self.path is None:
                self._memory.append(line)
            else:
                self._handle.write(line + "\n")
                self._handle.flush()
            self._last, self._seq = body["hash"], body["seq"]

    def entries(
        self, *, identity: str | None = None, grant: str | None = None, last: int = 100
    ) -> list[dict[str, Any]]:
        found = [json.loads(line) for line in self._lines()]
        found = [
            e
            for e in found
            if (identity is None or e["identity"] == identity)
            and (grant is None or e["grant"] == grant)
        ]
        return found[-last:]

    def verify(self) -> ChainCheck:
        return verify_lines(list(self._lines()))


def verify_lines(lines: list[str]) -> ChainCheck:
    previous = GENESIS
    for number, line in enumerate(lines, start=1):
        try:
            entry = json.loads(line)
            claimed = entry.pop("hash")
        except (ValueError, KeyError):
            return ChainCheck(False, number - 1, number, f"line {number} is not a log entry")
        if entry.get("prev") != previous or entry.get("seq") != number:
            return ChainCheck(
                False, number - 1, number, f"line {number} does not follow line {number - 1}"
            )
        if _digest(previous, entry) != claimed:
            return ChainCheck(False, number - 1, number, f"line {number} was altered")
        previous = claimed
    return ChainCheck(True, len(lines), None, f"{len(lines)} entries, chain intact")
