"""The lookup edge: `nhskg serve` answers lookups in a process of its own.

Why: lookups are what apps ask most ("which LRF is this trust in"), and each takes microseconds
once timelines are built. In one process they shared one interpreter lock with the roll-ups,
pages and GraphQL the same server works on, and under a mixed load waited for it (README,
"Performance": lookup p99 41 ms with every in-process remedy, 11 ms from a process of its own).

How: the edge process listens on the server's port. It answers the lookups it can (app.py) from
the snapshot the main process publishes (state.py, view.py) and hands every other request to the
main process over a Unix socket (forward.py), unchanged. Both processes append to the one access
log (service/access/log.py locks the file), and both read the numbers store read-only.
"""
