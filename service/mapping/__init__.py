"""Declarative mappings: source rows in, triples out (no I/O inside the mapping itself)."""
