"""`gridlink`: migrate, seed, serve, dashboards, and the one-command demo."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import httpx
import typer
from pydantic import ValidationError
from sqlalchemy import select

from backend import migrations
from backend.assessment.defaults import install_defaults
from backend.audit import writer as audit
from backend.cases.escalation import TickScheduler, tick
from backend.cases.webhooks import BATCH, deliver_due
from backend.cases.workflow import WORKFLOW_END, WORKFLOW_START, actions_markdown
from backend.core import crud
from backend.core.config import get_settings
from backend.core.db import Database
from backend.core.errors import ProblemError
from backend.entities import ENTITIES
from backend.identity import service
from backend.identity.models import User
from backend.identity.policy_release import apply_default_policy
from backend.seed import is_empty, play_year, run_seed, seed_county
from rbac.default_policy import DefaultPolicyError
from rbac.matrix import matrix_markdown, replace_in

app = typer.Typer(help="GridLink 网格联动 command line", no_args_is_help=True)

DASHBOARD_APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def _database():
    """The configured database, its sessions carrying the settings (office hours, yellow share)."""
    settings = get_settings()
    return Database(settings.database_url, settings=settings)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest revision (alembic upgrade head), then this
    release's changes to the default policy, keeping the rules an operator edited by hand."""
    settings = get_settings()
    migrations.upgrade(settings.database_url)
    typer.echo(f"database at head: {settings.database_url}")
    database = _database()
    try:
        upgrade = apply_default_policy(database, policy_file=settings.default_policy_file,
                                       redis_url=settings.redis_url)
    except DefaultPolicyError as exc:
        typer.echo(f"default policy not applied: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        database.dispose()
    for line in upgrade.lines():
        typer.echo(line)


users_app = typer.Typer(help="User accounts", no_args_is_help=True)
keys_app = typer.Typer(help="API keys for partner systems", no_args_is_help=True)
policy_app = typer.Typer(help="The permission policy", no_args_is_help=True)
webhooks_app = typer.Typer(help="Department webhooks", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(keys_app, name="apikeys")
app.add_typer(policy_app, name="policy")
app.add_typer(webhooks_app, name="webhooks")


def _create_through_registry(entity: str, body: dict, actor: str) -> dict:
    """CLI writes take the API's path: same validation, same audit log, actor 'cli:<name>'."""
    spec = ENTITIES[entity]
    database = _database()
    try:
        with database.session() as session:
            payload = spec.create_schema.model_validate(body)
            obj = crud.create_row(session, spec, payload, crud.Caller.system(f"cli:{actor}"))
            return crud.row_dict(obj, spec.columns)
    except ValidationError as exc:
        for error in exc.errors():
            typer.echo(f"{'.'.join(map(str, error['loc']))}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    except ProblemError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(2) from None
    finally:
        database.dispose()


@users_app.command("create")
def users_create(
    username: str,
    display_name: Annotated[str, typer.Option("--name", help="姓名")],
    role: Annotated[str, typer.Option(help="admin, leader, dispatcher, secretary, grid_chief, "
                                           "grid_member or department")],
    area: Annotated[str | None, typer.Option(help="Area or grid code of the role's scope")] = None,
    department: Annotated[str | None,
                          typer.Option(help="Department code (department role)")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True,
                                          confirmation_prompt=True)] = "",
    phone: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Create an account with one role assignment."""
    user = _create_through_registry("users", {
        "username": username, "password": password, "display_name": display_name,
        "phone": phone}, "users")
    _create_through_registry("role-assignments", {
        "user_id": user["id"], "role": role, "area_code": area, "department_code": department},
        "users")
    typer.echo(f"user {username} (id {user['id']}) created as {role}")


@keys_app.command("create")
def apikeys_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the key is for, e.g. 环卫处业务系统")],
) -> None:
    """Create an API key acting as USERNAME; the key is printed once and never again."""
    database = _database()
    try:
        with database.session() as session:
            user = session.execute(
                select(User).where(User.username == username)).scalar_one_or_none()
            if user is None:
                typer.echo(f"no user named {username}", err=True)
                raise typer.Exit(2)
            api_key, key = service.create_api_key(session, user.id, name)
            audit.record(session, audit.Actor("cli:apikeys"), "create", "api-keys", api_key.id,
                         None, {"user_id": (None, user.id), "name": (None, name)})
            session.commit()
    finally:
        database.dispose()
    typer.echo(key)


sla_app = typer.Typer(help="Deadlines: lights, warnings, escalation", no_args_is_help=True)
app.add_typer(sla_app, name="sla")


@sla_app.command("tick")
def sla_tick() -> None:
    """Set yellow and red lights, notify, escalate red cases, end quiet hot-spot alerts
    (idempotent; serve runs it every minute)."""
    database = _database()
    try:
        with database.session() as session:
            result = tick(session)
    finally:
        database.dispose()
    typer.echo(f"scanned {result.scanned:,} open cases in {result.seconds:.2f}s: "
               f"{result.yellow} yellow, {result.red} red, {result.escalated} escalated; "
               f"{result.hotspots_expired} hot-spot alerts expired")


assessment_app = typer.Typer(help="The 1,000-point assessment", no_args_is_help=True)
app.add_typer(assessment_app, name="assessment")


@assessment_app.command("defaults")
def assessment_defaults() -> None:
    """Install the default schemes (网格, 网格长, 社区 and 职能部门千分制考核) not yet there;
    edit them afterwards in the panel or through /api/v1/assessment-items."""
    database = _database()
    try:
        with database.session() as session:
            added = install_defaults(session, crud.Caller.system("cli:assessment"))
            session.commit()
            names = [scheme.name for scheme in added]
    finally:
        database.dispose()
    typer.echo(f"schemes installed: {', '.join(names)}" if names
               else "the default schemes are all there already")


@policy_app.command("matrix")
def policy_matrix(
    write: Annotated[str | None,
                     typer.Option(help="Replace the matrix in this file (README)")] = None,
) -> None:
    """Print the permission matrix of the default policy (rbac/policy.csv) and the workflow's
    table of actions; --write puts both into the README."""
    matrix, actions = matrix_markdown(), actions_markdown()
    if write:
        path = Path(write)
        text = replace_in(path.read_text(encoding="utf-8"), matrix)
        text = replace_in(text, actions, WORKFLOW_START, WORKFLOW_END)
        path.write_text(text, encoding="utf-8")
    else:
        typer.echo(f"{matrix}\n\n{actions}")


@webhooks_app.command("deliver")
def webhooks_deliver() -> None:
    """Send every webhook delivery due now (what each API worker does every second)."""
    database = _database()
    try:
        total = 0
        while (sent := deliver_due(database)) > 0:
            total += sent
            if sent < BATCH:
                break
    finally:
        database.dispose()
    typer.echo(f"{total} webhook deliveries sent")


@app.command()
def seed(
    scale: Annotated[int, typer.Option(min=1, help="Multiply people, houses and cases")] = 1,
) -> None:
    """Fill an empty database with realistic demo data (Faker zh_CN)."""
    database = _database()
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


def _streamlit_command(port: int, host: str | None = None) -> list[str]:
    """Streamlit on `host` (default: the API's own host), for viewers, not developers: no
    Deploy button or developer menu, and an error's details in the server's log only."""
    host = host or urlsplit(os.environ.get("GRIDLINK_API_URL", "http://127.0.0.1:8000")
                            ).hostname or "127.0.0.1"
    return [sys.executable, "-m", "streamlit", "run", str(DASHBOARD_APP),
            "--server.address", host, "--server.port", str(port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "minimal", "--client.showErrorDetails", "none",
            "--server.fileWatcherType", "none", "--global.developmentMode", "false"]


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1)] = 1,
) -> None:
    """Serve the API and the admin panel with uvicorn."""
    os.execv(sys.executable, _uvicorn_command(host, port, workers))


@app.command()
def dashboards(
    port: Annotated[int, typer.Option()] = 8501,
    host: Annotated[str | None, typer.Option(
        help="address to listen on (default: the host of GRIDLINK_API_URL)")] = None,
) -> None:
    """Serve the Streamlit dashboards (an API client: set GRIDLINK_API_URL)."""
    os.execv(sys.executable, _streamlit_command(port, host))


@app.command()
def demo(
    port: Annotated[int, typer.Option()] = 8000,
    dashboards_port: Annotated[int, typer.Option()] = 8501,
) -> None:
    """Migrate and seed the SQLite demo database, then run the API, admin and dashboards.

    On an empty database the API serves within seconds: the county (areas, grids, ledgers,
    field work, accounts) is written first, and the year of cases is played through the
    workflow afterwards, in this process, while the API already answers; cases arrive oldest
    first, a progress line at every tenth. Lines a script can wait for: "API ready",
    "dashboards ready", "demo data complete".
    """
    # Ctrl-C (SIGINT) stops the demo even when it was started from a shell that ignores it
    # for background jobs (Python then keeps it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    migrate()
    settings = get_settings()
    database = _database()
    api_url, dashboards_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{dashboards_port}"
    # The deadline tick runs here, from when the year is played: one ticking the cases still
    # being played would light and escalate them as of today, in the middle of their year.
    env = os.environ | {"GRIDLINK_API_URL": api_url, "GRIDLINK_SLA_TICK_SECONDS": "0"}
    processes: list[subprocess.Popen] = []
    ticker = TickScheduler(database, settings.sla_tick_seconds)
    stop = threading.Event()
    year_thread = None
    try:
        year = None
        if is_empty(database):
            typer.echo("seeding the county (ledgers, field work, accounts) ...")
            started = time.monotonic()
            year = seed_county(database)
            typer.echo(f"county seeded in {time.monotonic() - started:.0f} s")
        # Started once the county is in: no moment where it answers without accounts or data.
        processes.append(subprocess.Popen(_uvicorn_command("127.0.0.1", port, 1), env=env))
        _wait_until_serving(f"{api_url}/api/v1/health", processes[0])
        typer.echo(f"API ready: {api_url}/docs (admin {api_url}/admin)")
        if year is not None:
            year_thread = threading.Thread(target=_play_year, args=(database, year, stop, ticker),
                                           name="demo-year", daemon=True)
            year_thread.start()
        else:
            ticker.start()
        # The dashboards read the API: started once it answers, not competing with it before.
        processes.append(subprocess.Popen(_streamlit_command(dashboards_port), env=env))
        _wait_until_serving(f"{dashboards_url}/_stcore/health", processes[1])
        typer.echo(f"dashboards ready: {dashboards_url}\nCtrl-C stops both.")
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if year_thread is not None:
            year_thread.join()
        ticker.stop()
        database.dispose()
    typer.echo("stopped")


def _play_year(database, year, stop, ticker) -> None:
    """The demo's year of cases, in the background; then the deadline tick takes over."""
    total, arrived, started = len(year.reports), 0, time.monotonic()
    step = max(total // 10, 1)

    def advance(count: int) -> None:
        nonlocal arrived
        if (arrived + count) // step > arrived // step:
            typer.echo(f"cases: {arrived + count:,}/{total:,} played through the workflow")
        arrived += count

    try:
        played = play_year(database, year, advance, stop=stop)
    except Exception as exc:  # the servers run on; say what happened, and where
        typer.echo(f"playing the year of cases failed after {arrived:,}: {exc!r}", err=True)
        raise
    if played < total:
        typer.echo(f"stopped after {played:,} of {total:,} cases: the rest of the year is "
                   "not played (remove ./var/gridlink.db to seed anew)")
        return
    typer.echo(f"demo data complete: {played:,} cases in {time.monotonic() - started:.0f} s")
    ticker.start()


def _wait_until_serving(url: str, process: subprocess.Popen) -> None:
    """Until the server at `url` answers; its process ending first is an error."""
    while process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    typer.echo(f"the server for {url} exited with {process.returncode}", err=True)
    raise typer.Exit(1)


if __name__ == "__main__":  # pragma: no cover
    app()
