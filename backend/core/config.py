"""Settings, read once from GRIDLINK_* environment variables."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from backend.core.addresses import AllowedTargets
from backend.core.office_hours import DEFAULT_WORK_PERIODS, DEFAULT_YELLOW_SHARE, WorkingHours

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDLINK_", env_file=".env", extra="ignore")

    # Embedded SQLite by default; the file lives under ./var/ (relative to the working directory).
    database_url: str = "sqlite:///./var/gridlink.db"
    # Optional: Redis for multi-worker policy sync.
    redis_url: str | None = None
    api_url: str = "http://127.0.0.1:8000"
    # Signs access tokens. Unset: a random key kept in ./var/secret.key, shared by the workers
    # of one machine and kept across restarts (set it explicitly when running several hosts).
    secret_key: str = ""
    demo_password: str = "gridlink-demo"
    # Paging limits of every list endpoint.
    default_page_size: int = 50
    max_page_size: int = 1000
    sql_echo: bool = False
    # Without Redis, each worker checks the policy generation this often (seconds).
    policy_poll_seconds: float = 2.0
    # The default policy `gridlink migrate` and the API's start apply; unset: this release's
    # rbac/policy.csv. (Tests stand another file in for another release.)
    default_policy_file: Path | None = None
    # Each worker's webhook sender looks for due deliveries this often (seconds); off: none
    # is sent by the API processes (then run `gridlink webhooks deliver`, e.g. from cron).
    webhooks_enabled: bool = True
    webhook_poll_seconds: float = 1.0
    # Webhooks go to public addresses only; these hosts, addresses and networks (comma-
    # separated, e.g. "hooks.intranet,10.20.0.0/16") are admitted besides.
    webhook_allowed_hosts: str = ""
    # Office hours the working-hours deadlines count, Beijing time, e.g. 08:30-12:00,13:30-18:00.
    work_periods: str = DEFAULT_WORK_PERIODS
    # The share of a case's allowed time used that turns its light yellow.
    yellow_share: float = Field(DEFAULT_YELLOW_SHARE, gt=0, le=1)
    # How often `gridlink serve` runs the SLA tick (lights, warnings, escalation); 0 disables.
    sla_tick_seconds: float = 60.0
    # Ledger imports of up to this many rows run within the upload request; larger ones in the
    # worker's import thread while the client polls the job.
    import_inline_rows: int = Field(2000, ge=0)
    # Hot spots (聚集性预警, backend/hotspots/): a small class reported this many times within
    # this many metres within this many days raises an alert. 3, not 2: two reports of one
    # class near each other happen by chance in any busy street, three in a week at one spot
    # are a pattern (and a repeat call about the same problem is a duplicate, not counted).
    # 200 m: a block, about the span of a small grid (100-150 households), what one grid chief
    # walks past on a patrol. 7 days: the duplicate check's window and the weekly cycle the
    # plans review work on (日清周结); an alert with no new report for as long ends by itself.
    hotspot_threshold: int = Field(3, ge=2, le=100)
    hotspot_radius_m: int = Field(200, ge=10, le=5000)
    hotspot_window_days: int = Field(7, ge=1, le=90)
    # Where cases' photos are kept (backend/cases/photos.py), relative to the working directory.
    upload_dir: Path = Path("var/uploads")
    # On SQLite, how long a writer waits for the database's one write lock (seconds) before
    # the API answers 503 with Retry-After.
    sqlite_busy_timeout: float = Field(30.0, gt=0)

    # The department score (backend/kpi): points for 处置率, 按期处置率, 1−返工率, 1−超期率 and
    # 1−延期率 (the published formula: 30, 20, 20, 20, 10; they add up to 100), and the lowest
    # score of grades A, B and C (below C: D).
    kpi_weight_handled: float = Field(30, ge=0, le=100)
    kpi_weight_handled_on_time: float = Field(20, ge=0, le=100)
    kpi_weight_not_reworked: float = Field(20, ge=0, le=100)
    kpi_weight_not_overdue: float = Field(20, ge=0, le=100)
    kpi_weight_not_extended: float = Field(10, ge=0, le=100)
    kpi_grade_a: float = Field(90, ge=0, le=100)
    kpi_grade_b: float = Field(75, ge=0, le=100)
    kpi_grade_c: float = Field(60, ge=0, le=100)

    @model_validator(mode="after")
    def _kpi_weights(self) -> Settings:
        weights = (self.kpi_weight_handled, self.kpi_weight_handled_on_time,
                   self.kpi_weight_not_reworked, self.kpi_weight_not_overdue,
                   self.kpi_weight_not_extended)
        if abs(sum(weights) - 100) > 1e-9:
            raise ValueError(f"GRIDLINK_KPI_WEIGHT_* must add up to 100, not {sum(weights):g}")
        if not self.kpi_grade_a > self.kpi_grade_b > self.kpi_grade_c:
            raise ValueError("GRIDLINK_KPI_GRADE_A > GRIDLINK_KPI_GRADE_B > GRIDLINK_KPI_GRADE_C")
        return self

    @field_validator("work_periods")
    @classmethod
    def _work_periods(cls, value: str) -> str:
        WorkingHours.parse(value)  # a bad setting stops the start, not the first deadline
        return value

    @field_validator("webhook_allowed_hosts")
    @classmethod
    def _webhook_allowed_hosts(cls, value: str) -> str:
        AllowedTargets.parse(value)  # a typo stops the start, not every delivery
        return value

    @property
    def webhook_targets(self) -> AllowedTargets:
        return AllowedTargets.parse(self.webhook_allowed_hosts)

    @property
    def working_hours(self) -> WorkingHours:
        return WorkingHours.parse(self.work_periods)

    @model_validator(mode="after")
    def _secret_key(self) -> Settings:
        if not self.secret_key:
            self.secret_key = _local_secret_key(Path("var") / "secret.key")
        return self


def _local_secret_key(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written once, atomically, readable by its owner only.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        tmp.chmod(0o600)
        os.replace(tmp, path) if not path.exists() else tmp.unlink()
    return path.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
