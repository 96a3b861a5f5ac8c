"""The files of one kind of mapping (a folder of YAML files): all of them parsed (once per set of
files and modification times), one by name or path, the one whose `files` pattern matches a file
name. Return mappings (service/returns/spec.py) and area mappings (area_spec.py) share this."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import yaml

from service.mapping.spec import MappingError


class Matching(Protocol):
    @property
    def id(self) -> str: ...

    def matches(self, file_name: str) -> bool: ...


M = TypeVar("M", bound=Matching)
Parse = Callable[[dict[str, Any], Path | None], M]


class MappingFiles(Generic[M]):
    def __init__(self, directory: Path, parse: Parse[M], kind: str) -> None:
        self.directory, self.parse, self.kind = directory, parse, kind
        self._seen: tuple[tuple[Path, int], ...] | None = None
        self._parsed: tuple[M, ...] = ()

    def all(self) -> list[M]:
        """Parsed once per set of files and modification times (parsing every YAML file took a
        tenth of a daily batch's load)."""
        files = tuple((p, p.stat().st_mtime_ns) for p in sorted(self.directory.glob("*.yaml")))
        if files != self._seen:
            self._parsed = tuple(self.parse(yaml.safe_load(p.read_text()), p) for p, _ in files)
            self._seen = files
        return list(self._parsed)

    def named(self, name_or_path: str | Path) -> M:
        path = Path(name_or_path)
        if not path.suffix:
            path = self.directory / f"{name_or_path}.yaml"
        if not path.exists():
            known = ", ".join(m.id for m in self.all())
            raise MappingError(f"no {self.kind} {name_or_path!r}; known: {known}")
        return self.parse(yaml.safe_load(path.read_text()), path)

    def matching(self, file_name: str) -> M:
        """The mapping whose `files` pattern matches a file name (exactly one must)."""
        found = [m for m in self.all() if m.matches(file_name)]
        if len(found) != 1:
            names = ", ".join(m.id for m in found) or "none"
            raise MappingError(f"{file_name}: {len(found)} {self.kind}s match ({names})")
        return found[0]


@contextmanager
def required_keys(where: str) -> Iterator[None]:
    """A key the mapping lacks is a MappingError naming the file and the key."""
    try:
        yield
    except KeyError as exc:
        raise MappingError(f"{where}: missing required key {exc.args[0]!r}") from exc


def source_of(data: dict[str, Any], where: str, layouts: tuple[str, ...]) -> dict[str, Any]:
    """The mapping's `source`, whose layout must be one of `layouts`."""
    src: dict[str, Any] = data["source"]
    if src["layout"] not in layouts:
        raise MappingError(f"{where}: layout must be one of {', '.join(layouts)}")
    return src


def release_rule(where: str, data: dict[str, Any]) -> tuple[str | None, date | None]:
    """The mapping's `release`: a regex whose first group is the date in the file name, and a
    fixed date for a file name that has none."""
    release = data.get("release") or {}
    value = release.get("date")
    if value is None or isinstance(value, date):
        return release.get("pattern"), value
    try:
        return release.get("pattern"), date.fromisoformat(str(value))
    except ValueError as exc:
        raise MappingError(f"{where}: release date {value!r} is not YYYY-MM-DD") from exc


def release_labels(data: dict[str, Any]) -> tuple[str, ...]:
    """The mapping's `release: {labels: [...]}`: metadata cells that state the file's own
    release ("Revised:", then "Published:"), the first one that gives a date winning."""
    return tuple(str(label) for label in (data.get("release") or {}).get("labels", ()))


def mapping_head(data: dict[str, Any], src: dict[str, Any], where: str) -> dict[str, Any]:
    """The fields every return and area mapping has: what it is, its dataset, its files and
    their release."""
    release_pattern, release_date = release_rule(where, data)
    return {
        "id": data["id"],
        "title": data["title"],
        "dataset": data["dataset"]["id"],
        "dataset_title": data["dataset"]["title"],
        "format": src["format"],
        "layout": src["layout"],
        "files": data["files"],
        "release_pattern": release_pattern,
        "release_date": release_date,
        "release_labels": release_labels(data),
    }
