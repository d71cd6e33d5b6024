"""The dashboards' settings, from the environment (they run as their own process)."""

from __future__ import annotations

import os


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "")
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default


# Where the API answers; the dashboards bind to the same host by default (backend/cli.py).
API_URL = os.environ.get("GRIDLINK_API_URL", "http://127.0.0.1:8000")
# An unattended wall screen: a service account's key, used instead of a login.
SERVICE_API_KEY = os.environ.get("GRIDLINK_DASHBOARD_API_KEY") or None
# How often the command center and the big screen refresh themselves.
REFRESH_SECONDS = _seconds("GRIDLINK_DASHBOARD_REFRESH_SECONDS", 10.0)
# How long the big screen shows each of the command center's panels.
ROTATE_SECONDS = _seconds("GRIDLINK_DASHBOARD_ROTATE_SECONDS", 20.0)
