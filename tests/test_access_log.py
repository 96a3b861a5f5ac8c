"""The access log is append-only and tamper-evident: any edit, removal or reordering of an entry
breaks the hash chain from that entry on, and `nhskg access verify-log` says where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from service.access.log import AccessLog
from service.cli import app


def _log(path: Path) -> AccessLog:
    log = AccessLog(path)
    for n, who in enumerate(["ann@nhs.net", "bob@nhs.net", "cat@nhs.net"], start=1):
        log.append(identity=who, role="analyst", grant=None, asked=f"lookup R{n}", rows=n)
    return log


def test_an_intact_log_verifies_and_reopening_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _log(path)
    again = AccessLog(path)  # a restarted service appends after the last entry
    again.append(identity="dan@nhs.net", role="public", grant=None, asked="rollup", rows=7)
    check = again.verify()
    assert (check.ok, check.entries, check.message) == (True, 4, "4 entries, chain intact")
    assert [e["identity"] for e in again.entries(last=2)] == ["cat@nhs.net", "dan@nhs.net"]
    result = CliRunner().invoke(app, ["access", "verify-log", str(path)])
    assert (result.exit_code, result.stdout.strip()) == (0, "4 entries, chain intact")


def test_an_altered_entry_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _log(path)
    lines = path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["rows"] = 0  # hide how much bob saw
    lines[1] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n")
    check = AccessLog(path).verify()
    assert (check.ok, check.broken_at, check.message) == (False, 2, "line 2 was altered")
    result = CliRunner().invoke(app, ["access", "verify-log", str(path)])
    assert (result.exit_code, result.stdout.strip()) == (1, "line 2 was altered")


def test_a_removed_or_reordered_entry_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    _log(path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    check = AccessLog(path).verify()
    assert (check.ok, check.broken_at, check.message) == (False, 2, "line 2 does not follow line 1")
    path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    assert AccessLog(path).verify().broken_at == 1


def test_a_rewritten_chain_does_not_match_the_recorded_hashes(tmp_path: Path) -> None:
    """Re-hashing a forged history gives other hashes than the ones approvers have seen: the
    last hash is what an approver notes (accessLog entries carry it)."""
    path = tmp_path / "log.jsonl"
    log = _log(path)
    last = log.entries(last=1)[0]["hash"]
    forged = tmp_path / "forged.jsonl"
    fake = AccessLog(forged)
    for n, who in enumerate(["ann@nhs.net", "eve@nhs.net", "cat@nhs.net"], start=1):
        fake.append(identity=who, role="analyst", grant=None, asked=f"lookup R{n}", rows=n)
    assert fake.verify().ok and fake.entries(last=1)[0]["hash"] != last


def _append_many(path: str, who: str, count: int, ready: Any, go: Any) -> None:
    log = AccessLog(Path(path))  # opened while the others are open too
    ready.release()
    go.wait(timeout=60)
    for n in range(count):
        log.append(identity=who, role="analyst", grant=None, asked=f"lookup R{n}", rows=1)


def test_processes_appending_to_one_log_keep_one_chain(tmp_path: Path) -> None:
    """`nhskg serve` appends from two processes (service/edge/): each append locks the file and
    continues from the last entry written by either. Without that, each process chained from
    its own last entry and the file held two interleaved chains."""
    import multiprocessing

    path = tmp_path / "log.jsonl"
    AccessLog(path).append(identity="first", role="analyst", grant=None, asked="x", rows=0)
    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Semaphore(0), spawn.Event()
    workers = [
        spawn.Process(target=_append_many, args=(str(path), f"p{i}@nhs.net", 200, ready, go))
        for i in range(3)
    ]
    for w in workers:
        w.start()
    here = AccessLog(path)
    for _ in workers:
        assert ready.acquire(timeout=60)
    go.set()  # every process has the log open: all append at once
    for n in range(50):
        here.append(identity="main@nhs.net", role="analyst", grant=None, asked=f"q{n}", rows=1)
    for w in workers:
        w.join(timeout=60)
        assert w.exitcode == 0
    check = AccessLog(path).verify()
    assert check.ok, check.message
    assert check.entries == 1 + 3 * 200 + 50
