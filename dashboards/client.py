"""The dashboards' only way to data: the REST API, as the viewer (their token) or as a wall
screen's service account (its API key).

A viewer sees on the dashboards exactly what their account may see through the API. Every
failure reaches the pages as one of two exceptions they can explain in words: the API did not
answer (ApiUnavailable), or it no longer accepts the credentials (SessionExpired).
"""

from __future__ import annotations

from typing import Any

import httpx

from dashboards import config


class ApiUnavailable(Exception):
    """The API did not answer, or answered with a server error."""


class SessionExpired(Exception):
    """The API answered 401: the token expired, or the API key was revoked."""


class ApiRefused(Exception):
    """The API refused the request (403, 404, 422 ...): its problem detail, in words."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail") or body.get("title") or "") if isinstance(body, dict) else ""


class ApiClient:
    """One viewer's connection. `calls` counts the requests made, so a page's cost in calls is
    measured from the client, as the API sees it."""

    def __init__(self, token: str | None = None, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 10.0) -> None:
        headers = {"Accept-Language": "zh-CN"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif api_key:
            headers["X-API-Key"] = api_key
        self.base_url = (base_url or config.API_URL).rstrip("/")
        self.http = httpx.Client(base_url=self.base_url + "/api/v1", timeout=timeout,
                                 headers=headers)
        self.calls = 0

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.calls += 1
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code == 401:
            raise SessionExpired(_detail(response))
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code} {_detail(response)}")
        if response.status_code >= 400:
            raise ApiRefused(response.status_code, _detail(response))
        return response

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def download(self, path: str) -> bytes:
        """A file the API serves (an xlsx), as bytes; refusals as for `request`."""
        return self._send("GET", path).content

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items()
                                                 if v is not None})

    def login(self, username: str, password: str) -> str:
        """The access token for these credentials (ApiRefused with the reason if wrong)."""
        self.calls += 1
        try:
            response = self.http.post("/auth/token",
                                      data={"username": username, "password": password})
        except httpx.HTTPError as exc:
            raise ApiUnavailable(str(exc) or type(exc).__name__) from exc
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise ApiRefused(response.status_code, _detail(response))
        return response.json()["access_token"]

    def me(self) -> dict[str, Any]:
        return self.get("/auth/me")

    def rows(self, entity: str, **params: Any) -> list[dict[str, Any]]:
        return self.get(f"/{entity}", **params)["items"]
