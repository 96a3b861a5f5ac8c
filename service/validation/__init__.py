"""Validation of candidate graphs against the SHACL shapes, and the report a steward reads."""
