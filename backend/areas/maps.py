"""Small maps drawn from the stored boundaries, as inline SVG: no tiles, nothing fetched, so
they work on a command center's offline network. A grid's outline, and a case's place in it."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

SIZE = 280  # px, square
PAD = 0.08  # of the drawn extent, around it


def _rings(boundary: dict[str, Any] | None) -> list[list[tuple[float, float]]]:
    if not isinstance(boundary, dict):
        return []
    kind, coordinates = boundary.get("type"), boundary.get("coordinates") or []
    polygons = [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []
    return [[(float(x), float(y)) for x, y, *_ in ring] for polygon in polygons for ring in polygon]


def outline_svg(boundary: dict[str, Any] | None, point: tuple[float, float] | None = None,
                label: str = "") -> Markup:
    """The boundary's outline with the point (lng, lat) in it; empty when there is neither."""
    try:
        rings = _rings(boundary)
    except (TypeError, ValueError):  # not the GeoJSON the service checks on every write
        rings = []
    spots = [p for ring in rings for p in ring] + ([point] if point else [])
    if not spots:
        return Markup("")
    xs, ys = [x for x, _ in spots], [y for _, y in spots]
    # Degrees of longitude shrink with latitude: scale them so the shape is not stretched.
    squeeze = math.cos(math.radians((min(ys) + max(ys)) / 2))
    width = max((max(xs) - min(xs)) * squeeze, max(ys) - min(ys), 1e-4)
    scale = SIZE * (1 - 2 * PAD) / width
    middle_x, middle_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2

    def at(x: float, y: float) -> str:
        return (f"{SIZE / 2 + (x - middle_x) * squeeze * scale:.1f},"
                f"{SIZE / 2 - (y - middle_y) * scale:.1f}")

    paths = "".join(
        f'<path d="M{" L".join(at(x, y) for x, y in ring)} Z" fill="#206bc4" '
        'fill-opacity="0.08" stroke="#206bc4" stroke-width="2"/>' for ring in rings)
    mark = ""
    if point:
        x, y = at(*point).split(",")
        mark = (f'<circle cx="{x}" cy="{y}" r="7" fill="#d63939" stroke="#fff" '
                'stroke-width="2" data-point="case"/>')
    return Markup(
        f'<svg class="gridlink-map" role="img" aria-label="{escape(label)}" width="{SIZE}" '
        f'height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" xmlns="http://www.w3.org/2000/svg" '
        f'style="background:#f6f8fb;border-radius:4px"><title>{escape(label)}</title>'
        f"{paths}{mark}</svg>")
