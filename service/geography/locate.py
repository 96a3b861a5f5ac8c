"""Which local authority district contains a point (shapely, against ONS LAD boundaries).

The boundaries in the shared data are heavily generalised: a hospital on the coast or by a river
can fall just outside every polygon. Such a point goes to the nearest district if it is within
`max_km` of it (an approximate distance: degrees scaled at the point's latitude), else to none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points

from service.mapping.derive import derivation
from service.mapping.readers import Row
from service.mapping.spec import MappingError

KM_PER_DEGREE = 111.32


@dataclass(frozen=True)
class Boundaries:
    codes: tuple[str, ...]
    shapes: tuple[BaseGeometry, ...]
    tree: STRtree

    def locate(self, lon: float, lat: float, *, max_km: float = 0.0) -> tuple[str, float] | None:
        """(LAD code, km outside it: 0 when inside) for a WGS84 point, or None."""
        point = Point(lon, lat)
        for i in self.tree.query(point, predicate="intersects"):
            return self.codes[int(i)], 0.0
        if max_km <= 0:
            return None
        i = int(self.tree.nearest(point))
        nearest = self.shapes[i]
        # Scale longitude so the distance is roughly isotropic at this latitude.
        scale = math.cos(math.radians(lat))
        dx, dy = _offset(nearest, point)
        km = math.hypot(dx * scale, dy) * KM_PER_DEGREE
        return (self.codes[i], km) if km <= max_km else None


def _offset(geometry: BaseGeometry, point: Point) -> tuple[float, float]:
    on_shape, _ = nearest_points(geometry, point)
    return point.x - on_shape.x, point.y - on_shape.y


@lru_cache(maxsize=4)
def load_boundaries(path: Path, code_property: str) -> Boundaries:
    features = json.loads(path.read_text())["features"]
    codes = tuple(str(f["properties"][code_property]) for f in features)
    shapes = tuple(shape(f["geometry"]) for f in features)
    return Boundaries(codes, shapes, STRtree(shapes))


def _number(raw: str) -> float | None:
    try:
        value = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    return float(value) if value.is_finite() else None


@derivation("point_in_lad")
def point_in_lad(rows: Iterable[Row], options: dict[str, Any], base: Path) -> Iterator[Row]:
    """Add the code of the LAD containing each row's point (column `lad_code`, plus `lad_km`,
    the distance outside the generalised boundary); rows without coordinates or outside every
    district (beyond options.max_km) are left out.

    Options: boundaries (GeoJSON, relative to the source file), code_property, lat, lon, max_km.
    """
    path = (base / options["boundaries"]).resolve()
    if not path.exists():
        raise MappingError(f"boundaries file {path} named by the mapping is missing")
    boundaries = load_boundaries(path, options["code_property"])
    max_km = float(options.get("max_km", 0))
    for row in rows:
        lat, lon = (
            _number(row.values.get(options["lat"], "")),
            _number(row.values.get(options["lon"], "")),
        )
        if lat is None or lon is None:
            continue
        found = boundaries.locate(lon, lat, max_km=max_km)
        if found is not None:
            code, km = found
            yield Row(row.number, {**row.values, "lad_code": code, "lad_km": f"{km:.3f}"})
