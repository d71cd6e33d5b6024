"""The demo world drawn in memory, part after part, without touching a database.

The order of the parts is part of the output: one random source draws everything, so a part
moved earlier or later changes what every part after it draws, and a seed no longer gives the
world it gave before. Some of the order is needed (the grids before the ledgers, the patrols
before the cases found on them, the cases before the patrols' findings); the rest is kept as
it is so that a seed keeps its world.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backend.core.db import utcnow
from backend.seed import case_plans, fieldwork, geography, ledgers
from backend.seed.vocabulary import CASES_PER_SCALE, RESIDENTS_PER_SCALE
from backend.seed.world import DemoWorld


class ProgressBars:
    """Rich progress bars for the long steps, or nothing at all when disabled."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: Any = None

    @contextmanager
    def running(self) -> Iterator[ProgressBars]:
        if not self.enabled:
            yield self
            return
        with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn()) as bars:
            self.bars = bars
            yield self

    def task(self, description: str, total: int) -> Callable[[int], None]:
        """A new bar; returns the function that advances it."""
        if self.bars is None:
            return lambda _n: None
        task_id = self.bars.add_task(description, total=total)
        return lambda n: self.bars.advance(task_id, n)


def build_demo_data(
    scale: int = 1, seed: int = 2026, *, residents: int | None = None, cases: int | None = None,
    now: dt.datetime | None = None, progress: ProgressBars | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The demo world as rows per table (in TABLE_ORDER), without touching a database; and
    under "case" the reports, in the order they come in, each with its planned `moves`."""
    resident_target = RESIDENTS_PER_SCALE * scale if residents is None else residents
    case_count = CASES_PER_SCALE * scale if cases is None else cases
    world = DemoWorld(seed, (now or utcnow()).astimezone(dt.UTC))
    steps: list[Callable[[], None]] = [
        lambda: geography.build_reference(world),
        lambda: geography.build_grids(world),
        lambda: ledgers.build_ledgers(world, resident_target),
        lambda: ledgers.build_organizations(world, resident_target / RESIDENTS_PER_SCALE),
        lambda: fieldwork.build_coverage_rule(world),
        lambda: fieldwork.build_leaves(world),
        lambda: fieldwork.build_patrols(world),
        lambda: case_plans.build_cases(world, case_count),
        lambda: fieldwork.finish_patrols(world),
        lambda: fieldwork.build_visits(world),
        lambda: fieldwork.build_work_logs(world),
        lambda: fieldwork.build_supervision(world),
        lambda: fieldwork.build_party_contacts(world),
    ]
    advance = (progress or ProgressBars(False)).task("生成数据", len(steps))
    for step in steps:
        step()
        advance(1)
    return world.rows
