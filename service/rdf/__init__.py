"""Graph infrastructure, no NHS words: IRI bases and namespaces (terms), the generated closed
namespace of the ontology (vocab), the store (embedded Oxigraph or any SPARQL 1.1 store over
HTTP) and whole-graph dumps."""
