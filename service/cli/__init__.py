"""The `nhskg` command line, one module per command group; `main` is the entry point."""

from service.cli.main import app, main

__all__ = ["app", "main"]
