"""Benchmarks (`make bench`, i.e. `python -m bench`): a small registry of functions, each
returning rows of (name, value, unit, target, met). Add a benchmark as a new module in this
package that decorates a function with `@benchmark("name")`, and import the module in
`bench/registry.py`. Nothing in `make test` depends on these timings."""
