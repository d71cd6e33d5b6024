"""The dashboards' only way to data: the REST API, with the viewer's own token.

A viewer sees on the dashboards exactly what their account may see through the API.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

API_URL = os.environ.get("GRIDLINK_API_URL", "http://127.0.0.1:8000")


class ApiClient:
    def __init__(self, token: str | None = None, base_url: str = API_URL,
                 timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/") + "/api/v1", timeout=timeout,
                                 headers=headers)

    def login(self, username: str, password: str) -> dict[str, Any]:
        response = self.http.post("/auth/token", data={"username": username, "password": password})
        response.raise_for_status()
        return response.json()

    def me(self) -> dict[str, Any]:
        response = self.http.get("/auth/me")
        response.raise_for_status()
        return response.json()

    def page(self, entity: str, **params: Any) -> dict[str, Any]:
        response = self.http.get(f"/{entity}", params=params)
        response.raise_for_status()
        return response.json()

    def total(self, entity: str, **filters: Any) -> int:
        return self.page(entity, limit=1, fields="id", **filters)["total"]

    def rows(self, entity: str, **params: Any) -> list[dict[str, Any]]:
        return self.page(entity, **params)["items"]
