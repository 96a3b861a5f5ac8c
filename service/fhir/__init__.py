"""FHIR views of the graph (R4 / R4B resources), read from the reference read model."""
