"""docker-compose.yml cannot be run here (no Docker engine), so its wiring is checked as data."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load(
    (Path(__file__).resolve().parent.parent / "docker-compose.yml").read_text())


def test_it_runs_postgres_redis_the_api_and_the_dashboards():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "api", "dashboards"}


def test_the_api_migrates_then_serves_several_workers_on_postgres_and_redis():
    api = COMPOSE["services"]["api"]
    command = " ".join(api["command"])
    assert command.index("gridlink migrate") < command.index("gridlink serve")
    workers = int(command.split("--workers")[1].split()[0])
    assert workers >= 2
    env = api["environment"]
    postgres = COMPOSE["services"]["postgres"]["environment"]
    assert env["GRIDLINK_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert f"{postgres['POSTGRES_USER']}:{postgres['POSTGRES_PASSWORD']}@postgres:5432/" \
        f"{postgres['POSTGRES_DB']}" in env["GRIDLINK_DATABASE_URL"]
    assert env["GRIDLINK_REDIS_URL"].startswith("redis://redis:6379")
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "8000:8000" in api["ports"]


def test_the_dashboards_talk_to_the_api_service():
    dashboards = COMPOSE["services"]["dashboards"]
    assert dashboards["environment"]["GRIDLINK_API_URL"] == "http://api:8000"
    assert "gridlink dashboards" in " ".join(dashboards["command"])
    # In a container the API's host name ("api") is not an address to listen on.
    assert "--host 0.0.0.0" in " ".join(dashboards["command"])
    assert "api" in dashboards["depends_on"]


def test_every_env_var_the_services_read_is_a_real_setting():
    from backend.core.config import Settings

    known = {f"GRIDLINK_{name.upper()}" for name in Settings.model_fields}
    for name in ("api", "dashboards"):
        for var in COMPOSE["services"][name]["environment"]:
            assert var in known, var
