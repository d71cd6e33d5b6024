"""Grid boundaries as GeoJSON polygons, checked with shapely."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.validation import explain_validity


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
