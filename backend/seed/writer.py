"""The writer: the drawn world into the database, the demo accounts, and the year of cases.

Everything but the cases is written with bulk Core inserts, parents first, with the ids the
drawing gave (children point at their parents without a round trip): an ORM object per row
would take minutes for 100,000 rows. The cases come in through intake and the workflow
(`CaseYear`): in the same transaction as the rest (`run_seed`, for `gridlink seed`), or, for
`gridlink demo`, after the county is committed and served (`seed_county`), in slices committed
one by one while the API is in use (`play_year`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from backend import models
from backend.areas.geometry import grids_written
from backend.areas.models import Area, AreaLevel
from backend.cases.models import CaseStep, DepartmentKind
from backend.cases.reference import COUNTY_CODE
from backend.core.config import get_settings
from backend.core.db import Database, utcnow
from backend.identity.models import Role, RoleAssignment
from backend.identity.service import DemoLayout, create_demo_accounts
from backend.seed import assessment, disputes, meetings, requests
from backend.seed.build import ProgressBars, build_demo_data
from backend.seed.case_year import CaseYear
from backend.seed.vocabulary import BATCH_SIZE, BETWEEN_SLICES, SLICE_SECONDS
from backend.seed.world import TABLE_ORDER
from backend.team.models import GridStaff, TeamRole


def is_empty(database: Database) -> bool:
    """True when the area table has no rows (nothing has been set up yet)."""
    with database.session() as session:
        return session.execute(select(Area.id).limit(1)).first() is None


def run_seed(
    database: Database, scale: int = 1, progress: bool = True, seed: int = 2026, *,
    residents: int | None = None, cases: int | None = None, now: dt.datetime | None = None,
    demo_password: str | None = None,
) -> dict[str, int]:
    """Fill an empty, migrated database with demo data and the demo accounts (README), all in
    one transaction; returns row counts per table name.

    scale multiplies residents (20,000), their houses, organisations and cases (6,000);
    `residents` and `cases` override those counts (the tests seed small worlds). The area tree,
    grids, departments and categories are the same at every scale.
    """
    now = _seed_now(database, scale, now)
    with ProgressBars(progress).running() as bars:
        rows = build_demo_data(scale, seed, residents=residents, cases=cases, now=now,
                               progress=bars)
        with database.session() as session, session.begin():
            accounts = write_county(session, rows, bars, demo_password)
            disputes.seed_disputes(session, now, seed)
            requests.seed_requests(session, now, seed)
            meetings.seed_meetings(session, now, seed)
            assessment.enter_scores(session, now, seed)
            advance = bars.task("案卷流转", len(rows["case"]))
            played = CaseYear(session, now).play(rows["case"], advance)
            assessment.run_quarters(session, now)
            steps = session.execute(select(func.count()).select_from(CaseStep)).scalar_one()
    return ({table: len(rows[table]) for table in TABLE_ORDER}
            | {"case": played, "case_step": steps, "user_account": len(accounts)})


@dataclass
class PendingYear:
    """The year of cases `seed_county` left to play: the reports with their planned moves."""

    reports: list[dict[str, Any]]
    now: dt.datetime


def seed_county(
    database: Database, scale: int = 1, progress: bool = True, seed: int = 2026, *,
    residents: int | None = None, cases: int | None = None, now: dt.datetime | None = None,
    demo_password: str | None = None,
) -> PendingYear:
    """`run_seed` less the cases, committed: the county, its ledgers, field work and the demo
    accounts, ready to serve in seconds. The same world as `run_seed` draws; `play_year` then
    brings its cases in."""
    now = _seed_now(database, scale, now)
    with ProgressBars(progress).running() as bars:
        rows = build_demo_data(scale, seed, residents=residents, cases=cases, now=now,
                               progress=bars)
        with database.session() as session, session.begin():
            write_county(session, rows, bars, demo_password)
            disputes.seed_disputes(session, now, seed)
            requests.seed_requests(session, now, seed)
            meetings.seed_meetings(session, now, seed)
            assessment.enter_scores(session, now, seed)
    return PendingYear(rows["case"], now)


def play_year(database: Database, year: PendingYear, advance: Callable[[int], None], *,
              slice_seconds: float = SLICE_SECONDS, between_slices: float = BETWEEN_SLICES,
              stop: threading.Event | None = None) -> int:
    """Play the cases of `seed_county`'s year while others use the database: in slices of
    about `slice_seconds`, each committed (see CaseYear). `advance(n)`: n more cases are in.
    Returns how many cases came in. The whole year in, the closed quarters are assessed."""
    with database.session() as session:
        played = CaseYear(session, year.now).play(year.reports, advance,
                                                  slice_seconds=slice_seconds,
                                                  between_slices=between_slices, stop=stop)
        if played == len(year.reports):
            assessment.run_quarters(session, year.now)
            session.commit()
    return played


def _seed_now(database: Database, scale: int, now: dt.datetime | None) -> dt.datetime:
    if scale < 1:
        raise ValueError("scale must be at least 1")
    if not is_empty(database):
        raise ValueError("the database already has areas: demo data goes into an empty database")
    return (now or utcnow()).astimezone(dt.UTC)


def write_county(session: Session, rows: dict[str, list[dict[str, Any]]], bars: ProgressBars,
                 demo_password: str | None) -> list[Any]:
    """Everything but the cases, and the demo accounts; returns the accounts."""
    write_rows(session, rows, bars)
    # Before the cases: the accounts are who hears of them (notifications).
    database_settings = session.info.get("settings")
    password = demo_password or (database_settings or get_settings()).demo_password
    accounts = create_demo_accounts(session, password, demo_layout(rows))
    link_to_roster(session, accounts)
    return accounts


# The roster entry a grid account signs for: its grid's chief, or its full-time worker.
ROSTER_ROLE = {Role.grid_chief: TeamRole.grid_chief, Role.grid_member: TeamRole.full_time}


def link_to_roster(session: Session, accounts: list[Any]) -> None:
    """The demo's grid accounts are its grids' people: their patrols and logs sent through the
    API are theirs on the roster."""
    ids = [account.id for account in accounts]
    grants = session.execute(select(RoleAssignment.user_id, RoleAssignment.role,
                                    RoleAssignment.area_code)
                             .where(RoleAssignment.user_id.in_(ids))).all()
    for user_id, role, area_code in grants:
        if role not in ROSTER_ROLE or area_code is None:
            continue
        staff_id = session.execute(select(GridStaff.id).where(
            GridStaff.grid_code == area_code, GridStaff.team_role == ROSTER_ROLE[role],
            GridStaff.user_id.is_(None)).order_by(GridStaff.id)).scalars().first()
        if staff_id is not None:
            session.execute(update(GridStaff).where(GridStaff.id == staff_id)
                            .values(user_id=user_id))


def demo_layout(rows: dict[str, list[dict[str, Any]]]) -> DemoLayout:
    """The demo accounts' places: the first community and grid, a grid elsewhere, 环卫 and the
    offices disputes are handed to."""
    communities = [a["code"] for a in rows["area"] if a["level"] is AreaLevel.community]
    grids = [g["code"] for g in rows["grid"]]
    first_grid = min(g for g in grids if g.startswith(communities[0]))
    other_grid = min(g for g in grids if not g.startswith(communities[0]))
    def office(kind: DepartmentKind) -> str:
        return next(d["code"] for d in rows["department"] if d["kind"] in (kind, kind.value))

    return DemoLayout(county=COUNTY_CODE, community=communities[0], grid=first_grid,
                      other_grid=other_grid, sanitation=office(DepartmentKind.sanitation),
                      justice=office(DepartmentKind.justice),
                      petitions=office(DepartmentKind.petitions))


# Tables whose rows point at others of the same table: (the key, the column pointing).
SELF_REFERENCES = {"grid": ("code", "partner_grid_code"), "grid_staff": ("id", "partner_id")}


def write_rows(session: Session, rows: dict[str, list[dict[str, Any]]],
               bars: ProgressBars) -> None:
    """Bulk Core inserts, parents first, in batches."""
    tables = models.Base.metadata.tables
    for name in TABLE_ORDER:
        table, table_rows = tables[name], rows[name]
        link = SELF_REFERENCES.get(name)
        if link is not None:
            # Rows point at rows written later in the same list: link them afterwards.
            table_rows = [{**row, link[1]: None} for row in table_rows]
        advance = bars.task(table.comment or name, len(table_rows))
        for start in range(0, len(table_rows), BATCH_SIZE):
            batch = table_rows[start:start + BATCH_SIZE]
            session.execute(insert(table), batch)
            advance(len(batch))
    grids_written(session)
    for name, (key, column) in SELF_REFERENCES.items():
        table = tables[name]
        links = [{"key": row[key], "target": row[column], "updated": row["updated_at"]}
                 for row in rows[name] if row[column] is not None]
        if links:
            # updated_at given explicitly, or its onupdate would stamp today on the setup rows.
            session.execute(update(table).where(table.c[key] == bindparam("key"))
                            .values({column: bindparam("target"),
                                     "updated_at": bindparam("updated")}), links)
    if session.get_bind().dialect.name == "postgresql":
        # Rows came with explicit ids: move each id sequence past them for later inserts.
        for name in TABLE_ORDER:
            session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{name}\"), 0) + 1, false)"))
