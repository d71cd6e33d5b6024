"""The README's shell examples, run as a reader would run them against a live server.

Every ```bash block of the README runs, in order, in one bash session (a variable set in one
block, like `$TOKEN`, is there in the next, as in a reader's terminal), except the set-up and
development commands (they make virtual environments, start the demo, run the tests). `curl`
fails on any HTTP error (4xx/5xx), so an example that answers 401 or 400 fails the test;
`127.0.0.1:8000` becomes the live server's address.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import openpyxl

from backend.ledgers.id_number import make_id_number

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DEMO_ADDRESS = "127.0.0.1:8000"
BLOCK = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
# Blocks that set up a machine or develop GridLink (run by CI itself) rather than use it.
SET_UP = ("python3 -m venv", "pip-compile", "bin/pytest")

PRELUDE = """set -euo pipefail
curl() { command curl --fail-with-body --silent --show-error "$@"; }
"""


def shell_examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [block for block in BLOCK.findall(text)
            if not any(marker in block for marker in SET_UP)]


def run_examples(base_url: str, workdir: Path, env: dict[str, str]) -> list[str]:
    """Run every example block against `base_url`; returns each block's output."""
    address = base_url.removeprefix("http://")
    outputs = []
    script = PRELUDE
    blocks = shell_examples()
    assert len(blocks) >= 4, "the README's login, list, import and Open311 examples"
    for number, block in enumerate(blocks, 1):
        script += f"\nprintf '\\n--- example {number}\\n'\n" + block.replace(DEMO_ADDRESS, address)
    result = subprocess.run(["bash", "-c", script], cwd=workdir, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, (
        f"a README example failed (exit {result.returncode}):\n{result.stdout[-3000:]}\n"
        f"{result.stderr[-3000:]}")
    for part in result.stdout.split("--- example ")[1:]:
        outputs.append(part.split("\n", 1)[1] if "\n" in part else "")
    return outputs


def example_env(database_url: str) -> dict[str, str]:
    """The reader's shell: `gridlink` of this checkout on PATH, pointed at the demo database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDLINK_")}
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = str(ROOT)
    env["GRIDLINK_DATABASE_URL"] = database_url
    return env


def fill_residents_sheet(base_url: str, token: str, grid_code: str, workdir: Path) -> None:
    """What the reader does in Excel between two examples: the template, filled with one new
    resident of a household in `grid_code`, saved as 居民.xlsx."""
    headers = {"Authorization": f"Bearer {token}"}
    template = httpx.get(f"{base_url}/api/v1/residents/import-template", headers=headers)
    template.raise_for_status()
    household = httpx.get(f"{base_url}/api/v1/households", headers=headers,
                          params={"grid_code": grid_code, "limit": 1}).json()["items"][0]
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    sheet = book.worksheets[0]
    names = [cell.value for cell in sheet[2]]
    row = {"household_id": household["id"], "grid_code": grid_code, "name": "王新民",
           "id_number": make_id_number(grid_code[:6], dt.date(1988, 8, 8), 917, "male")}
    for column, name in enumerate(names, 1):
        sheet.cell(row=3, column=column, value=row.get(name))
    book.save(workdir / "居民.xlsx")
