"""SPARQL 1.1 Protocol over the graph: content negotiation, result formats and limits.

`execute.run_query` evaluates a read-only query over a graph set (the current graphs, a
`known_at` set, or the protocol's `default-graph-uri` / `named-graph-uri`) under a result cap
and a time limit; `formats` picks the result format from the request and writes it.
"""
