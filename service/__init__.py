"""nhskg: an ontology-centric knowledge graph of the English health system."""

__version__ = "0.1.0"
