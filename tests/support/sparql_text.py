"""SPARQL queries written in the service's source: every string literal (an f-string's literal
parts joined) that reads as a SPARQL query, with the module and line it is in."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KEYWORD = re.compile(r"\b(SELECT|CONSTRUCT|ASK|DESCRIBE)\b")
VARIABLE = re.compile(r"[?$][A-Za-z_]\w*")
PREFIXED = re.compile(r"\b([a-z][a-z0-9]*):([A-Za-z_][\w-]*)")


@dataclass(frozen=True)
class QueryText:
    path: Path
    line: int
    text: str

    def terms(self, prefixes: dict[str, str]) -> set[str]:
        """The IRIs the query names, prefixed (nhskg:odsCode) or in full (<...#odsCode>)."""
        found = {
            f"{prefixes[p]}{local}" for p, local in PREFIXED.findall(self.text) if p in prefixes
        }
        return found | set(re.findall(r"<([^<>\s]+)>", self.text))


def is_sparql(text: str) -> bool:
    """A query keyword, a group pattern and a variable: SQL has `?` placeholders, not `?name`."""
    return bool(KEYWORD.search(text) and "{" in text and VARIABLE.search(text))


def literal_text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return " ".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


def queries_in(path: Path) -> Iterator[QueryText]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    # An f-string's literal parts are read once, joined, not again each on its own.
    joined = [node for node in ast.walk(tree) if isinstance(node, ast.JoinedStr)]
    parts = {id(v) for node in joined for v in node.values}
    for node in ast.walk(tree):
        text = literal_text(node)
        if text is None or id(node) in docstrings or id(node) in parts:
            continue
        if is_sparql(text):
            yield QueryText(path, getattr(node, "lineno", 0), text)
