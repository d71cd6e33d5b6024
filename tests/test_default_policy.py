"""A release changes the default policy: `gridlink migrate` (and the API's start) bring the
change to a database that has an older one, and keep what its operators changed by hand.

Two releases stand in tests/policies/: release 1 is the default as shipped before it had a
version; release 2 drops one of its rules and adds one. Each test has a database of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from backend import migrations
from backend.app import create_app
from backend.audit.models import AuditEntry
from backend.core.config import Settings
from backend.core.db import make_engine
from rbac.models import PolicyRule, PolicyVersion
from tests.builders import COUNTY, make_areas, ok
from tests.servers import CEILING, ROOT, eventually, uvicorn_worker
from tests.test_policy_changes import REDIS_URL, redis_available

POLICIES = Path(__file__).resolve().parent / "policies"
RELEASE_1 = POLICIES / "release-1.csv"
RELEASE_2 = POLICIES / "release-2.csv"
SHIPPED = ROOT / "rbac" / "policy.csv"

DROPPED = ("dispatcher", "webhook-deliveries", "read")  # by release 2
ADDED = ("leader", "routing-rules|webhook-deliveries", "read")  # by release 2
REMOVED_BY_HAND = ("department", "webhook-deliveries", "read")  # a rule of both releases
ADDED_BY_HAND = ("grid_member", "residents", "export")  # in neither release

SECRET = "default-policy-test-secret-key-of-32-bytes-or-more"
PASSWORD = "a-long-password-1"
FIELDS = ("role", "obj", "act")


def rules_of(path: Path) -> list[tuple[str, ...]]:
    """A policy file's `p` lines, read here (not by the code under test)."""
    return [tuple(part.strip() for part in line.split(",")[1:])
            for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("p,")]


def cli_env(url: str, policy: Path | None = None, redis_url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    env |= {"PYTHONPATH": str(ROOT), "GRIDLINK_DATABASE_URL": url, "GRIDLINK_SECRET_KEY": SECRET}
    if policy is not None:
        env["GRIDLINK_DEFAULT_POLICY_FILE"] = str(policy)
    if redis_url is not None:
        env["GRIDLINK_REDIS_URL"] = redis_url
    return env


def gridlink(url: str, *args: str, policy: Path | None = None, stdin: str | None = None,
             redis_url: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backend.cli", *args], cwd=ROOT,
                          env=cli_env(url, policy, redis_url), input=stdin, capture_output=True,
                          text=True, timeout=CEILING)


def migrate(url: str, policy: Path | None, **env) -> list[str]:
    result = gridlink(url, "migrate", policy=policy, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def database_state(url: str) -> dict:
    """The rules (sorted, duplicates kept), the audit log and the policy generation."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "rules": sorted(tuple(row) for row in conn.execute(
                    select(PolicyRule.role, PolicyRule.obj, PolicyRule.act))),
                "audit": [tuple(row) for row in conn.execute(
                    select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity,
                           AuditEntry.changes).order_by(AuditEntry.id))],
                "generation": conn.execute(select(PolicyVersion.generation)).scalar(),
            }
    finally:
        engine.dispose()


def app_settings(url: str, policy: Path) -> Settings:
    return Settings(database_url=url, secret_key=SECRET, default_policy_file=policy,
                    webhooks_enabled=False, sla_tick_seconds=0, policy_poll_seconds=0.2)


def create_admin(url: str) -> None:
    result = gridlink(url, "users", "create", "ops", "--name", "运维", "--role", "admin",
                      stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.returncode == 0, result.stderr


def log_in(client, username: str) -> dict[str, str]:
    token = ok(client.post("/api/v1/auth/token",
                           data={"username": username, "password": PASSWORD}))
    return {"Authorization": f"Bearer {token['access_token']}"}


def edit_by_hand_over_the_api(url: str, policy: Path) -> None:
    """An operator removes a default rule and adds one of their own, as admins do."""
    create_admin(url)
    with TestClient(create_app(app_settings(url, policy))) as client:
        client.headers.update(log_in(client, "ops"))
        added = dict(zip(FIELDS, ADDED_BY_HAND, strict=True))
        ok(client.post("/api/v1/policy-rules", json=added), 201)
        removed = dict(zip(FIELDS, REMOVED_BY_HAND, strict=True))
        found = ok(client.get("/api/v1/policy-rules", params=removed))
        assert found["total"] == 1
        ok(client.delete(f"/api/v1/policy-rules/{found['items'][0]['id']}"), 204)


def installed_by_a_versioned_release(url: str) -> None:
    assert migrate(url, RELEASE_1)[-1] == "default policy version 1 installed: 22 rules added"
    edit_by_hand_over_the_api(url, RELEASE_1)


def installed_before_the_default_had_a_version(url: str) -> None:
    """The schema and rules as main left them (no record of the default applied): release 1's
    rules as its start wrote them, with the same hand edits."""
    migrations.upgrade(url, "0008_pii")
    rules = [rule for rule in rules_of(RELEASE_1) if rule != REMOVED_BY_HAND] + [ADDED_BY_HAND]
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(insert(PolicyRule),
                         [dict(zip(FIELDS, rule, strict=True)) for rule in rules])
            conn.execute(insert(PolicyVersion.__table__).values(generation=3))
    finally:
        engine.dispose()


@pytest.mark.parametrize("install", [installed_by_a_versioned_release,
                                     installed_before_the_default_had_a_version])
def test_migrate_applies_a_new_release_and_keeps_the_hand_edits(scratch_database_url, install):
    url = scratch_database_url
    install(url)
    before = database_state(url)

    lines = migrate(url, RELEASE_2)

    after = database_state(url)
    expected = sorted([rule for rule in rules_of(RELEASE_2) if rule != REMOVED_BY_HAND]
                      + [ADDED_BY_HAND])
    assert after["rules"] == expected
    assert ADDED in after["rules"]  # the release's new rule
    assert DROPPED not in after["rules"]  # the rule it dropped
    assert REMOVED_BY_HAND not in after["rules"]  # still in release 2, not put back
    assert ADDED_BY_HAND in after["rules"]
    assert lines[1:] == [
        "default policy upgraded from version 1 to 2 (audit log actor: migrate)",
        "  added:   role leader, objects routing-rules|webhook-deliveries, actions read",
        "  removed: role dispatcher, objects webhook-deliveries, actions read",
        "  kept as edited by hand: 1 rule added, 1 default rule removed",
    ]
    # Written as every policy write is: audited, and the generation moved for the workers.
    assert after["audit"][len(before["audit"]):] == [
        ("migrate", "create", "policy-rules",
         {"ptype": [None, "p"], "role": [None, "leader"],
          "obj": [None, "routing-rules|webhook-deliveries"], "act": [None, "read"]}),
        ("migrate", "delete", "policy-rules",
         {"ptype": ["p", None], "role": ["dispatcher", None],
          "obj": ["webhook-deliveries", None], "act": ["read", None]}),
    ]
    assert after["generation"] > before["generation"]

    # Again: nothing left to do, nothing written.
    assert migrate(url, RELEASE_2)[1:] == ["default policy version 2: up to date, nothing changed"]
    assert database_state(url) == after


def test_a_new_database_gets_this_releases_default_policy(scratch_database_url):
    lines = migrate(scratch_database_url, None)
    shipped = rules_of(SHIPPED)
    assert database_state(scratch_database_url)["rules"] == sorted(shipped)
    assert lines[1].startswith("default policy version ")
    assert lines[1].endswith(f" installed: {len(shipped)} rules added")


def test_the_api_applies_a_new_release_when_it_starts(scratch_database_url):
    url = scratch_database_url
    installed_by_a_versioned_release(url)
    with TestClient(create_app(app_settings(url, RELEASE_2))):
        rules = database_state(url)["rules"]
    assert ADDED in rules and DROPPED not in rules
    assert ADDED_BY_HAND in rules and REMOVED_BY_HAND not in rules


def test_an_older_release_leaves_a_newer_default_policy_alone(scratch_database_url):
    """An older release's processes still running during an upgrade undo nothing."""
    url = scratch_database_url
    migrate(url, RELEASE_2)
    before = database_state(url)
    assert migrate(url, RELEASE_1)[1:] == [
        "default policy: the database has version 2, newer than this release's 1; left as it is"]
    assert database_state(url) == before


def test_a_default_changed_without_a_new_version_is_refused(scratch_database_url, tmp_path):
    url = scratch_database_url
    migrate(url, RELEASE_1)
    before = database_state(url)
    same_version = tmp_path / "policy.csv"
    same_version.write_text(RELEASE_2.read_text(encoding="utf-8").replace("version, 2",
                                                                          "version, 1"))
    result = gridlink(url, "migrate", policy=same_version)
    assert result.returncode == 1
    assert f"{same_version}: its rules differ from version 1" in result.stderr
    assert "higher `version` line" in result.stderr
    assert database_state(url) == before


def test_a_new_default_rule_in_words_the_policy_does_not_know_is_refused(scratch_database_url,
                                                                        tmp_path):
    """The release's rules pass the checks an admin's rule passes; nothing is half written."""
    url = scratch_database_url
    migrate(url, RELEASE_1)
    before = database_state(url)
    unknown = tmp_path / "policy.csv"
    unknown.write_text(RELEASE_2.read_text(encoding="utf-8")
                       + "p, leader, spaceships, read\n", encoding="utf-8")
    result = gridlink(url, "migrate", policy=unknown)
    assert result.returncode == 1
    assert "cannot add role leader, objects spaceships, actions read" in result.stderr
    assert "spaceships" in result.stderr.split("actions read:")[1]
    assert database_state(url) == before


@contextmanager
def worker(url: str, sync: str) -> Iterator[str]:
    """A running API worker on release 1; told of changes through Redis only (a poll two
    hours away), or by polling the generation."""
    settings = Settings(database_url=url, secret_key=SECRET)
    overrides = ({"redis_url": REDIS_URL, "policy_poll_seconds": 7200} if sync == "redis"
                 else {"policy_poll_seconds": 0.2})
    with uvicorn_worker(settings, default_policy_file=RELEASE_1, **overrides) as base_url:
        yield base_url


@pytest.mark.parametrize("sync", ["redis", "polling"])
def test_running_workers_follow_the_upgrade(scratch_database_url, sync):
    if sync == "redis" and not redis_available():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    url = scratch_database_url
    migrate(url, RELEASE_1)
    create_admin(url)
    with worker(url, sync) as base_url, httpx.Client(base_url=base_url, timeout=CEILING) as admin:
        admin.headers.update(log_in(admin, "ops"))
        make_areas(admin)
        leader = ok(admin.post("/api/v1/users", json={
            "username": "boss", "password": PASSWORD, "display_name": "领导"}), 201)
        ok(admin.post("/api/v1/role-assignments", json={
            "user_id": leader["id"], "role": "leader", "area_code": COUNTY}), 201)
        as_leader = {"headers": log_in(admin, "boss")}
        assert admin.get("/api/v1/routing-rules", **as_leader).status_code == 403

        migrate(url, RELEASE_2, redis_url=REDIS_URL if sync == "redis" else None)

        eventually(lambda: admin.get("/api/v1/routing-rules", **as_leader).status_code == 200)


def test_processes_applying_the_same_release_at_once_apply_it_once(scratch_database_url):
    """Workers started together (or a migrate beside them): one applies, the others find it
    applied."""
    url = scratch_database_url
    migrate(url, RELEASE_1)
    runs = [subprocess.Popen([sys.executable, "-m", "backend.cli", "migrate"], cwd=ROOT,
                             env=cli_env(url, RELEASE_2), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=CEILING) for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, [err for _, err in outputs]
    said = [out.splitlines()[1] for out, _ in outputs]
    assert said.count("default policy upgraded from version 1 to 2 (audit log actor: migrate)") == 1
    assert said.count("default policy version 2: up to date, nothing changed") == 3
    assert database_state(url)["rules"] == sorted(rules_of(RELEASE_2))
