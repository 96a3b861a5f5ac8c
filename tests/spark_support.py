"""Apache Spark for the differential roll-up tests: a Java 17 runtime (Debian's
openjdk-17-jre-headless, installed with apt-get when `java` is missing, as root, as
tests/browser_support.py installs chromium) and one local SparkSession per test session; and
the comparison of one roll-up's answers on the two engines."""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import Any

import pytest

from service.rollup.model import RollupResult

JRE = "openjdk-17-jre-headless"


def ensure_java() -> str:
    """The `java` on PATH, installed with apt-get (update first) when missing; skip if it can't."""
    found = shutil.which("java")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.skip(f"no java on PATH and Debian's {JRE} cannot be installed (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", JRE]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install {JRE} ({' '.join(command)}): {done.stderr[-400:]}")
    found = shutil.which("java")
    if not found:
        pytest.skip(f"apt-get installed {JRE} but java is not on PATH")
    return found


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def assert_same(duck: RollupResult, spark: RollupResult) -> None:
    """Same rows, values (to 1e-9), suppressed cells, contributors, coverage, unmapped values
    and summary."""
    assert (spark.kind, spark.detail) == (duck.kind, duck.detail)
    assert (spark.method, spark.reported_type) == (duck.method, duck.reported_type)
    assert len(duck.rows) == len(spark.rows)
    for d, s in zip(duck.rows, spark.rows, strict=True):
        assert (s.area, s.period_start, s.period_end) == (d.area, d.period_start, d.period_end)
        assert close(s.value, d.value), (d.area, d.period_start, d.value, s.value)
        assert (s.coverage, s.withheld, s.suppressed) == (d.coverage, d.withheld, d.suppressed)

        def key(c: Any) -> tuple[Any, ...]:
            return (c.organisation, c.reported_by or "", c.source or "", c.suppressed, c.share,
                    c.value)  # fmt: skip

        dc, sc = sorted(d.contributors, key=key), sorted(s.contributors, key=key)
        assert [key(c)[:4] for c in dc] == [key(c)[:4] for c in sc], d.area
        for a, b in zip(dc, sc, strict=True):
            assert close(a.share, b.share) and close(a.value, b.value), (d.area, a, b)

    def unmapped_key(u: Any) -> tuple[Any, ...]:
        return (u.organisation, u.period_start, u.reason, u.reported_by or "", u.suppressed,
                u.value)  # fmt: skip

    du, su = sorted(duck.unmapped, key=unmapped_key), sorted(spark.unmapped, key=unmapped_key)
    assert [unmapped_key(u)[:5] for u in du] == [unmapped_key(u)[:5] for u in su]
    for a, b in zip(du, su, strict=True):
        assert close(a.value, b.value) and a.period_end == b.period_end, (a, b)
        for x, y in ((a.placed_share, b.placed_share), (a.unlocated_share, b.unlocated_share)):
            assert (x is None) == (y is None) and (x is None or close(x, y)), (a, b)
    want, got = duck.unmapped_summary, spark.unmapped_summary
    assert (got.count, got.organisations) == (want.count, want.organisations)
    assert close(got.total, want.total)
