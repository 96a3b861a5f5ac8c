"""One error style for `nhskg`: exit 0 loaded, 1 rejected, 2 usage or I/O error, and one line
saying what went wrong and what to do, never a traceback (`nhskg --debug ...` shows it)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from service.mapping.readers import UnreadableFile
from service.mapping.spec import MappingError

console = Console(stderr=True, soft_wrap=True, highlight=False)


def quiet_libraries() -> None:
    """rdflib logs a traceback for every ill-typed literal (70 for one bad --vintage); the shapes
    report those values already, with row and column."""
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)


class UsageProblem(ValueError):
    """A bad option value: one line, exit 2."""


def check_date(value: str | None, option: str) -> str | None:
    """A date option as given, or a usage error (exit 2) that says the format."""
    if value is None:
        return None
    try:
        date.fromisoformat(value)
    except ValueError:
        raise UsageProblem(
            f"{option} {value!r} is not a date; give YYYY-MM-DD (for example 2026-07-01)"
        ) from None
    return value


def explain(exc: BaseException) -> str:
    """What went wrong and what to do, in one line."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {exc.filename or exc}; check the path"
    if isinstance(exc, IsADirectoryError):
        return f"{exc.filename} is a directory; give a file"
    if isinstance(exc, PermissionError):
        return f"cannot read or write {exc.filename}: permission denied"
    if isinstance(exc, UnicodeDecodeError | UnreadableFile):
        return f"{exc}; give the CSV file the mapping describes"
    if isinstance(exc, MappingError):
        return f"{exc}"
    text = " ".join(str(exc).split())
    if "lock" in text.lower() and ("store" in text.lower() or "IO error" in text):
        return (
            "the store is in use by another process (a server or another load): stop it, "
            "or give another --store"
        )
    if isinstance(exc, OSError):
        return f"cannot read or write a file: {text}"
    return f"{text or type(exc).__name__}"


def run(app: Callable[..., object], debug: Callable[[], bool]) -> None:
    """Run the typer app; an exception that escapes a command becomes one line and exit 2."""
    try:
        code = app(standalone_mode=False)  # a command's typer.Exit(n) comes back as n
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(2)
    except UsageProblem as problem:
        console.print(f"error: {problem}")
        sys.exit(2)
    except Exception as exc:  # every error becomes one line; --debug shows the traceback
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # click's usage errors (typer's)
            exc.show()
            sys.exit(2)
        if debug():
            raise
        console.print(f"error: {explain(exc)} (--debug shows the traceback)")
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def missing(path: Path) -> None:
    """Exit 2 with one line if a file argument does not exist."""
    if not path.exists():
        console.print(f"error: no such file: {path}; check the path")
        raise typer.Exit(2)
