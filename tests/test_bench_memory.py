"""The bench's peak-memory figure of a child process is the child's own: a bench process that has
grown large must not lend its size to every child it starts (Linux carries a parent's peak into a
child's ru_maxrss across fork and exec; bench/core.py reads the child's VmHWM instead)."""

from __future__ import annotations

from bench.core import memory_mb, run_child

BIG_MB = 800


def test_a_childs_peak_rss_is_its_own_not_its_large_parents() -> None:
    ballast = b"x" * (BIG_MB * 1024 * 1024)  # written, so resident
    assert memory_mb("VmRSS") > BIG_MB
    run = run_child(["validate-synthetic", "--sites", "20", "--store", "-"], timeout=120)
    assert run.output is not None, run.error
    assert run.output["conforms"] is True
    # The child (Python, rdflib, the shapes, 20 sites) stays well below the parent's ballast.
    assert 20 < run.peak_rss_mb < BIG_MB / 2, run.peak_rss_mb
    del ballast
