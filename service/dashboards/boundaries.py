"""Area outlines for the maps, from the boundary files in the data folder (`boundaries/*.geojson`,
WGS84, already generalised), simplified once and kept in memory.

An area type with a file of its own codes (LRF, ICB) uses it; any other type (NHS England regions)
is drawn by dissolving the finest file's areas into the areas of the type they are members of on
the date, read from the reference's memberships. Nothing here is per request once cached."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely import simplify, unary_union
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.geometry.base import BaseGeometry

from service.reference.areas import AreaIndex

TOLERANCE = 0.004  # degrees (about 300 m): invisible at dashboard scale, a third of the points
WIDTH = 420.0  # SVG units across England
LAT0 = math.radians(53.0)  # equirectangular projection, true at 53 degrees north


@dataclass(frozen=True)
class Outlines:
    area_type: str
    shapes: dict[str, BaseGeometry]  # area code -> simplified WGS84 geometry
    source: str  # the file(s) and how they were used


@lru_cache(maxsize=8)
def read_file(path: Path) -> dict[str, BaseGeometry]:
    """code -> geometry, from a GeoJSON whose properties hold one *_code column."""
    document = json.loads(path.read_text())
    out: dict[str, BaseGeometry] = {}
    for feature in document["features"]:
        code = next(v for k, v in feature["properties"].items() if k.endswith("_code"))
        out[str(code)] = shape(feature["geometry"])
    return out


def boundary_files(data_dir: Path) -> list[Path]:
    """Finest last: the LTLA file has most areas."""
    folder = data_dir / "boundaries"
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.geojson"))
    return sorted(files, key=lambda p: len(read_file(p)))


@lru_cache(maxsize=64)
def outlines(areas: AreaIndex, area_type: str, day: date, data_dir: Path) -> Outlines | None:
    """The outlines of the type's areas in use on `day`, or None when no file draws them. Kept
    per reference index (a refreshed index is a new key), type, day and folder."""
    wanted = {a.code for a in areas.of_type(area_type, day)}
    if not wanted:
        return None
    files = boundary_files(data_dir)
    for path in files:
        shapes = read_file(path)
        if len(wanted & shapes.keys()) >= 0.8 * len(wanted):
            kept = {c: _simplified(g) for c, g in shapes.items() if c in wanted}
            return Outlines(area_type, kept, path.name)
    for path in files:  # dissolve into parents of the type
        groups: dict[str, list[BaseGeometry]] = defaultdict(list)
        for code, geometry in read_file(path).items():
            area = areas.find(code)
            if area is None:
                continue
            for parent, _ in areas.parents(area, day):
                if parent.code in wanted:
                    groups[parent.code].append(geometry)
        if len(groups) >= 0.8 * len(wanted):
            dissolved = {c: _simplified(unary_union(gs)) for c, gs in groups.items()}
            return Outlines(area_type, dissolved, f"{path.name}, dissolved into {area_type}")
    return None


def _simplified(geometry: BaseGeometry) -> BaseGeometry:
    return simplify(geometry, TOLERANCE, preserve_topology=True)


def _xy(lon: float, lat: float) -> tuple[float, float]:
    return lon * math.cos(LAT0), -lat


@lru_cache(maxsize=64)
def drawn(
    areas: AreaIndex, area_type: str, day: date, data_dir: Path
) -> tuple[Outlines, dict[str, str], tuple[float, float]] | None:
    """outlines() with their SVG paths and box, worked out once."""
    found = outlines(areas, area_type, day, data_dir)
    if found is None:
        return None
    paths, box = svg_paths(found)
    return found, paths, box


def svg_paths(found: Outlines) -> tuple[dict[str, str], tuple[float, float]]:
    """SVG path data per area code and the drawing's (width, height)."""
    rings: dict[str, list[list[tuple[float, float]]]] = {}
    xs: list[float] = []
    ys: list[float] = []
    for code, geometry in found.shapes.items():
        polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
        rings[code] = []
        for polygon in polygons:
            if not isinstance(polygon, Polygon):
                continue
            for ring in (polygon.exterior, *polygon.interiors):
                points = [_xy(x, y) for x, y, *_ in ring.coords]
                rings[code].append(points)
                xs += [p[0] for p in points]
                ys += [p[1] for p in points]
    if not xs:
        return {}, (WIDTH, WIDTH)
    x0, y0 = min(xs), min(ys)
    scale = WIDTH / (max(xs) - x0)
    height = (max(ys) - y0) * scale
    paths = {
        code: " ".join(
            "M" + "L".join(f"{(x - x0) * scale:.1f},{(y - y0) * scale:.1f}" for x, y in ring) + "Z"
            for ring in code_rings
        )
        for code, code_rings in rings.items()
    }
    return paths, (WIDTH, height)


def geojson(found: Outlines, names: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": names.get(code, code)},
                "geometry": mapping(geometry),
            }
            for code, geometry in sorted(found.shapes.items())
        ],
    }
