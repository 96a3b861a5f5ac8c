"""Data stewards' changes to organisation mappings: change sets checked, applied, reverted."""
