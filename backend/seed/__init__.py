"""Demo data: 鹤山区 (410602) with its streets, communities and grids, and a year of work in it.

`run_seed()` fills an empty, migrated database; `gridlink seed` and `gridlink demo` call it
(the demo through `seed_county` and `play_year`). Everything is drawn in memory first, as
plain dicts with explicit ids, then written in bulk; the cases are only planned in memory and
played through intake and the workflow service, so that each is what the real flow makes.
The output is deterministic for a given seed and `now`.

One module per concern, each readable on its own:

- `vocabulary`: the place names and words drawn from, the case mix, the notes; sizes and pace
- `world`: `DemoWorld`, the shared state of the drawing (random source, clock, rows, ids)
- `geography`: the area tree, departments and their staff, categories, grids and partners
- `ledgers`: buildings, households, residents, organisations (with their codes)
- `fieldwork`: patrols, visits, work logs
- `case_plans`: the reports and the moves planned on each
- `case_year`: `CaseYear`, playing the reports and moves through the workflow in time order
- `build`: `build_demo_data`, the parts drawn in their order
- `writer`: bulk writes, demo accounts, `run_seed`, `seed_county`, `play_year`
"""

from backend.seed.build import ProgressBars, build_demo_data
from backend.seed.case_year import CaseYear
from backend.seed.geography import BBOX
from backend.seed.ledgers import CREDIT_CHARS, CREDIT_WEIGHTS, credit_code
from backend.seed.world import TABLE_ORDER
from backend.seed.writer import PendingYear, is_empty, play_year, run_seed, seed_county

__all__ = [
    "BBOX",
    "CREDIT_CHARS",
    "CREDIT_WEIGHTS",
    "TABLE_ORDER",
    "CaseYear",
    "PendingYear",
    "ProgressBars",
    "build_demo_data",
    "credit_code",
    "is_empty",
    "play_year",
    "run_seed",
    "seed_county",
]
