"""The access log: every query answered (who, under which grant, what was asked, how many rows,
when), one JSON line each, append-only and tamper-evident: each entry carries the SHA-256 of the
previous entry's hash and its own content, so changing, removing or reordering any line breaks
the chain from there on (`verify`).

Several processes may append to one file (`nhskg serve` answers lookups in a process of its own,
service/edge/): each append takes an exclusive lock on the file, and when the file has grown
since this process last wrote, reads the last entry first, so the chain runs on across
processes."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
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
        self._end = 0  # the file's size after this process's last append (or read of the tail)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = path.open("ab")

    def _catch_up(self) -> None:
        """Under the file lock: the last entry written by any process, when it is not ours."""
        size = os.fstat(self._handle.fileno()).st_size
        if size == self._end:
            return
        with self.path.open("rb") as handle:  # type: ignore[union-attr]
            back = min(size, 65536)
            handle.seek(size - back)
            tail = handle.read(back).rstrip(b"\n")
            while b"\n" not in tail and back < size:  # an entry longer than the window
                back = min(size, back * 4)
                handle.seek(size - back)
                tail = handle.read(back).rstrip(b"\n")
        entry = json.loads(tail.rsplit(b"\n", 1)[-1]) if tail else None
        self._last, self._seq = (entry["hash"], entry["seq"]) if entry else (GENESIS, 0)
        self._end = size

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
            if self.path is None:
                self._memory.append(self._chained(body))
                return
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
            try:
                self._catch_up()
                body["seq"], body["prev"] = self._seq + 1, self._last
                data = (self._chained(body) + "\n").encode()
                self._handle.write(data)
                self._handle.flush()
                self._end += len(data)
            finally:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)

    def _chained(self, body: dict[str, Any]) -> str:
        """The entry's line, its hash over the previous entry's and its own content; moves the
        chain on."""
        canonical = _canonical(body)  # one serialisation: the hashed text is the line
        digest = hashlib.sha256((self._last + canonical).encode()).hexdigest()
        self._last, self._seq = digest, body["seq"]
        return canonical[:-1] + f',"hash":"{digest}"}}'

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
