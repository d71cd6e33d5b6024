"""Grid boundaries as GeoJSON polygons, checked with shapely; the locator built from them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from itertools import chain
from typing import Any

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.validation import explain_validity
from sqlalchemy import ColumnElement, and_, event, func, select
from sqlalchemy.orm import Session

from backend.areas.models import Grid


def validate_polygon(value: Any) -> dict[str, Any] | None:
    """Return the polygon as a plain GeoJSON dict, or raise ValueError saying what is wrong."""
    if value is None:
        return None
    if not isinstance(value, dict) or value.get("type") != "Polygon":
        raise ValueError('边界应为 GeoJSON Polygon: {"type": "Polygon", "coordinates": [...]}')
    rings = value.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise ValueError("边界的 coordinates 应为非空的环列表")
    for ring_no, ring in enumerate(rings):
        if not isinstance(ring, list) or len(ring) < 4:
            raise ValueError(f"第{ring_no + 1}个环至少需要4个点(首尾相同)")
        for point in ring:
            if (
                not isinstance(point, list | tuple)
                or len(point) < 2
                or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in point)
            ):
                raise ValueError(f"第{ring_no + 1}个环中的点应为 [经度, 纬度]")
            lng, lat = point[0], point[1]
            if not (-180 <= lng <= 180 and -90 <= lat <= 90):
                raise ValueError(f"坐标 [{lng}, {lat}] 超出经纬度范围")
        if list(ring[0][:2]) != list(ring[-1][:2]):
            raise ValueError(f"第{ring_no + 1}个环未闭合: 首尾点应相同")
    polygon = shape(value)
    if not polygon.is_valid:
        raise ValueError(f"边界多边形无效: {explain_validity(polygon)}")
    if polygon.area == 0:
        raise ValueError("边界多边形面积为零")
    return {"type": "Polygon", "coordinates": [[list(p[:2]) for p in ring] for ring in rings]}


# --- distances ---------------------------------------------------------------------------

EARTH_RADIUS_M = 6_371_000.0
METRES_PER_DEGREE_LAT = 111_320.0


def metres_between(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine): exact enough at tens of metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def box_around(lat_column: Any, lng_column: Any, lat: float, lng: float,
               metres: float) -> ColumnElement[bool]:
    """The points within a box `metres` either side of (lat, lng), as SQL: a prefilter the
    indexes of the other conditions narrow first; the exact distance (metres_between) is
    checked on the few rows it lets through."""
    dlat = metres / METRES_PER_DEGREE_LAT
    dlng = metres / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return and_(lat_column.between(lat - dlat, lat + dlat),
                lng_column.between(lng - dlng, lng + dlng))


# --- the grid locator ----------------------------------------------------------------------


class GridIndex:
    """Which grid a point lies in, and which grids border a grid, over an STRtree.

    The tree narrows a lookup to the few polygons whose bounding boxes hold the point, so a
    lookup costs about the same with 40 grids as with 10,000 (benchmarks/grid_lookup.py).
    Grids without a boundary are not on the map and never found.
    """

    def __init__(self, codes: list[str], polygons: list[Any]) -> None:
        self.codes = codes  # sorted: the lowest index among hits is the lowest code
        self.polygons = polygons
        self.tree = STRtree(polygons)
        self.position = {code: i for i, code in enumerate(codes)}

    @classmethod
    def build(cls, grids: list[tuple[str, dict[str, Any]]]) -> GridIndex:
        """From (grid code, GeoJSON polygon) pairs; pairs without a polygon are left out."""
        mapped = sorted(((code, boundary) for code, boundary in grids if boundary),
                        key=lambda pair: pair[0])
        return cls([code for code, _ in mapped], [shape(boundary) for _, boundary in mapped])

    def __len__(self) -> int:
        return len(self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self.position

    def grid_at(self, lng: float, lat: float) -> str | None:
        """The grid covering the point, or None outside every grid.

        A point on an edge two grids share lies in both: the lowest code wins, so that the
        same point always lands in the same grid.
        """
        # "intersects" for a point and a polygon: inside it or on its boundary.
        hits = self.tree.query(Point(lng, lat), predicate="intersects")
        return self.codes[int(hits.min())] if len(hits) else None

    def neighbours(self, code: str) -> list[str]:
        """Grids sharing any boundary point with this one, by code; [] for an unmapped grid.

        Polygons that intersect, not only those that `touches`: a grid meeting this one at a
        corner counts (in a 3x3 tiling the centre has 8 neighbours), and so does one that
        overlaps it by a digitising error, which `touches` would silently drop. For alerting
        the grids next door, one grid too many costs less than one missed.
        """
        i = self.position.get(code)
        if i is None:
            return []
        hits = self.tree.query(self.polygons[i], predicate="intersects")
        return sorted(self.codes[int(j)] for j in hits if j != i)


# How long a worker trusts its index before asking the database whether the grids changed.
# The ask is an aggregate over the whole grid table (no index covers updated_at), and the rows
# carry their boundaries: with 1,000 grids it costs milliseconds on SQLite, more than the
# lookup itself (benchmarks/grid_lookup.py). Writes through this process are seen at once.
RECHECK_SECONDS = 1.0


@dataclass
class _Cached:
    stamp: tuple[Any, ...]
    index: GridIndex
    checked_at: float


# One index per database (tests and tools run several apps in one process).
_INDEXES: dict[str, _Cached] = {}


def _database(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def grid_index(session: Session) -> GridIndex:
    """The process-wide GridIndex of this session's database, rebuilt when the grids changed.

    A commit that wrote grids in this process drops the index at once (the session events
    below). Changes from elsewhere (another worker, the seed's bulk inserts) are found by the
    stamp, count and max(updated_at) of the grid table: an insert or update moves the latter, a
    delete the former. The stamp is read at most once every RECHECK_SECONDS, so another
    worker's boundary change reaches this one within about a second.
    """
    database = _database(session)
    cached = _INDEXES.get(database)
    now = time.monotonic()
    if cached is not None and now - cached.checked_at < RECHECK_SECONDS:
        return cached.index
    stamp = tuple(session.execute(select(func.count(Grid.id), func.max(Grid.updated_at))).one())
    if cached is not None and cached.stamp == stamp:
        cached.checked_at = now
        return cached.index
    index = GridIndex.build(list(session.execute(select(Grid.code, Grid.boundary)).all()))
    _INDEXES[database] = _Cached(stamp, index, now)
    return index


def grids_written(session: Session) -> None:
    """Grids written by Core INSERTs (the seed's), which the ORM's events below do not see:
    the index is built again from this session's rows at its next use, not taken from a cache
    an earlier test or request of this process left within the last RECHECK_SECONDS."""
    session.info["grids_written"] = True
    _INDEXES.pop(_database(session), None)


@event.listens_for(Session, "after_flush")
def _note_grid_writes(session: Session, _context: Any) -> None:
    # Still the pre-flush state here: what this flush wrote.
    if any(isinstance(obj, Grid) for obj in chain(session.new, session.dirty, session.deleted)):
        session.info["grids_written"] = True


@event.listens_for(Session, "after_commit")
def _drop_index_after_grid_writes(session: Session) -> None:
    if session.info.pop("grids_written", False):
        _INDEXES.pop(_database(session), None)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_writes(session: Session) -> None:
    session.info.pop("grids_written", None)
