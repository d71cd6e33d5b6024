"""The dashboards' only way to data: the REST API, as any partner system would use it."""

from __future__ import annotations

import os
from typing import Any

import httpx

API_URL = os.environ.get("GRIDLINK_API_URL", "http://127.0.0.1:8000")


class ApiClient:
    def __init__(self, base_url: str = API_URL, timeout: float = 10.0) -> None:
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout)

    def page(self, entity: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/{entity}", params=params)
        response.raise_for_status()
        return response.json()

    def total(self, entity: str, **filters: Any) -> int:
        return self.page(entity, limit=1, fields="id", **filters)["total"]

    def rows(self, entity: str, **params: Any) -> list[dict[str, Any]]:
        return self.page(entity, **params)["items"]
