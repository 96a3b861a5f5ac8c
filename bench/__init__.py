"""Benchmarks on the real data (not part of the test suite)."""
