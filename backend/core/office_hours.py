"""Office hours (办公时段): the periods of a working day the working-time deadlines count.

A value parsed from the setting GRIDLINK_WORK_PERIODS; the calendar of working days and the
deadline rules that use it are in backend/cases/sla.py.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkingHours:
    """The office hours of every working day, Beijing time: periods in order, not overlapping."""

    periods: tuple[tuple[dt.time, dt.time], ...] = (
        (dt.time(8, 30), dt.time(12, 0)),
        (dt.time(13, 30), dt.time(18, 0)),
    )

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("办公时段不能为空")
        previous_end = dt.time.min
        for begin, end in self.periods:
            if not begin < end:
                raise ValueError(f"办公时段 {begin:%H:%M}-{end:%H:%M} 的开始须早于结束")
            if begin < previous_end:
                raise ValueError(f"办公时段 {begin:%H:%M}-{end:%H:%M} 须按时间先后排列且不重叠")
            previous_end = end

    @classmethod
    @functools.lru_cache(maxsize=16)  # parsed once per distinct setting, not on every deadline
    def parse(cls, text: str) -> WorkingHours:
        """'08:30-12:00,13:30-18:00' (the setting's format) → WorkingHours."""
        periods = []
        for part in text.split(","):
            try:
                begin, end = (dt.time.fromisoformat(t.strip()) for t in part.split("-"))
            except ValueError:
                raise ValueError(
                    f"办公时段格式应为 HH:MM-HH:MM, 多段以逗号分隔: {part!r}") from None
            periods.append((begin, end))
        return cls(tuple(periods))

    def __str__(self) -> str:
        return ",".join(f"{begin:%H:%M}-{end:%H:%M}" for begin, end in self.periods)

    @property
    def closing(self) -> dt.time:
        """When the office closes: a working-days limit ends then."""
        return self.periods[-1][1]


# The defaults of the settings GRIDLINK_WORK_PERIODS and GRIDLINK_YELLOW_SHARE.
DEFAULT_WORK_PERIODS = str(WorkingHours())
DEFAULT_YELLOW_SHARE = 0.8
