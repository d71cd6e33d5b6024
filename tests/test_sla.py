"""Deadlines and lights (backend/cases/sla.py), worked out by hand on the 2026 official calendar.

2026 as the State Council published it (November 2025) and the holidays package has it:
- 春节: off Sun 15 Feb – Mon 23 Feb; make-up working Saturdays 14 Feb and 28 Feb.
- 国庆: off 1–7 Oct; make-up working Sun 20 Sep and Sat 10 Oct.
Office hours 08:30–12:00 and 13:30–18:00 Beijing time (8 working hours a day).
Times below are Beijing's (UTC+8); the module takes and gives UTC.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from pydantic import ValidationError

from backend.cases import sla
from backend.cases.models import DeadlineUnit, Light
from backend.cases.sla import WorkingCalendar, deadlines, light_for, time_left
from backend.core.config import Settings
from backend.core.db import BEIJING
from backend.core.office_hours import WorkingHours
from tests.builders import ok

DAYS, WORKING_HOURS, HOURS = (DeadlineUnit.working_days, DeadlineUnit.working_hours,
                              DeadlineUnit.hours)
OFFICIAL = WorkingCalendar()


def bj(*args: int) -> dt.datetime:
    """A Beijing wall-clock time, as the UTC datetime the module works with."""
    return dt.datetime(*args, tzinfo=BEIJING).astimezone(dt.UTC)


@pytest.fixture
def fresh_warnings(monkeypatch):
    """The once-per-year warning, as if no year had been warned about in this process."""
    monkeypatch.setattr(sla, "_warned_years", set())


# --- which days are working days -------------------------------------------------------------


def test_the_official_calendar_knows_holidays_and_make_up_working_days():
    assert not OFFICIAL.is_working_day(dt.date(2026, 2, 17))  # 春节 (Tuesday)
    assert not OFFICIAL.is_working_day(dt.date(2026, 2, 23))  # Monday, off in exchange for 28 Feb
    assert OFFICIAL.is_working_day(dt.date(2026, 2, 14))  # Saturday, make-up working day
    assert OFFICIAL.is_working_day(dt.date(2025, 9, 28))  # Sunday, make-up working day
    assert OFFICIAL.is_working_day(dt.date(2026, 11, 27))  # an ordinary Friday
    assert not OFFICIAL.is_working_day(dt.date(2026, 11, 28))  # an ordinary Saturday


def test_a_year_without_calendar_data_counts_monday_to_friday_and_warns_once(
        fresh_warnings, caplog):
    # The package knows 2035's statutory holidays but has no State Council notice for it.
    with caplog.at_level(logging.WARNING, logger="backend.cases.sla"):
        assert OFFICIAL.is_working_day(dt.date(2035, 1, 1))  # Monday; 元旦 by law, unknown here
        assert WorkingCalendar().is_working_day(dt.date(2035, 2, 8))  # Thursday (春节)
        assert not WorkingCalendar().is_working_day(dt.date(2035, 2, 10))  # Saturday
        # Fri 2035-02-09 10:00 + 1 working day: Sat, Sun skipped → Mon 12 Feb 18:00. No error.
        assert OFFICIAL.due_at(bj(2035, 2, 9, 10), 1, DAYS) == bj(2035, 2, 12, 18)
        OFFICIAL.is_working_day(dt.date(2026, 5, 6))  # a covered year: no warning
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "2035" in warnings[0]

    with caplog.at_level(logging.WARNING, logger="backend.cases.sla"):
        WorkingCalendar().is_working_day(dt.date(2036, 3, 3))  # another year, its own warning
    assert sum("2036" in r.getMessage() for r in caplog.records) == 1


def test_calendar_rows_for_an_uncovered_year_silence_its_warning(fresh_warnings, caplog):
    # The admins entered 2035's calendar: the days they listed decide, the rest is Mon–Fri.
    calendar = WorkingCalendar({dt.date(2035, 1, 1): False, dt.date(2035, 2, 3): True})
    with caplog.at_level(logging.WARNING, logger="backend.cases.sla"):
        assert not calendar.is_working_day(dt.date(2035, 1, 1))  # 元旦, from the row
        assert calendar.is_working_day(dt.date(2035, 2, 3))  # Saturday, make-up day from the row
        assert calendar.is_working_day(dt.date(2035, 1, 2))  # Tuesday
    assert not caplog.records


def test_overrides_beat_the_official_calendar():
    calendar = WorkingCalendar({dt.date(2026, 10, 10): False,  # make-up Saturday cancelled
                                dt.date(2026, 10, 8): False,  # a Thursday off
                                dt.date(2026, 10, 7): True})  # a holiday worked
    assert not calendar.is_working_day(dt.date(2026, 10, 10))
    assert not calendar.is_working_day(dt.date(2026, 10, 8))
    assert calendar.is_working_day(dt.date(2026, 10, 7))
    # Tue 6 Oct 10:00 + 2 working days: 7 Oct (row) is day 1, 8 Oct (row) off, Fri 9 Oct day 2.
    assert calendar.due_at(bj(2026, 10, 6, 10), 2, DAYS) == bj(2026, 10, 9, 18)
    # Without the rows: 7 Oct off, Thu 8 Oct day 1, Fri 9 Oct day 2 → the same Friday 18:00.
    assert OFFICIAL.due_at(bj(2026, 10, 6, 10), 2, DAYS) == bj(2026, 10, 9, 18)
    # Fri 9 Oct 10:00 + 1 working day: the make-up Saturday 10 Oct, unless cancelled.
    assert OFFICIAL.due_at(bj(2026, 10, 9, 10), 1, DAYS) == bj(2026, 10, 10, 18)
    assert calendar.due_at(bj(2026, 10, 9, 10), 1, DAYS) == bj(2026, 10, 12, 18)


# --- working days ---------------------------------------------------------------------------


def test_working_days_skip_the_spring_festival_and_count_its_make_up_saturday():
    # Fri 13 Feb 10:00 + 3: Sat 14 Feb (make-up) day 1, 15–23 Feb off, Tue 24 day 2, Wed 25 day 3.
    assert OFFICIAL.due_at(bj(2026, 2, 13, 10), 3, DAYS) == bj(2026, 2, 25, 18)
    # Thu 12 Feb 16:00 + 2: Fri 13 day 1, Sat 14 (make-up) day 2 → Saturday 18:00.
    assert OFFICIAL.due_at(bj(2026, 2, 12, 16), 2, DAYS) == bj(2026, 2, 14, 18)
    # Sat 14 Feb 09:00 (at work on the make-up day) + 1: next working day Tue 24 Feb.
    assert OFFICIAL.due_at(bj(2026, 2, 14, 9), 1, DAYS) == bj(2026, 2, 24, 18)


def test_working_days_never_count_the_start_day():
    # Mon 23 Nov 07:00, before the office opens: Monday still does not count → Tue 18:00.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 7), 1, DAYS) == bj(2026, 11, 24, 18)
    # Mon 23 Nov 20:00 (evening) → Tue 18:00 as well.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 20), 1, DAYS) == bj(2026, 11, 24, 18)
    # Fri 27 Nov 10:00 → Mon 30 Nov 18:00; from Sat 28 or Sun 29 Nov the same Monday.
    assert OFFICIAL.due_at(bj(2026, 11, 27, 10), 1, DAYS) == bj(2026, 11, 30, 18)
    assert OFFICIAL.due_at(bj(2026, 11, 29, 10), 1, DAYS) == bj(2026, 11, 30, 18)
    # Mon 30 Nov 10:00 + 5 working days: Tue 1 … Mon 7 Dec (the weekend skipped).
    assert OFFICIAL.due_at(bj(2026, 11, 30, 10), 5, DAYS) == bj(2026, 12, 7, 18)


# --- working hours --------------------------------------------------------------------------


def test_working_hours_skip_the_lunch_break():
    # Mon 23 Nov 11:00 + 2 h: 11:00–12:00 (1 h), lunch, 13:30–14:30 (1 h) → 14:30.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 11), 2, WORKING_HOURS) == bj(2026, 11, 23, 14, 30)
    # 11:00 + 1 h fills the morning exactly: ends at 12:00, not at the 13:30 opening.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 11), 1, WORKING_HOURS) == bj(2026, 11, 23, 12)


def test_working_hours_skip_nights_and_the_weekend():
    # Fri 27 Nov 16:00 + 6 h: Fri 16–18 (2 h), Mon 30 Nov 08:30–12:00 (3.5 h), 13:30–14:00.
    assert OFFICIAL.due_at(bj(2026, 11, 27, 16), 6, WORKING_HOURS) == bj(2026, 11, 30, 14)
    # Mon 23 Nov 17:00 + 8 h: Mon 17–18 (1 h), Tue 08:30–12:00 (3.5 h), 13:30–17:00 (3.5 h).
    assert OFFICIAL.due_at(bj(2026, 11, 23, 17), 8, WORKING_HOURS) == bj(2026, 11, 24, 17)


def test_working_hours_skip_holidays_and_count_make_up_saturdays():
    # Fri 13 Feb 17:00 + 8 h: Fri 17–18 (1 h), Sat 14 Feb 08:30–12:00 (3.5 h), 13:30–17:00.
    assert OFFICIAL.due_at(bj(2026, 2, 13, 17), 8, WORKING_HOURS) == bj(2026, 2, 14, 17)
    # Sat 14 Feb 17:00 + 4 h: Sat 17–18 (1 h), 15–23 Feb off, Tue 24 Feb 08:30–11:30 (3 h).
    assert OFFICIAL.due_at(bj(2026, 2, 14, 17), 4, WORKING_HOURS) == bj(2026, 2, 24, 11, 30)


def test_a_start_outside_office_hours_waits_for_the_next_opening():
    # Mon 23 Nov 20:00 (evening) + 2 h: Tue 08:30–10:30.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 20), 2, WORKING_HOURS) == bj(2026, 11, 24, 10, 30)
    # Exactly at closing, 18:00 + 1 h: Tue 08:30–09:30.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 18), 1, WORKING_HOURS) == bj(2026, 11, 24, 9, 30)
    # Mon 12:30, in the lunch break, + 1 h: 13:30–14:30.
    assert OFFICIAL.due_at(bj(2026, 11, 23, 12, 30), 1, WORKING_HOURS) == bj(2026, 11, 23, 14, 30)
    # Sun 29 Nov 10:00 + 4 h: Mon 30 Nov 08:30–12:00 (3.5 h), 13:30–14:00.
    assert OFFICIAL.due_at(bj(2026, 11, 29, 10), 4, WORKING_HOURS) == bj(2026, 11, 30, 14)


def test_working_seconds_between_count_only_office_time():
    h = 3600
    # Mon 23 Nov 11:00 → 14:00: 1 h before lunch, 0.5 h after.
    assert OFFICIAL.working_seconds_between(bj(2026, 11, 23, 11), bj(2026, 11, 23, 14)) == 1.5 * h
    # Fri 27 Nov 17:00 → Mon 30 Nov 09:00: 1 h + 0.5 h; the weekend counts nothing.
    assert OFFICIAL.working_seconds_between(bj(2026, 11, 27, 17), bj(2026, 11, 30, 9)) == 1.5 * h
    # A night and a whole holiday count nothing; backwards is negative.
    assert OFFICIAL.working_seconds_between(bj(2026, 2, 16, 8), bj(2026, 2, 17, 20)) == 0
    assert OFFICIAL.working_seconds_between(bj(2026, 11, 23, 14), bj(2026, 11, 23, 11)) == -1.5 * h


# --- clock hours --------------------------------------------------------------------------


def test_the_hours_unit_ignores_the_calendar():
    # Sat 28 Nov 22:00 + 3 h → Sun 29 Nov 01:00: night and weekend count like any hour.
    assert OFFICIAL.due_at(bj(2026, 11, 28, 22), 3, HOURS) == bj(2026, 11, 29, 1)
    # 除夕 (Mon 16 Feb, a holiday) 17:00 + 8 h → 01:00 on 17 Feb, even with every day off.
    no_working_days = WorkingCalendar({dt.date(2026, 2, 16): False, dt.date(2026, 2, 17): False})
    assert no_working_days.due_at(bj(2026, 2, 16, 17), 8, HOURS) == bj(2026, 2, 17, 1)


# --- lights ---------------------------------------------------------------------------------


def test_lights_of_a_working_hours_limit_measure_office_time():
    # Mon 23 Nov 08:30 + 10 working hours: Monday 8 h, Tue 08:30–10:30 → due Tue 10:30.
    # 80 % of 10 h is 8 h, used up at Monday's closing, 18:00.
    start = bj(2026, 11, 23, 8, 30)
    due = OFFICIAL.due_at(start, 10, WORKING_HOURS)
    assert due == bj(2026, 11, 24, 10, 30)

    def light(*now: int) -> Light:
        return light_for(OFFICIAL, start, due, WORKING_HOURS, bj(*now))

    assert light(2026, 11, 23, 17, 59, 59) is Light.green
    assert light(2026, 11, 23, 18) is Light.yellow  # exactly 80 %
    # Overnight no office time passes: still 80 %, though only 11.5 of 26 clock hours are gone.
    assert light(2026, 11, 23, 20) is Light.yellow
    assert light(2026, 11, 24, 10, 30) is Light.yellow  # due, not yet overdue
    assert light(2026, 11, 24, 10, 30, 1) is Light.red


def test_lights_of_a_working_days_limit_stay_green_over_the_weekend():
    # Fri 27 Nov 10:00 + 1 working day → due Mon 30 Nov 18:00. Allowed office time: Friday
    # 10:00–12:00 and 13:30–18:00 (6.5 h) + Monday (8 h) = 14.5 h; 80 % = 11.6 h, reached
    # after Friday's 6.5 h and Monday's 08:30–12:00 (3.5 h) + 1.6 h (1 h 36 min) → Mon 15:06.
    start = bj(2026, 11, 27, 10)
    due = OFFICIAL.due_at(start, 1, DAYS)
    assert due == bj(2026, 11, 30, 18)

    def light(*now: int) -> Light:
        return light_for(OFFICIAL, start, due, DAYS, bj(*now))

    assert light(2026, 11, 29, 12) is Light.green  # Sunday: 6.5 of 14.5 h used
    assert light(2026, 11, 30, 15, 5, 59) is Light.green
    assert light(2026, 11, 30, 15, 6) is Light.yellow
    assert light(2026, 11, 30, 18) is Light.yellow
    assert light(2026, 11, 30, 18, 0, 1) is Light.red
    assert light(2026, 12, 5, 12) is Light.red  # overdue stays red on the weekend


def test_lights_of_an_hours_limit_measure_clock_time():
    # Sat 28 Nov 22:00 + 3 h → due Sun 01:00; 80 % of 3 h is 2 h 24 min → Sun 00:24.
    start = bj(2026, 11, 28, 22)
    due = OFFICIAL.due_at(start, 3, HOURS)

    def light(*now: int, share: float = 0.8) -> Light:
        return light_for(OFFICIAL, start, due, HOURS, bj(*now), yellow_share=share)

    assert light(2026, 11, 29, 0, 23, 59) is Light.green
    assert light(2026, 11, 29, 0, 24) is Light.yellow
    assert light(2026, 11, 29, 1) is Light.yellow
    assert light(2026, 11, 29, 1, 0, 1) is Light.red
    # A configured share of 0.5: yellow from 1 h 30 min on, Sat 23:30.
    assert light(2026, 11, 28, 23, 29, 59, share=0.5) is Light.green
    assert light(2026, 11, 28, 23, 30, share=0.5) is Light.yellow


def test_time_left_is_clock_seconds_and_negative_once_overdue():
    due = bj(2026, 11, 30, 18)
    assert time_left(due, bj(2026, 11, 30, 17)) == 3600
    assert time_left(due, due) == 0
    assert time_left(due, bj(2026, 11, 30, 18, 0, 1)) == -1


# --- configuration ----------------------------------------------------------------------------


def test_office_hours_and_the_yellow_share_are_settings():
    settings = Settings(secret_key="x" * 40)
    assert settings.working_hours == WorkingHours() and settings.yellow_share == 0.8
    assert str(WorkingHours()) == "08:30-12:00,13:30-18:00"

    # One period 09:00–17:00 (no lunch break): Mon 16:00 + 2 h → Tue 10:00; days end at 17:00.
    calendar = WorkingCalendar(hours=Settings(secret_key="x" * 40,
                                              work_periods="09:00-17:00").working_hours)
    assert calendar.due_at(bj(2026, 11, 23, 16), 2, WORKING_HOURS) == bj(2026, 11, 24, 10)
    assert calendar.due_at(bj(2026, 11, 23, 16), 1, DAYS) == bj(2026, 11, 24, 17)

    for bad in ("8-12", "13:30-12:00", "08:30-12:00,11:00-18:00", ""):
        with pytest.raises(ValidationError):
            Settings(secret_key="x" * 40, work_periods=bad)
    for bad in (0, 1.5):
        with pytest.raises(ValidationError):
            Settings(secret_key="x" * 40, yellow_share=bad)


# --- the calendar-days table, through the API ---------------------------------------------


def test_calendar_days_posted_by_the_admin_override_the_library(app, client):
    def calendar() -> WorkingCalendar:
        with app.state.db.session() as session:
            return deadlines(session).calendar

    before = calendar()
    assert calendar() is before  # unchanged table: the same calendar, not read again

    # Tue 1 Dec 2026, an ordinary working day, made a holiday.
    holiday = ok(client.post("/api/v1/calendar-days", json={
        "day": "2026-12-01", "is_working_day": False, "note": "区政府安排放假"}), 201)
    # Sat 5 Dec 2026, an ordinary Saturday, made a working day.
    ok(client.post("/api/v1/calendar-days", json={
        "day": "2026-12-05", "is_working_day": True, "note": "补班"}), 201)

    after = calendar()
    assert not after.is_working_day(dt.date(2026, 12, 1))
    assert after.is_working_day(dt.date(2026, 12, 5))
    # Mon 30 Nov 10:00 + 2 working days: Tue 1 Dec off → Wed 2 day 1, Thu 3 day 2.
    assert after.due_at(bj(2026, 11, 30, 10), 2, DAYS) == bj(2026, 12, 3, 18)
    # Fri 4 Dec 10:00 + 1 working day: Saturday 5 Dec, now a working day.
    assert after.due_at(bj(2026, 12, 4, 10), 1, DAYS) == bj(2026, 12, 5, 18)
    # Mon 30 Nov 17:00 + 2 working hours: Mon 17–18, Tue off, Wed 2 Dec 08:30–09:30.
    assert after.due_at(bj(2026, 11, 30, 17), 2, WORKING_HOURS) == bj(2026, 12, 2, 9, 30)

    # Corrections take effect at once: the holiday taken back, then the row deleted.
    ok(client.patch(f"/api/v1/calendar-days/{holiday['id']}", json={"is_working_day": True}))
    assert calendar().due_at(bj(2026, 11, 30, 10), 2, DAYS) == bj(2026, 12, 2, 18)
    ok(client.delete(f"/api/v1/calendar-days/{holiday['id']}"), 204)
    assert dt.date(2026, 12, 1) not in calendar().overrides
    assert calendar().is_working_day(dt.date(2026, 12, 5))


def test_a_calendar_day_is_one_row_per_date_and_keeps_its_date(client):
    row = ok(client.post("/api/v1/calendar-days", json={
        "day": "2026-10-10", "is_working_day": True, "note": "国庆调休上班"}), 201)
    duplicate = client.post("/api/v1/calendar-days", json={"day": "2026-10-10",
                                                           "is_working_day": False})
    assert duplicate.status_code == 409, duplicate.text
    moved = client.patch(f"/api/v1/calendar-days/{row['id']}", json={"day": "2026-10-11"})
    assert moved.status_code == 422, moved.text
    listed = ok(client.get("/api/v1/calendar-days"))
    assert [item["day"] for item in listed["items"]] == ["2026-10-10"]


def test_dispatchers_and_leaders_read_the_calendar_and_only_admins_change_it(client, as_user):
    ok(client.post("/api/v1/calendar-days", json={"day": "2026-12-01", "is_working_day": False}),
       201)
    for reader in ("dispatcher", "leader"):
        assert ok(as_user(reader).get("/api/v1/calendar-days"))["total"] == 1
        refused = as_user(reader).post("/api/v1/calendar-days", json={
            "day": "2026-12-02", "is_working_day": False})
        assert refused.status_code == 403, (reader, refused.text)
    assert as_user("member").get("/api/v1/calendar-days").status_code == 403


def test_yellow_at_is_when_the_light_turns_yellow():
    """The seed ticks each case when its light is due to change: yellow_at must agree with
    light_for, to the second."""
    cases = [
        (bj(2026, 11, 23, 8, 30), 10, WORKING_HOURS, bj(2026, 11, 23, 18)),
        (bj(2026, 11, 27, 10), 1, DAYS, bj(2026, 11, 30, 15, 6)),  # across the weekend
        (bj(2026, 11, 28, 22), 3, HOURS, bj(2026, 11, 29, 0, 24)),
        (bj(2026, 2, 14, 17), 4, WORKING_HOURS, bj(2026, 2, 24, 10, 42)),  # across 春节
    ]
    for start, value, unit, expected in cases:
        due = OFFICIAL.due_at(start, value, unit)
        turns = sla.yellow_at(OFFICIAL, start, due, unit)
        assert abs((turns - expected).total_seconds()) < 1, (start, unit, turns)
        after = turns + dt.timedelta(seconds=1)
        assert light_for(OFFICIAL, start, due, unit, after) is Light.yellow
        before = turns - dt.timedelta(seconds=1)
        assert light_for(OFFICIAL, start, due, unit, before) is Light.green
