"""Settings, read once from GRIDLINK_* environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRIDLINK_", env_file=".env", extra="ignore")

    # Embedded SQLite by default; the file lives under ./var/ (relative to the working directory).
    database_url: str = "sqlite:///./var/gridlink.db"
    # Optional: Redis for multi-worker policy sync.
    redis_url: str | None = None
    api_url: str = "http://127.0.0.1:8000"
    secret_key: str = "change-me-in-production"
    demo_password: str = "gridlink-demo"
    # Paging limits of every list endpoint.
    default_page_size: int = 50
    max_page_size: int = 1000
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
