"""`gridlink`: migrate, seed, serve, dashboards, and the one-command demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from backend.config import get_settings

app = typer.Typer(help="GridLink 网格联动 command line", no_args_is_help=True)

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (alembic upgrade head)."""
    from backend import migrations

    url = get_settings().database_url
    migrations.upgrade(url)
    typer.echo(f"database at head: {url}")


@app.command()
def seed(
    scale: Annotated[int, typer.Option(min=1, help="Multiply people, houses and cases")] = 1,
) -> None:
    """Fill an empty database with realistic demo data (Faker zh_CN)."""
    from backend.db import Database
    from backend.seed import is_empty, run_seed

    database = Database(get_settings().database_url)
    try:
        if not is_empty(database):
            typer.echo("the database already has data: seed fills only an empty one")
            raise typer.Exit(1)
        counts = run_seed(database, scale=scale)
    finally:
        database.dispose()
    for table, count in counts.items():
        typer.echo(f"{table:>16}: {count:,}")


def _uvicorn_command(host: str, port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "backend.app:create_app",
            "--host", host, "--port", str(port), "--workers", str(workers)]


def _streamlit_command(port: int) -> list[str]:
    return [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
            "--server.port", str(port), "--server.headless", "true",
            "--browser.gatherUsageStats", "false"]


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the API and the admin panel with uvicorn."""
    os.execv(sys.executable, _uvicorn_command(host, port, workers))


@app.command()
def dashboards(port: Annotated[int, typer.Option()] = 8501) -> None:
    """Serve the Streamlit dashboards (an API client: set GRIDLINK_API_URL)."""
    os.execv(sys.executable, _streamlit_command(port))


@app.command()
def demo(
    port: Annotated[int, typer.Option()] = 8000,
    dashboards_port: Annotated[int, typer.Option()] = 8501,
) -> None:
    """Migrate and seed the SQLite demo database, then run the API, admin and dashboards."""
    migrate()
    from backend.db import Database
    from backend.seed import is_empty, run_seed

    database = Database(get_settings().database_url)
    try:
        if is_empty(database):
            typer.echo("seeding demo data ...")
            run_seed(database)
    finally:
        database.dispose()

    env = os.environ | {"GRIDLINK_API_URL": f"http://127.0.0.1:{port}"}
    processes = [
        subprocess.Popen(_uvicorn_command("127.0.0.1", port, 1), env=env),
        subprocess.Popen(_streamlit_command(dashboards_port), env=env),
    ]
    typer.echo(f"API      http://127.0.0.1:{port}/docs\nadmin    http://127.0.0.1:{port}/admin\n"
               f"dashboards http://127.0.0.1:{dashboards_port}\nCtrl-C stops both.")
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
    typer.echo("stopped")


if __name__ == "__main__":  # pragma: no cover
    app()
