"""The grid map: the grids' boundaries coloured by their open and overdue cases, and the open
cases as points. No basemap tiles (map_provider None): it renders with no internet at all.
"""

from __future__ import annotations

import math
from typing import Any

import pydeck as pdk

LIGHT_COLOURS = {"red": [220, 38, 38, 230], "yellow": [234, 179, 8, 230],
                 "green": [22, 163, 74, 230], None: [100, 116, 139, 200]}


def grid_colour(open_cases: int, red: int) -> list[int]:
    """Red where cases are overdue (deeper with more), amber with open cases, pale green idle."""
    if red:
        return [220, 38, 38, min(90 + 30 * red, 220)]
    if open_cases:
        return [245, 158, 11, min(50 + 12 * open_cases, 170)]
    return [134, 239, 172, 60]


def _bounds(features: list[dict[str, Any]]) -> tuple[float, float, float, float] | None:
    lngs: list[float] = []
    lats: list[float] = []

    def walk(coordinates: Any) -> None:
        if coordinates and isinstance(coordinates[0], int | float):
            lngs.append(coordinates[0])
            lats.append(coordinates[1])
        else:
            for part in coordinates or []:
                walk(part)

    for feature in features:
        walk((feature.get("geometry") or {}).get("coordinates"))
    if not lngs:
        return None
    return min(lngs), min(lats), max(lngs), max(lats)


# deck.gl's Web Mercator world is 512 pixels wide at zoom 0, twice as wide at each zoom level.
WORLD_PIXELS = 512


def view_of(features: list[dict[str, Any]], height: int) -> pdk.ViewState | None:
    """Centred on the features, zoomed so that they fill nine tenths of a map `height` pixels
    tall (the maps are at least as wide as they are tall), none of them cut off."""
    bounds = _bounds(features)
    if bounds is None:
        return None
    west, south, east, north = bounds
    middle = (south + north) / 2
    # On the map a degree of latitude is 1/cos(latitude) times as long as one of longitude.
    span = max(east - west, (north - south) / math.cos(math.radians(middle)), 1e-4)
    zoom = math.log2(0.9 * height * 360 / (WORLD_PIXELS * span))
    return pdk.ViewState(longitude=(west + east) / 2, latitude=middle,
                         zoom=max(1.0, min(18.0, zoom)))


def grid_deck(collection: dict[str, Any], grids: list[dict[str, Any]],
              points: dict[str, list[Any]], tooltip: str, point_label: str = "",
              height: int = 520) -> pdk.Deck | None:
    """`collection`: the /kpi/map GeoJSON; `grids`: the command center's open and red counts
    per grid code; `points`: its open cases by column. `tooltip` names the properties
    {name}, {open}, {red} in the viewer's language."""
    figures = {g["code"]: g for g in grids}
    features = []
    for feature in collection.get("features", []):
        if not feature.get("geometry"):
            continue
        code = feature["properties"]["code"]
        counts = figures.get(code, {"open": 0, "red": 0})
        features.append({**feature, "properties": {
            **feature["properties"], "open": counts["open"], "red": counts["red"],
            "fill": grid_colour(counts["open"], counts["red"])}})
    view = view_of(features, height)
    if view is None:
        return None
    layers = [pdk.Layer(
        "GeoJsonLayer", {"type": "FeatureCollection", "features": features},
        id="grids", pickable=True, stroked=True, filled=True, get_fill_color="properties.fill",
        get_line_color=[51, 65, 85, 255], line_width_min_pixels=1)]
    located = [
        {"lng": lng, "lat": lat, "colour": LIGHT_COLOURS.get(light, LIGHT_COLOURS[None]),
         "name": point_label, "open": "", "red": ""}
        for lng, lat, light in zip(points.get("lng", []), points.get("lat", []),
                                   points.get("light", []), strict=True)]
    if located:
        layers.append(pdk.Layer(
            "ScatterplotLayer", located, id="cases", get_position=["lng", "lat"],
            get_fill_color="colour", get_radius=18, radius_min_pixels=2, radius_max_pixels=6,
            pickable=False))
    # No basemap: map_provider None, and map_style left at pydeck's default marker, which
    # Streamlit reads as "none". map_style=None would mean "Streamlit's theme's", a CARTO style
    # fetched from the internet (blank and failing on a machine without it).
    return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None,
                    tooltip={"text": tooltip}, height=height)
