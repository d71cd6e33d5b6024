"""A seeded county behind a live API: the dashboards' tests read it as their viewers would.

One database of its own (not the suite's, which tests empty after each other), migrated and
seeded with a small county (600 residents, 1,000 cases played through the workflow up to a
minute ago), and one uvicorn process serving it, started once per test session.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from backend import migrations
from backend.core.config import Settings
from backend.core.db import Database
from backend.seed import run_seed
from tests.builders import DEMO_PASSWORD
from tests.conftest import fresh_database
from tests.servers import uvicorn_worker

SECRET = "gridlink-dashboards-test-secret-of-at-least-32-bytes"


@dataclass
class LiveCounty:
    api_url: str
    database_url: str

    def token(self, username: str) -> str:
        response = httpx.post(f"{self.api_url}/api/v1/auth/token",
                              data={"username": username, "password": DEMO_PASSWORD})
        response.raise_for_status()
        return response.json()["access_token"]

    def get(self, username: str, path: str, **params) -> dict:
        """What the API answers `username` (the figures a page must show)."""
        response = httpx.get(f"{self.api_url}/api/v1{path}", params=params,
                             headers={"Authorization": f"Bearer {self.token(username)}"})
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def live_county(tmp_path_factory) -> Iterator[LiveCounty]:
    for url in fresh_database(tmp_path_factory):
        migrations.upgrade(url)
        database = Database(url)
        try:
            now = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=1)
            run_seed(database, progress=False, residents=600, cases=1000, now=now,
                     demo_password=DEMO_PASSWORD)
        finally:
            database.dispose()
        settings = Settings(database_url=url, secret_key=SECRET)
        with uvicorn_worker(settings) as api_url:
            yield LiveCounty(api_url, url)
