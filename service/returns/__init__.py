"""Operational returns: declarative readers, batch validation, the numbers store, unregistered
providers and whole-batch loads across the graph and the numbers store."""
