"""Strain flags: an area's current or forecast figure against the ontology's thresholds."""
